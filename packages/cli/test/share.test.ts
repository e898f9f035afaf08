// `tessera share`: a time-limited code link, end to end with the real server and the real binary
// (build first: `npx tsc -b packages/cli`). The link's fragment key opens exactly the codes
// `tessera code` computes for the window; the server's data holds none of them, nor the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '@tessera/otp';
import { openShare, parseShareLink } from '@tessera/vault/share';
import { TestServer, Workspace } from './keychain-harness.js';

const SECRET = 'KRSXG5CTMVRXEZLUN5XXGZLT';
const CLIENT = { 'Tessera-Client': 'tessera-cli/0.2.0' };

describe('tessera share', () => {
  const ws = new Workspace();
  const a = ws.device();
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start('sqlite', ws.dir);
    await a.ok(['add', '--secret', SECRET, '--issuer', 'Shared Registrar', '--account', 'oncall']);
    await a.ok([
      'add',
      '--type',
      'hotp',
      '--secret',
      'GEZDGNBVGY3TQOJQ',
      '--issuer',
      'Counter',
      '--account',
      'c',
      '--counter',
      '0',
    ]);
    const refused = await a.run(['share', 'Shared Registrar']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not signed in to a keychain/);
    await a.ok([
      'keychain',
      'signup',
      '--server',
      server.url,
      '--email',
      'share@example.com',
      '--recovery-key-file',
      `${ws.dir}/rk`,
    ]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    ws.remove();
  });

  it('makes a link whose codes are those of `tessera code` for the window, and nothing of the entry else', async () => {
    const { url, id, expiresAt } = JSON.parse(
      await a.ok(['share', 'Shared Registrar', '--minutes', '2', '--json']),
    );
    const link = new URL(url);
    expect(link.origin + link.pathname).toBe(`${server.url}/share.html`);
    const { key } = parseShareLink(link.hash);
    const res = await fetch(`${server.url}/v1/shares?id=${id}`, { headers: CLIENT });
    expect(res.status).toBe(200);
    const stored = (await res.json()) as { ciphertext: string; expiresAt: number };
    expect(stored.expiresAt).toBe(expiresAt);
    const payload = openShare({ id, key, ...stored });
    expect(payload).toMatchObject({ issuer: 'Shared Registrar', account: 'oncall', period: 30, expiresAt });
    expect(payload.codes.length).toBeGreaterThanOrEqual(4);
    for (const { from, code } of payload.codes.slice(0, 3)) {
      expect(code).toBe((await a.ok(['code', '--secret', SECRET, '--time', String(from)])).trim());
    }
    for (const { from, code } of payload.codes) expect(code).toBe(totp({ secret: SECRET, time: from }));

    // The server's data: the sealed codes only. No secret, no label, no code list in any form.
    const dump = await server.dump();
    const text = dump.toString('latin1');
    const bytes = Buffer.from(base32Decode(SECRET));
    for (const needle of [
      SECRET,
      bytes.toString('hex'),
      bytes.toString('base64'),
      'Shared Registrar',
      'oncall',
      '"codes":[',
      key,
    ])
      expect(text.includes(needle), needle).toBe(false);
    expect(dump.includes(bytes)).toBe(false);
    expect(text.includes(id)).toBe(true);
  });

  it('withdraws a link, and refuses HOTP entries and windows out of range with the reason', async () => {
    const { id } = JSON.parse(await a.ok(['share', 'Shared Registrar', '--json']));
    expect((await fetch(`${server.url}/v1/shares?id=${id}`, { headers: CLIENT })).status).toBe(200);
    expect(await a.ok(['share', '--withdraw', id])).toMatch(`withdrew code link ${id}`);
    expect((await fetch(`${server.url}/v1/shares?id=${id}`, { headers: CLIENT })).status).toBe(404);
    const hotp = await a.run(['share', 'Counter']);
    expect(hotp.code).toBe(1);
    expect(hotp.stderr).toMatch(/HOTP codes are counted, not timed/);
    const long = await a.run(['share', 'Shared Registrar', '--minutes', '500']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/minutes: must be 1 to 120, got 500/);
  });
});
