// End-to-end scenario (run by keychain-restore-*.test.ts): the real keychain server on SQLite or PostgreSQL, and several CLI homes running the
// real `tessera` binary (build first: `npx tsc -b packages/cli`). Steps share one account and run in order.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { decryptItem, fromB64u, KeychainClient, type KeychainState } from '@tessera/vault/keychain';
import { Device, outputOf, PASSWORD, TestServer, Workspace, type Backend } from './keychain-harness.js';
import { findLeaks } from '../../server/test/leaks.js';

const EMAIL = 'alice@example.com';
const ENTRIES = 200;
/** Each step runs several CLI processes; a loaded CI machine needs more than the default 30 s. */
const STEP_TIMEOUT_MS = 180_000;

async function keychainState(device: Device): Promise<KeychainState> {
  const vault = await openNodeVault({
    home: device.home,
    env: { ...process.env, TESSERA_KEY_STORE: 'file' },
  });
  return vault.getMeta('keychain') as unknown as KeychainState;
}

/** Registers the whole scenario for one database backend; each step builds on the previous ones. */
export function keychainScenario(backend: Backend): void {
  describe(`keychain end to end on ${backend}`, () => {
    const ws = new Workspace();
    let server: TestServer;
    const a = ws.device();
    let shared: Awaited<ReturnType<Device['entries']>>;
    const rkFile = `${ws.dir}/recovery-key.txt`;
    const pinFile = ws.file('pin', 'tessera-pin-4821\n');
    const rkAfterRemoval = `${ws.dir}/recovery-key-2.txt`;
    let importFile = '';

    /** Every device must show exactly the first device's entries, with identical codes. */
    async function expectSameAsA(device: Device): Promise<void> {
      shared = await a.entries();
      expect(await device.entries()).toEqual(shared);
    }

    async function join(device: Device): Promise<string> {
      const { deviceId, verificationCode } = JSON.parse(
        await device.ok([
          'keychain',
          'login',
          '--server',
          server.url,
          '--email',
          EMAIL,
          '--no-wait',
          '--json',
        ]),
      ) as { deviceId: string; verificationCode: string };
      expect(verificationCode).toMatch(/^\d{4}-\d{4}$/);
      return JSON.stringify({ deviceId, verificationCode });
    }

    beforeAll(async () => {
      server = await TestServer.start(backend, ws.dir);
      importFile = ws.otpauthList(ENTRIES);
      await a.ok(['import', importFile]);
      await a.ok([
        'add',
        '--secret',
        'JBSWY3DPEHPK3PXP',
        '--issuer',
        'LocalOnly',
        '--account',
        'secret-admin',
        '--device-only',
      ]);
      const out = await a.ok([
        'keychain',
        'signup',
        '--server',
        server.url,
        '--email',
        EMAIL,
        '--recovery-key-file',
        rkFile,
        '--pin-file',
        pinFile,
      ]);
      expect(out).toMatch(new RegExp(`${ENTRIES} entries backed up; PIN set`));
      expect(readFileSync(rkFile, 'utf8')).toMatch(/^([A-Z2-7]{4}-){8}[A-Z2-7]{4}\n$/);
      expect(statSync(rkFile).mode & 0o777).toBe(0o600);
    }, STEP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.close();
      ws.remove();
    });

    const b = ws.device();
    const c = ws.device();
    const d = ws.device();

    it(
      'refuses to lose a recovery key or to use a mistyped one',
      async () => {
        const other = ws.device();
        const r = await other.run([
          'keychain',
          'signup',
          '--server',
          server.url,
          '--email',
          'other@example.com',
        ]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/not on a terminal: give --recovery-key-file F/);
        // A sign-up that fails (here: the email is taken) leaves no key file behind to mislead or block a retry.
        const unused = `${ws.dir}/unused-recovery-key.txt`;
        const taken = await other.run([
          'keychain',
          'signup',
          '--server',
          server.url,
          '--email',
          EMAIL,
          '--recovery-key-file',
          unused,
        ]);
        expect(taken.code).toBe(1);
        expect(taken.stderr).toMatch(/already exists; sign in instead/);
        expect(existsSync(unused)).toBe(false);
        const typo = readFileSync(rkFile, 'utf8').replace(/^(.)/, (ch) => (ch === 'A' ? 'B' : 'A'));
        const t = await other.run([
          'keychain',
          'recover',
          '--recovery-key-file',
          ws.file('typo', typo),
          '--server',
          server.url,
          '--email',
          EMAIL,
        ]);
        expect(t.code).toBe(1);
        expect(t.stderr).toMatch(/^tessera: The recovery key has a typo: its checksum does not match\.$/m);
        expect(JSON.parse(await other.ok(['keychain', 'status', '--json'])).signedIn).toBe(false);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'restores 200 entries by approval, by recovery key and by PIN, with identical codes everywhere',
      async () => {
        const { verificationCode } = JSON.parse(await join(b)) as { verificationCode: string };
        // Pending: nothing restored yet, and `sync` says so.
        expect((await b.run(['sync'])).stderr).toMatch(/waiting for approval/);
        // `login` again resumes the same run with the same code, and waits while A approves.
        const joined = await b.joinApprovedBy(a, { server: server.url, email: EMAIL });
        expect(joined.code).toBe(verificationCode);
        expect(joined.approved).toMatch(/^approved /);
        expect(joined.restored).toBe(ENTRIES);
        await expectSameAsA(b);
        expect(shared).toHaveLength(ENTRIES);
        expect((await b.entries({ includeDeviceOnly: true })).some((e) => e.issuer === 'LocalOnly')).toBe(
          false,
        );
        expect((await a.entries({ includeDeviceOnly: true })).some((e) => e.issuer === 'LocalOnly')).toBe(
          true,
        );

        expect(
          await c.ok([
            'keychain',
            'recover',
            '--recovery-key-file',
            rkFile,
            '--server',
            server.url,
            '--email',
            EMAIL,
          ]),
        ).toMatch(new RegExp(`trusted; ${ENTRIES} entries restored`));
        await expectSameAsA(c);

        await join(d);
        expect(await d.ok(['keychain', 'recover', '--pin-file', pinFile])).toMatch(
          new RegExp(`${ENTRIES} entries restored`),
        );
        await expectSameAsA(d);

        const devices = JSON.parse(await a.ok(['keychain', 'devices', '--json'])) as {
          status: string;
          via: string;
        }[];
        expect(devices.map((x) => `${x.status}:${x.via}`).sort()).toEqual([
          'trusted:approval',
          'trusted:genesis',
          'trusted:pin',
          'trusted:recovery',
        ]);
        const status = JSON.parse(await c.ok(['keychain', 'status', '--json'])) as Record<string, unknown>;
        expect(status).toMatchObject({ trusted: true, pendingChanges: 0, account: EMAIL, trustedDevices: 4 });
        expect(status.lastVerifiedAt).not.toBeNull();
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'delivers an edit on one device to a running listener on another through the live feed',
      async () => {
        const listener = b.spawn(['sync', '--follow', '--json']);
        const followed = outputOf(listener.stdout!);
        try {
          await followed.waitFor(/"connected"/);
          await a.ok(['rename', 'Service7', '--issuer', 'Renamed Seven']);
          await followed.waitFor(/"event":"synced","pulled":1/);
          expect((await b.entries()).some((e) => e.issuer === 'Renamed Seven')).toBe(true);
        } finally {
          listener.kill('SIGTERM');
        }
        await expectSameAsA(b);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'merges offline edits made on two devices without losing any',
      async () => {
        await server.down();
        const offlineA = await a.run([
          'add',
          '--secret',
          'GEZDGNBVGY3TQOJQ',
          '--issuer',
          'OfflineA',
          '--account',
          'x',
        ]);
        expect(offlineA.code).toBe(0);
        expect(offlineA.stderr).toMatch(/backup queued \(1 pending change\)/);
        await a.ok(['rename', 'Service1', '--account', 'renamed-on-a']);
        await c.ok(['add', '--secret', 'GEZDGNBVGY3TQOJR', '--issuer', 'OfflineC', '--account', 'y']);
        await c.ok(['rm', 'Service2', '--yes']);
        await c.ok(['rename', 'Service1', '--issuer', 'Renamed One On C']);
        expect(JSON.parse(await a.ok(['keychain', 'status', '--json', '--offline'])).pendingChanges).toBe(2);
        await server.up();
        for (const device of [a, c, a, b, d]) await device.ok(['sync']);
        await expectSameAsA(b);
        for (const device of [c, d]) expect(await device.entries()).toEqual(shared);
        const names = shared.map((e) => `${e.issuer}/${e.account}`);
        expect(names).toContain('OfflineA/x');
        expect(names).toContain('OfflineC/y');
        expect(names).toContain('Renamed One On C/renamed-on-a');
        expect(names.some((n) => n.startsWith('Service2/'))).toBe(false);
        expect(shared).toHaveLength(ENTRIES + 1);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'locks the PIN after ten wrong attempts; the right PIN then fails clearly; the other paths still work',
      async () => {
        const e = ws.device();
        await join(e);
        const wrong = ws.file('wrong-pin', '0000\n');
        for (let attempt = 1; attempt <= 10; attempt++) {
          const r = await e.run(['keychain', 'recover', '--pin-file', wrong]);
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(
            attempt < 10
              ? new RegExp(`Wrong keychain PIN; ${10 - attempt} attempts? left`)
              : /last attempt, the PIN is now locked/,
          );
        }
        const eleventh = await e.run(['keychain', 'recover', '--pin-file', pinFile]);
        expect(eleventh.code).toBe(1);
        expect(eleventh.stderr).toMatch(
          /PIN was locked for good after 10 wrong attempts; use the recovery key or approval/,
        );
        expect(JSON.parse(await e.ok(['keychain', 'status', '--json'])).trusted).toBe(false);

        await e.ok(['keychain', 'recover', '--recovery-key-file', rkFile]);
        await expectSameAsA(e);
        // Approval, with `login` waiting for it and restoring by itself.
        const f = ws.device();
        const waiting = f.spawn(['keychain', 'login', '--server', server.url, '--email', EMAIL]);
        const shown = outputOf(waiting.stdout!);
        const exited = new Promise<number | null>((resolve) => waiting.on('close', resolve));
        const [, verification] = await shown.waitFor(/verification code: (\d{4}-\d{4})/);
        await a.ok(['keychain', 'approve', '--code', verification!]);
        expect(await exited).toBe(0);
        expect(shown.output()).toMatch(new RegExp(`approved; ${ENTRIES + 1} entries restored`));
        await expectSameAsA(f);

        // Other commands tell the user in one line each; status lists the notices.
        const add = await a.run([
          'add',
          '--secret',
          'GEZDGNBVGY3TQOJU',
          '--issuer',
          'AfterLockout',
          '--account',
          'v',
        ]);
        expect(add.code).toBe(0);
        expect(add.stderr).toMatch(
          /^tessera: notice: A wrong keychain PIN was tried \(9 attempts left\)\.$/m,
        );
        expect(add.stderr).toMatch(
          /^tessera: notice: The keychain PIN was locked for good after 10 wrong attempts/m,
        );
        expect(add.stderr).toMatch(/^tessera: notice: The recovery key was used to add /m);
        expect(await a.ok(['keychain', 'status'])).toMatch(/notice: .* The keychain PIN was locked for good/);

        // A trusted device sets a new PIN; the PIN path works again.
        const newPin = ws.file('new-pin', 'another-pin-7310\n');
        expect(await a.ok(['keychain', 'set-pin', '--pin-file', newPin])).toMatch(/keychain PIN set/);
        const g = ws.device();
        await join(g);
        expect((await g.run(['keychain', 'recover', '--pin-file', pinFile])).stderr).toMatch(
          /Wrong keychain PIN; 9 attempts left/,
        );
        // The PIN may come from TESSERA_PIN instead of a file, like every other secret.
        await g.ok(['keychain', 'recover'], { TESSERA_PIN: 'another-pin-7310' });
        await expectSameAsA(g);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'leaves a removed device unable to read anything written afterwards',
      async () => {
        const removed = await keychainState(d);
        // A removal replaces the recovery key: off a terminal it must be written to a file.
        const refused = await a.run(['keychain', 'remove-device', removed.deviceId]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/not on a terminal: give --recovery-key-file F/);
        expect(
          JSON.parse(await a.ok(['keychain', 'devices', '--json'])).find(
            (x: { id: string }) => x.id === removed.deviceId,
          ).status,
        ).toBe('trusted');
        const removal = await a.ok(
          ['keychain', 'remove-device', removed.deviceId, '--recovery-key-file', rkAfterRemoval],
          { TESSERA_PIN: 'another-pin-7310' },
        );
        expect(removal).toMatch(
          /removed .*; the vault key was rotated and every entry re-encrypted; the recovery key was replaced \(new key in .*\); the PIN was set again under a new escrow key/,
        );
        expect(statSync(rkAfterRemoval).mode & 0o777).toBe(0o600);
        await a.ok(['add', '--secret', 'GEZDGNBVGY3TQOJS', '--issuer', 'AfterRemoval', '--account', 'z']);
        const r = await d.run(['sync']);
        expect(r.code).toBe(1);
        expect((await d.entries()).some((x) => x.issuer === 'AfterRemoval')).toBe(false);

        // Even with the server's copy in hand, the removed device's keys open nothing: every item is now
        // under epoch 2, whose key was never wrapped to it.
        const owner = await keychainState(a);
        const client = new KeychainClient({
          server: owner.server,
          client: 'tessera-cli/0.2.0',
          session: owner.session,
        });
        const { items } = await client.call('items', { query: { since: 0, limit: 1000 } });
        expect(items.length).toBeGreaterThan(ENTRIES);
        expect(new Set(items.map((i) => i.epoch))).toEqual(new Set([2]));
        expect(Object.keys(removed.vaultKeys)).toEqual(['1']);
        for (const item of items) {
          for (const epoch of [1, 2]) {
            expect(() =>
              decryptItem({
                accountId: owner.accountId,
                id: item.id,
                epoch,
                vk: fromB64u(removed.vaultKeys['1']!),
                ciphertext: item.ciphertext,
              }),
            ).toThrow();
          }
        }
        // The removed device says so: not "trusted: yes"; signing in again says why, then it can join anew.
        expect(await d.ok(['keychain', 'status'])).toMatch(
          /^trusted: +signed out: the server ended this device's session/m,
        );
        const again = await d.run(['keychain', 'login', '--server', server.url, '--email', EMAIL]);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(
          /^tessera: This device was removed from the keychain; run `tessera keychain login` again to join as a new device\.$/m,
        );
        expect(await d.ok(['keychain', 'status', '--offline'])).toMatch(/^trusted: +no, removed$/m);
        const rejoin = JSON.parse(
          (
            await d.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json'])
          ).split('\n')[0]!,
        ) as { deviceId: string; verificationCode: string };
        expect(rejoin.verificationCode).toMatch(/^\d{4}-\d{4}$/);
        await a.ok(['keychain', 'remove-device', rejoin.deviceId]);

        // The remaining devices follow the rotation and keep reading everything.
        await b.ok(['sync']);
        await expectSameAsA(b);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'after the removal only the new recovery key and the kept PIN restore; rotate-recovery-key retires a key again',
      async () => {
        const e = ws.device();
        await join(e);
        const old = await e.run(['keychain', 'recover', '--recovery-key-file', rkFile]);
        expect(old.code).toBe(1);
        expect(old.stderr).toMatch(
          /^tessera: This recovery key was replaced on \d{4}-\d{2}-\d{2} \(circle link \d+\); use the newer recovery key/m,
        );
        await e.ok(['keychain', 'recover', '--recovery-key-file', rkAfterRemoval]);
        await expectSameAsA(e);
        const f = ws.device();
        await join(f);
        await f.ok(['keychain', 'recover'], { TESSERA_PIN: 'another-pin-7310' });
        await expectSameAsA(f);

        const rotated = `${ws.dir}/recovery-key-3.txt`;
        expect(await b.ok(['keychain', 'rotate-recovery-key', '--recovery-key-file', rotated])).toMatch(
          /recovery key replaced \(new key in .*\); the old one no longer restores the keychain/,
        );
        expect(readFileSync(rotated, 'utf8')).toMatch(/^([A-Z2-7]{4}-){8}[A-Z2-7]{4}\n$/);
        // Every device follows the new epoch; the key it replaced is told so.
        await a.ok(['sync']);
        await expectSameAsA(b);
        const g = ws.device();
        await join(g);
        expect((await g.run(['keychain', 'recover', '--recovery-key-file', rkAfterRemoval])).stderr).toMatch(
          /This recovery key was replaced on/,
        );
        await g.ok(['keychain', 'recover', '--recovery-key-file', rotated]);
        await expectSameAsA(g);
        expect(await a.ok(['keychain', 'status'])).toMatch(/notice: .*The recovery key was replaced/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'detects a server that serves an older state',
      async () => {
        await server.down();
        await server.snapshot();
        await server.up();
        await a.ok(['add', '--secret', 'GEZDGNBVGY3TQOJT', '--issuer', 'BeforeRollback', '--account', 'w']);
        expect(JSON.parse(await a.ok(['keychain', 'status', '--json'])).pendingChanges).toBe(0);
        await server.down();
        await server.restoreSnapshot();
        await server.up();
        const r = await a.run(['sync']);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/serves an older state \(version \d+\) than this device has seen/);
        expect((await a.entries()).some((x) => x.issuer === 'BeforeRollback')).toBe(true);
        expect(JSON.parse(await a.ok(['keychain', 'status', '--json', '--offline'])).lastError).toMatch(
          /older state/,
        );
      },
      STEP_TIMEOUT_MS,
    );

    it('leaves no secret, issuer or account name in the server data, in any encoding', async () => {
      const needles = [PASSWORD, 'tessera-pin-4821', readFileSync(rkFile, 'utf8').trim()];
      const secrets = [
        'JBSWY3DPEHPK3PXP',
        'GEZDGNBVGY3TQOJQ',
        'GEZDGNBVGY3TQOJR',
        'GEZDGNBVGY3TQOJS',
        'GEZDGNBVGY3TQOJT',
      ];
      needles.push(
        'LocalOnly',
        'secret-admin',
        'OfflineA',
        'OfflineC',
        'AfterRemoval',
        'BeforeRollback',
        'Renamed Seven',
        'renamed-on-a',
      );
      for (const line of readFileSync(importFile, 'utf8').trim().split('\n')) {
        const uri = new URL(line);
        secrets.push(uri.searchParams.get('secret')!);
        needles.push(uri.searchParams.get('issuer')!, decodeURIComponent(uri.pathname.split(':')[1]!));
      }
      // Needles that really went through the server: a device restored from it shows them.
      const imported = readFileSync(importFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => new URL(l).searchParams.get('issuer')!);
      const restored = (await b.entries()).map((e) => e.issuer);
      expect(imported.filter((issuer) => restored.includes(issuer)).length).toBeGreaterThan(ENTRIES / 2);
      // The plaintext of a synced record as the vault writes it (the item plaintext, PROTOCOL §3).
      const aVault = await openNodeVault({
        home: a.home,
        env: { ...process.env, TESSERA_KEY_STORE: 'file' },
      });
      const sample = aVault.records().find((r) => !r.entry.deviceOnly)!;
      const recordJson = [JSON.stringify(sample), JSON.stringify(sample.entry)];
      const dump = await server.dump();
      expect(findLeaks(dump, { secrets, texts: [...needles, ...recordJson] })).toEqual([]);
      const found = (needle: string) => dump.toString('latin1').toLowerCase().includes(needle.toLowerCase());
      // The dump is real: it holds what the server may know, e.g. the account email.
      expect(found(EMAIL)).toBe(true);
    });
  });
}
