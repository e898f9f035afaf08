// Credential lifecycle end to end (docs/PROTOCOL.md §10): the real keychain server on SQLite and
// PostgreSQL and the real `tessera` binary (build first: `npx tsc -b packages/cli`).
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signupAccount, TestServer, Workspace, type Backend } from './keychain-harness.js';
import { findLeaks } from '../../server/test/leaks.js';

const EMAIL = 'carol@example.com';
/** Each step runs several CLI processes; a loaded machine needs more than the default 30 s. */
const STEP_TIMEOUT_MS = 180_000;

/** Registers the scenario for one database backend (lifecycle-{sqlite,postgres}.test.ts, run in parallel). */
export function lifecycleScenario(backend: Backend): void {
  describe(`credential lifecycle with the CLI on ${backend}`, () => {
    const ws = new Workspace();
    let server: TestServer;
    const a = ws.device();
    const b = ws.device();
    const c = ws.device();
    const d = ws.device();

    beforeAll(async () => {
      server = await TestServer.start(backend, ws.dir);
      await a.ok(['add', '--secret', 'JBSWY3DPEHPK3PXP', '--issuer', 'Example', '--account', 'carol']);
      await signupAccount(a, server.url, EMAIL);
    }, STEP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.close();
      ws.remove();
    });

    it(
      'lists a pending device with when it asked, evicts it without any key, and tells it so',
      async () => {
        const { deviceId } = JSON.parse(
          await b.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']),
        ) as { deviceId: string };
        const listed = await a.ok(['keychain', 'devices']);
        const line = listed.split('\n').find((l) => l.startsWith(deviceId));
        expect(line).toMatch(/pending .*\(pending: asked to join \d{4}-\d{2}-\d{2}T/);
        // The pending device can still reach the keychain before the eviction.
        expect((await b.run(['keychain', 'devices'])).code).toBe(0);

        // No --recovery-key-file and no PIN: a pending device holds no key, so nothing rotates.
        const removed = await a.ok(['keychain', 'remove-device', deviceId]);
        expect(removed).toMatch(new RegExp(`removed the pending request of .* \\(${deviceId}\\)`));
        const after = JSON.parse(await a.ok(['keychain', 'devices', '--json'])) as { id: string }[];
        expect(after.map((d) => d.id)).not.toContain(deviceId);

        const evicted = await b.run(['keychain', 'devices']);
        expect(evicted.code).not.toBe(0);
        expect(evicted.stderr).toMatch(/request to join was removed/);
        // The trusted device keeps its entries and its session.
        expect((await a.run(['keychain', 'status'])).code).toBe(0);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'a device that signed in without waiting shows its codes on its first list once approved, and says a default name after its host',
      async () => {
        const e = ws.device();
        const { verificationCode } = JSON.parse(
          await e.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']),
        ) as { verificationCode: string };
        // Before any approval a command goes on with what is here, and says nothing of it.
        expect(await e.run(['list'])).toMatchObject({
          code: 0,
          stderr: 'no entries yet: add one with `tessera add`\n',
        });
        // A approves while E does nothing but list: the list takes E's part of the exchange and restores.
        const approving = a.run(['keychain', 'approve', '--code', verificationCode]);
        let listed: Awaited<ReturnType<typeof e.run>> | null = null;
        await expect
          .poll(async () => (listed = await e.run(['list', '--json'])).stdout, { timeout: 60_000 })
          .toContain('"issuer":"Example"');
        expect(listed!.stderr).toMatch(/^tessera: this device was approved; 1 entries restored$/m);
        expect((await approving).code).toBe(0);
        const status = JSON.parse(await e.ok(['keychain', 'status', '--json'])) as Record<string, unknown>;
        expect(status).toMatchObject({ trusted: true });
        // Named after the host it runs on, with a short suffix telling two such devices apart.
        const name = String(status.deviceName);
        expect(name.startsWith(`${hostname()} (CLI) · `)).toBe(true);
        expect(name.slice(`${hostname()} (CLI) · `.length)).toMatch(/^[2-9A-Z]{3}$/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'lock-account ends every session and pending request; the trusted device keeps its codes and signs in again',
      async () => {
        const before = await a.entries();
        await c.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']);
        const locked = await a.ok(['keychain', 'lock-account']);
        expect(locked).toMatch(/account locked: every session ended, this one too/);

        // The caller's session ended too; its local codes did not.
        const ended = await a.run(['keychain', 'devices']);
        expect(ended.code).not.toBe(0);
        expect(ended.stderr).toMatch(/session has ended; sign in again/);
        expect(await a.entries()).toEqual(before);
        const pending = await c.run(['keychain', 'devices']);
        expect(pending.stderr).toMatch(/request to join was removed/);

        // Signing in again needs only the password: no approval, the device is still trusted.
        const again = await a.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL]);
        expect(again).toMatch(/signed in again; this device is still trusted/);
        const status = JSON.parse(await a.ok(['keychain', 'status', '--json'])) as Record<string, unknown>;
        expect(JSON.stringify(status)).toMatch(/account was locked/);
        expect((await a.run(['sync'])).code).toBe(0);
        expect(await a.entries()).toEqual(before);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'set-pin replaces the PIN: the old one no longer restores, the new one does',
      async () => {
        const oldPin = ws.file('old-pin', 'first-pin-1234\n');
        const newPin = ws.file('new-pin', 'second-pin-5678\n');
        expect(await a.ok(['keychain', 'set-pin', '--pin-file', oldPin])).toMatch(/keychain PIN set/);
        expect(await a.ok(['keychain', 'set-pin', '--pin-file', newPin])).toMatch(/keychain PIN set/);
        await d.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']);
        const old = await d.run(['keychain', 'recover', '--pin-file', oldPin]);
        expect(old.code).not.toBe(0);
        expect(old.stderr).toMatch(/Wrong keychain PIN/);
        await d.ok(['keychain', 'recover', '--pin-file', newPin]);
        expect(await d.entries()).toEqual(await a.entries());
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'renames a device from another one; every device shows the new name',
      async () => {
        const dId = (JSON.parse(await d.ok(['keychain', 'status', '--json'])) as { deviceId: string })
          .deviceId;
        expect(await a.ok(['keychain', 'rename-device', dId, '  Kitchen tablet '])).toMatch(
          /^renamed .* to Kitchen tablet$/m,
        );
        const seen = JSON.parse(await a.ok(['keychain', 'devices', '--json'])) as {
          id: string;
          name: string;
        }[];
        expect(seen.find((x) => x.id === dId)?.name).toBe('Kitchen tablet');
        // The renamed device learns its name from the signed circle.
        await d.ok(['sync']);
        expect(await d.ok(['keychain', 'status'])).toMatch(/^device: +Kitchen tablet \(/m);
        const tooLong = await a.run(['keychain', 'rename-device', dId, 'x'.repeat(65)]);
        expect(tooLong.code).not.toBe(0);
        expect(tooLong.stderr).toMatch(/A device name has 1 to 64 characters; got 65/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'a wrong code ends the attempt on both devices; login again shows a new code, and that one works',
      async () => {
        const e = ws.device();
        const first = await e.waitingLogin({ server: server.url, email: EMAIL });
        const wrong = first.code === '1234-5678' ? '8765-4321' : '1234-5678';
        const refused = await a.run(['keychain', 'approve', '--code', wrong]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^tessera: The code did not match\. Start again on the new device/m);
        const waiting = await first.ended;
        expect(waiting.code).toBe(1);
        expect(waiting.stderr).toMatch(/^tessera: The code did not match\. Start again on the new device/m);
        // The spent code is refused even when it is now typed right.
        expect((await a.run(['keychain', 'approve', '--code', first.code])).code).toBe(1);
        const again = await e.joinApprovedBy(a, { server: server.url, email: EMAIL });
        expect(again.code).not.toBe(first.code);
        expect(again.restored).toBe((await a.entries()).length);
        expect(await e.entries()).toEqual(await a.entries());
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'password: proves the current one; every other session ends, pending devices are evicted, only the new one signs in',
      async () => {
        const newPassword = 'a brand new passphrase 42';
        const newFile = ws.file('new-password', `${newPassword}\n`);
        const oldFile = ws.file('old-password', `${PASSWORD}\n`);
        const f = ws.device();
        await f.joinApprovedBy(a, { server: server.url, email: EMAIL });
        const p = ws.device();
        await p.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']);

        // A wrong current password changes nothing: no session ends.
        const wrong = await a.run([
          'keychain',
          'password',
          '--password-file',
          ws.file('wrong-password', 'not the password at all\n'),
          '--new-password-file',
          newFile,
        ]);
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toMatch(
          /^tessera: The current password is wrong; the password was not changed\.$/m,
        );
        expect((await f.run(['keychain', 'devices'])).code).toBe(0);

        expect(await a.ok(['keychain', 'password', '--new-password-file', newFile])).toMatch(
          /^password changed; every other session ended and pending devices were evicted/,
        );
        expect((await a.run(['keychain', 'devices'])).code).toBe(0);
        const ended = await f.run(['keychain', 'devices']);
        expect(ended.code).not.toBe(0);
        expect(ended.stderr).toMatch(/session has ended; sign in again/);
        expect((await p.run(['keychain', 'devices'])).stderr).toMatch(/request to join was removed/);

        // The old password no longer signs in; the new one does, and the other device is told why.
        const late = await ws
          .device()
          .run(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json']);
        expect(late.code).toBe(1);
        expect(late.stderr).toMatch(/Wrong email or password/);
        expect(
          await f.ok([
            'keychain',
            'login',
            '--server',
            server.url,
            '--email',
            EMAIL,
            '--password-file',
            newFile,
          ]),
        ).toMatch(/signed in again; this device is still trusted/);
        expect(await f.ok(['keychain', 'status'])).toMatch(/notice: .*The account password was changed/);
        expect(await f.entries()).toEqual(await a.entries());
        // Neither password is anywhere in the server's files.
        expect(findLeaks(await server.dump(), { secrets: [], texts: [newPassword, PASSWORD] })).toEqual([]);

        // Back to the first password for the tests after this one.
        await a.ok(['keychain', 'password', '--password-file', newFile, '--new-password-file', oldFile]);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'refuses to evict an unknown device with a clear message',
      async () => {
        const r = await a.run([
          'keychain',
          'remove-device',
          '00000000-0000-4000-8000-000000000000',
          '--recovery-key-file',
          `${ws.dir}/rk-unused`,
        ]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/not a trusted device of this keychain/);
      },
      STEP_TIMEOUT_MS,
    );
  });
}
