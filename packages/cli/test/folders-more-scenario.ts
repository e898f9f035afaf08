// Shared folders with the real `tessera` binary on SQLite and PostgreSQL, one test file each (build first:
// `npx tsc -b packages/cli`): the invitee sees the folder's name before accepting, members take the
// codes of a shared HOTP entry in turn and never get the same one (RFC 4226's codes for its secret),
// a viewer is refused with the reason, and owners and editors rename and delete folder entries
// (`rename|rm --folder`) while a viewer cannot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, signupAccount, TestServer, Workspace, type Backend } from './keychain-harness.js';
import { inviteMember } from './folders-harness.js';

/** Each step runs many CLI processes; a machine shared by several test runs needs minutes. */
const STEP_TIMEOUT_MS = 420_000;
const FOLDER = 'Door codes 9';
/** RFC 4226 appendix D: the secret "12345678901234567890" and its codes for counters 0 to 5. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_CODES = ['755224', '287082', '359152', '969429', '338314', '254676'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Registers the scenario for one database backend (folders-more-{sqlite,postgres}.e2e.test.ts). */
export function foldersMoreScenario(backend: Backend): void {
  describe(`shared folders, HOTP and edits, on ${backend}`, () => {
    const ws = new Workspace();
    let server: TestServer;
    const alice = ws.device();
    const bob = ws.device();
    const carol = ws.device();
    const emails = {
      alice: `alice-more-${backend}@example.com`,
      bob: `bob-more-${backend}@example.com`,
      carol: `carol-more-${backend}@example.com`,
    };
    let folderId = '';

    const signup = (device: Device, email: string) => signupAccount(device, server.url, email);
    const owner = { device: alice, email: emails.alice, folder: FOLDER, folderId: () => folderId };
    const invite = (member: Device, email: string, role: 'editor' | 'viewer') =>
      inviteMember(owner, member, email, role);

    const take = (device: Device) => device.run(['code', '--folder', FOLDER, 'Door']);

    beforeAll(async () => {
      server = await TestServer.start(backend, ws.dir);
      await signup(alice, emails.alice);
      await signup(bob, emails.bob);
      await signup(carol, emails.carol);
      await bob.ok(['folder', 'list']);
      await carol.ok(['folder', 'list']);
      folderId = (JSON.parse(await alice.ok(['folder', 'create', FOLDER, '--json'])) as { id: string }).id;
      await invite(bob, emails.bob, 'editor');
      await invite(carol, emails.carol, 'viewer');
    }, STEP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.close();
      ws.remove();
    });

    it(
      'members take HOTP codes in turn and never get the same one; a viewer is refused with the reason',
      async () => {
        await alice.ok([
          'add',
          '--folder',
          FOLDER,
          '--type',
          'hotp',
          '--secret',
          RFC_SECRET,
          '--counter',
          '0',
          '--issuer',
          'Door',
          '--account',
          'night',
        ]);
        await bob.ok(['sync']);
        await carol.ok(['sync']);
        const codes: string[] = [];
        // No sync in between: each take is refused as stale once, merges the other's counter and moves on.
        for (const device of [alice, bob, bob, alice]) {
          const result = await take(device);
          expect(result.stderr).not.toMatch(/Error/);
          expect(result.code).toBe(0);
          codes.push(result.stdout.trim());
        }
        expect(codes).toEqual(RFC_CODES.slice(0, 4));
        const refused = await take(carol);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toMatch(/viewer cannot take counter-based \(HOTP\) codes/);
        // The viewer's refusal moved nothing: the next take is the next code.
        expect((await take(bob)).stdout.trim()).toBe(RFC_CODES[4]);
        await carol.ok(['sync']);
        const seen = (JSON.parse(await carol.ok(['list', '--json'])) as Json[]).find(
          (r) => r.issuer === 'Door',
        );
        expect(seen).toMatchObject({ folder: { id: folderId, name: FOLDER }, counter: 5 });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'renames and deletes a folder entry for every member; a viewer cannot',
      async () => {
        expect(await bob.ok(['rename', '--folder', FOLDER, 'Door', '--issuer', 'Back door'])).toContain(
          `renamed Door (night) to Back door (night) in folder ${FOLDER}`,
        );
        await alice.ok(['sync']);
        const rows = JSON.parse(await alice.ok(['list', '--json'])) as Json[];
        expect(rows.filter((r) => r.folder?.id === folderId).map((r) => r.issuer)).toEqual(['Back door']);
        // The rename kept the counter every member moved: the next code is still the next one.
        expect((await alice.run(['code', '--folder', FOLDER, 'Back door'])).stdout.trim()).toBe(RFC_CODES[5]);

        await carol.ok(['sync']);
        const denied = await carol.run(['rename', '--folder', FOLDER, 'Back door', '--issuer', 'Mine']);
        expect(denied.code).toBe(1);
        expect(denied.stderr).toMatch(/A viewer cannot add, edit or delete entries/);
        const deniedRm = await carol.run(['rm', '--folder', FOLDER, 'Back door', '--yes']);
        expect(deniedRm.code).toBe(1);
        expect(deniedRm.stderr).toMatch(/A viewer cannot add, edit or delete entries/);

        expect(await bob.ok(['rm', '--folder', FOLDER, 'Back door', '--yes'])).toContain(
          `deleted Back door (night) from folder ${FOLDER} for every member`,
        );
        await alice.ok(['sync']);
        const after = JSON.parse(await alice.ok(['list', '--json'])) as Json[];
        expect(after.filter((r) => r.folder?.id === folderId)).toEqual([]);
      },
      STEP_TIMEOUT_MS,
    );
  });
}
