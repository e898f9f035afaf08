// Terminal injection (issue 13): device names and notices from the keychain server, and entry labels
// that other devices or imported files wrote, reach the terminal with every control character shown
// as a visible escape. Real server (SQLite) on loopback, real `tessera` binaries (build first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../src/terminal-text.js';
import { type Device, TestServer, Workspace } from './keychain-harness.js';

/** OSC 0 (retitle the window), ED 2 (clear the screen), a C1 CSI, and bidi override and isolate. */
const HOSTILE = 'pwn\x1b]0;pwn\x07\x1b[2J\u009b2J\u202Eevil\u2066';
const CONTROL =
  // eslint-disable-next-line no-control-regex -- the characters a terminal obeys
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const STEP_TIMEOUT_MS = 120_000;

/** What a terminal would be given: no control character but the line breaks; the name shown escaped. */
function expectInert(output: string): void {
  expect(output).not.toMatch(CONTROL);
  expect(output).toContain(printable(HOSTILE));
}

describe('untrusted text printed by the CLI has its control characters escaped', () => {
  const ws = new Workspace();
  let server: TestServer;
  let a: Device;
  let b: Device;
  let code = '';

  beforeAll(async () => {
    server = await TestServer.start('sqlite', ws.dir);
    a = ws.device();
    b = ws.device();
    const label = encodeURIComponent(`${HOSTILE}:${HOSTILE}`);
    const list = ws.file('hostile.txt', `otpauth://totp/${label}?secret=JBSWY3DPEHPK3PXP\n`);
    // The import itself prints the label it read from the file.
    expectInert(await a.ok(['import', '--dry-run', list]));
    await a.ok(['import', list]);
    await a.ok([
      'keychain',
      'signup',
      '--server',
      server.url,
      '--email',
      'eve@example.com',
      '--recovery-key-file',
      `${ws.dir}/rk.txt`,
    ]);
    // A second device asks to join under a hostile name: the server hands that name to every device.
    const joined = JSON.parse(
      await b.ok([
        'keychain',
        'login',
        '--server',
        server.url,
        '--email',
        'eve@example.com',
        '--device-name',
        HOSTILE,
        '--no-wait',
        '--json',
      ]),
    ) as { verificationCode: string };
    code = joined.verificationCode;
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    ws.remove();
  });

  it(
    'device names in `keychain devices`, notices in `sync` and `keychain status`, and `approve`',
    async () => {
      expectInert(await a.ok(['keychain', 'devices']));
      const sync = await a.run(['sync']);
      expect(sync.code).toBe(0);
      expectInert(sync.stderr); // "tessera: notice: "NAME" asks to join the keychain"
      expectInert(await a.ok(['keychain', 'status']));
      const joined = await b.joinApprovedBy(a, { server: server.url, email: 'eve@example.com' });
      expect(joined.code).toBe(code);
      expectInert(joined.approved);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'entry labels that another device wrote, in `list` and in error messages',
    async () => {
      await b.ok(['sync']);
      expectInert(await b.ok(['list']));
      const rm = await b.run(['rm', 'pwn']); // not on a terminal: refused with the label in the message
      expect(rm.code).toBe(1);
      expectInert(rm.stderr);
    },
    STEP_TIMEOUT_MS,
  );
});
