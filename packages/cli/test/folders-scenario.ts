// Shared folders end to end (issue 16) on SQLite and PostgreSQL (one test file each, run in parallel): the real server, a tampering proxy in
// front of it, and CLI homes running the real `tessera` binary (build first: `npx tsc -b packages/cli`).
// Three accounts: invites confirmed by safety number, the same codes on every member's devices, one
// account's change seen by another, a viewer refused, revocation with rotation checked against the
// server's stored data, a server that forges a member, swaps a folder key or rolls the log back, a
// member account and an owner account each removing one of their devices (a new sharing key, a
// member-key link, a new folder key: the removed device's stored keys open nothing new), forged key
// changes, and the zero-knowledge scan of the server's files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import {
  buildFolderLink,
  FOLDER_NAME_ID,
  FolderError,
  openFolderEntry,
  openFolderName,
  sharingKey,
  sharingRotationMessage,
  unwrapFolderKey,
  verifyFolderLog,
  openSharingKey,
  wrapFolderKey,
  type FolderLink,
  type FolderState,
  type LocalFolders,
  type SharingKey,
} from '@tessera/vault/folders';
import { b64u, fromB64u, type KeychainState } from '@tessera/vault/keychain';
import { canon } from '@tessera/protocol';
import { findLeaks } from '../../server/test/leaks.js';
import { TamperingProxy, type Json } from '../../vault/test/keychain/tampering-proxy.js';
import { Device, signupAccount, TestServer, Workspace, type Backend } from './keychain-harness.js';
import { inviteMember } from './folders-harness.js';

/** Each step runs many CLI processes; a machine shared by several test runs needs minutes. */
const STEP_TIMEOUT_MS = 420_000;
const TIME = '1700000000';
const FOLDER = 'Household Vault 7';
const SECRETS = {
  bank: 'JBSWY3DPEHPK3PXP',
  bob: 'GEZDGNBVGY3TQOJQ',
  after: 'GEZDGNBVGY3TQOJR',
  rotated: 'GEZDGNBVGY3TQOJS',
};

/** What a removed device keeps (it may hold on to its files): its sharing key and folder keys. */
async function storedKeys(
  device: Device,
  folder: string,
): Promise<{ sharing: SharingKey; folderKeys: Uint8Array[] }> {
  const { keychain, folders } = await vaultMeta(device);
  const sharing = openSharingKey({
    sealed: keychain.circle!.sharing!.sealed,
    vk: fromB64u(keychain.vaultKeys[String(keychain.circle!.sharing!.epoch)]!),
    accountId: keychain.accountId,
  });
  return { sharing, folderKeys: Object.values(folders.folders[folder]!.keys).map((k) => fromB64u(k)) };
}

/** `from`'s signature of the change to `to`, as a circle rotation carries it (§12.1). */
const keyStep = (from: SharingKey, to: SharingKey) => ({
  ...to.public,
  sig: b64u(from.sign(sharingRotationMessage({ from: from.public, to: to.public }))),
});

async function vaultMeta(device: Device) {
  const vault = await openNodeVault({
    home: device.home,
    env: { ...process.env, TESSERA_KEY_STORE: 'file' },
  });
  return {
    keychain: vault.getMeta('keychain') as unknown as KeychainState,
    folders: vault.getMeta('folders') as unknown as LocalFolders,
  };
}

/** Registers the whole scenario for one database backend (folders-{sqlite,postgres}.e2e.test.ts). */
export function foldersScenario(backend: Backend): void {
  describe(`shared folders end to end on ${backend}`, () => {
    const ws = new Workspace();
    let server: TestServer;
    let proxy: TamperingProxy;
    const alice = ws.device();
    const alice2 = ws.device();
    const bob = ws.device();
    const carol = ws.device();
    const carol2 = ws.device();
    const emails = {
      alice: `alice-${backend}@example.com`,
      bob: `bob-${backend}@example.com`,
      carol: `carol-${backend}@example.com`,
    };
    let folderId = '';

    const signup = (device: Device, email: string) => signupAccount(device, proxy.url, email);
    const owner = { device: alice, email: emails.alice, folder: FOLDER, folderId: () => folderId };
    const invite = (member: Device, email: string, role: 'editor' | 'viewer') =>
      inviteMember(owner, member, email, role);

    /** The server hides the newest `count` links of the member log from `device`, which verified them: refused. */
    async function expectLogRollbackRefused(device: Device, count: number): Promise<void> {
      proxy.tamper = (req, res) =>
        req.method === 'GET' && req.path.startsWith('/v1/folders/links')
          ? { ...res, links: (res.links as string[]).slice(0, -count) }
          : undefined;
      const rolled = await device.run(['sync']);
      proxy.tamper = null;
      expect(rolled.code).toBe(1);
      expect(rolled.stderr).toMatch(
        /member log of folder .* ends at link \d+, before link \d+ already verified/,
      );
    }

    /** `tessera add` arguments for an entry in the shared folder. */
    const addToFolder = (secret: string, issuer: string, account: string) => [
      'add',
      '--folder',
      FOLDER,
      '--secret',
      secret,
      '--issuer',
      issuer,
      '--account',
      account,
    ];
    const code = async (device: Device, query: string) =>
      (await device.ok(['code', '--folder', FOLDER, query, '--time', TIME])).trim();

    beforeAll(async () => {
      server = await TestServer.start(backend, ws.dir);
      proxy = new TamperingProxy(server.url);
      await proxy.start();
      await signup(alice, emails.alice);
      await signup(bob, emails.bob);
      await signup(carol, emails.carol);
      await alice2.joinApprovedBy(alice, { server: proxy.url, email: emails.alice });
      // The invitees publish their sharing keys the first time they use folders.
      await bob.ok(['folder', 'list']);
      await carol.ok(['folder', 'list']);
    }, STEP_TIMEOUT_MS);

    afterAll(async () => {
      proxy.tamper = null;
      await proxy?.close();
      await server?.close();
      ws.remove();
    });

    it(
      'invites with the safety number confirmed on both sides; every member device shows the same codes',
      async () => {
        const created = JSON.parse(await alice.ok(['folder', 'create', FOLDER, '--json'])) as { id: string };
        folderId = created.id;
        await alice.ok(addToFolder(SECRETS.bank, 'SharedBank', 'family'));
        // A number that does not match stops the invite.
        const wrong = await alice.run(['folder', 'invite', FOLDER, emails.bob, '--safety-number', '12345']);
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toMatch(/safety numbers differ/);
        // Without a terminal and without a confirmation flag, nothing is signed.
        const unconfirmed = await alice.run(['folder', 'invite', FOLDER, emails.bob]);
        expect(unconfirmed.stderr).toMatch(/pass --safety-number/);
        await invite(bob, emails.bob, 'editor');
        await alice2.ok(['sync']);
        const codes = [
          await code(alice, 'SharedBank'),
          await code(alice2, 'SharedBank'),
          await code(bob, 'SharedBank'),
        ];
        expect(codes[0]).toMatch(/^\d{6}$/);
        expect(new Set(codes).size).toBe(1);
        const rows = JSON.parse(await bob.ok(['list', '--json', '--time', TIME])) as Json[];
        expect(rows.find((r) => r.issuer === 'SharedBank')).toMatchObject({
          code: codes[0],
          folder: { id: folderId, name: FOLDER },
        });
        expect(await bob.ok(['list', '--time', TIME])).toContain(`[folder ${FOLDER}]`);
        const members = JSON.parse(await alice.ok(['folder', 'members', FOLDER, '--json'])) as Json[];
        expect(members.map((m) => [m.email, m.role, m.status]).sort()).toEqual([
          [emails.alice, 'owner', 'active'],
          [emails.bob, 'editor', 'active'],
        ]);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "shows one account's change to another, and refuses a viewer's write with a clear error",
      async () => {
        await bob.ok(addToFolder(SECRETS.bob, 'BobAdded', 'ops'));
        await alice2.ok(['sync']);
        expect(await code(alice2, 'BobAdded')).toBe(await code(bob, 'BobAdded'));
        await invite(carol, emails.carol, 'viewer');
        expect(await code(carol, 'SharedBank')).toBe(await code(alice, 'SharedBank'));
        const denied = await carol.run(addToFolder(SECRETS.after, 'ViewerTry', 'x'));
        expect(denied.code).toBe(1);
        expect(denied.stderr).toMatch(/A viewer cannot add, edit or delete entries/);
        const activity = JSON.parse(await alice.ok(['folder', 'activity', FOLDER, '--json'])) as Json[];
        expect(activity.some((e) => e.email === emails.carol && e.kind === 'code-revealed')).toBe(true);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'refuses a member the server added, a swapped folder key and a rolled-back member log',
      async () => {
        const intruder = sharingKey();
        proxy.tamper = (req, res) => {
          if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
          const links = (res.links as string[]).map((t) => JSON.parse(t) as FolderLink);
          const state = verifyFolderLog({ folder: folderId, links });
          const forged = buildFolderLink({
            state,
            folder: folderId,
            link: {
              op: 'invite',
              by: links[0]!.by,
              signer: intruder,
              member: { account: crypto.randomUUID(), role: 'editor', ...intruder.public },
            },
          });
          return { ...res, links: [...res.links, canon(forged)] };
        };
        const forged = await carol.run(['sync']);
        proxy.tamper = null;
        expect(forged.code).toBe(1);
        expect(forged.stderr).toMatch(/member log is forged .*signature/);

        // A new device of carol's must unwrap the folder key: the server hands it a key of its own.
        await carol2.joinApprovedBy(carol, { server: proxy.url, email: emails.carol });
        const carolMember = (await vaultMeta(carol)).folders.folders[folderId]!.state.members;
        proxy.tamper = (req, res) => {
          if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/wraps')) return undefined;
          return {
            wraps: (res.wraps as Json[]).map((w) => ({
              ...w,
              // A key of the server's own, wrapped to carol's real sharing key: it opens, but is not committed.
              wrapped: wrapFolderKey({
                folder: folderId,
                epoch: w.epoch as number,
                member: w.account as string,
                fk: crypto.getRandomValues(new Uint8Array(32)),
                recipient: carolMember[w.account as string]!,
              }),
            })),
          };
        };
        const swapped = await carol2.run(['sync']);
        proxy.tamper = null;
        expect(swapped.code).toBe(1);
        expect(swapped.stderr).toMatch(/is not the one the owners committed to/);

        // The server hides the newest link (carol's accept) from alice, who has verified it.
        await expectLogRollbackRefused(alice, 1);
        // Honest again: everyone syncs.
        await alice.ok(['sync']);
        await carol2.ok(['sync']);
        expect(await code(carol2, 'SharedBank')).toBe(await code(alice, 'SharedBank'));
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "removes a member with a new key: given the server's data afterwards, the removed account's keys open nothing new",
      async () => {
        const bobState = await vaultMeta(bob);
        const bobOldKey = fromB64u(bobState.folders.folders[folderId]!.keys['1']!);
        const bobSharing = openSharingKey({
          sealed: bobState.keychain.circle!.sharing!.sealed,
          vk: fromB64u(bobState.keychain.vaultKeys[String(bobState.keychain.circle!.sharing!.epoch)]!),
          accountId: bobState.keychain.accountId,
        });
        const out = await alice.ok(['folder', 'remove-member', FOLDER, emails.bob]);
        expect(out).toMatch(/folder key was replaced \(epoch 2\).*may have kept/);
        await alice.ok(addToFolder(SECRETS.after, 'AfterRemoval', 'z'));
        await bob.ok(['sync']);
        const bobList = JSON.parse(await bob.ok(['list', '--json'])) as Json[];
        expect(bobList.filter((r) => r.folder !== null)).toEqual([]);
        expect((await bob.run(['code', '--folder', FOLDER, 'SharedBank'])).code).toBe(1);

        // The server's stored data, read directly: every entry is sealed under epoch 2 now.
        const entries = await server.rows(
          `select id, epoch, blob from folder_entries where folder_id = '${folderId}'`,
        );
        expect(entries.length).toBe(4); // name + SharedBank + BobAdded + AfterRemoval
        const aliceLocal = (await vaultMeta(alice)).folders.folders[folderId]!;
        for (const row of entries) {
          expect(Number(row.epoch)).toBe(2);
          if (row.id === '00000000-0000-4000-8000-000000000000') continue;
          const sealed = { id: row.id as string, epoch: Number(row.epoch), blob: row.blob as string };
          expect(() => openFolderEntry({ fk: bobOldKey, folder: folderId, sealed })).toThrow(FolderError);
        }
        // No wrap of epoch 2 to bob, and bob's sharing key opens none of the epoch-2 wraps.
        const wraps = await server.rows(
          `select account_id, epoch, wrapped from folder_wraps where folder_id = '${folderId}' and epoch = 2`,
        );
        const bobAccount = bobState.keychain.accountId;
        expect(wraps.map((w) => w.account_id)).not.toContain(bobAccount);
        expect(wraps.length).toBeGreaterThanOrEqual(2);
        for (const w of wraps)
          expect(() =>
            unwrapFolderKey({
              folder: folderId,
              epoch: 2,
              member: w.account_id as string,
              wrapped: w.wrapped as string,
              key: bobSharing,
              state: aliceLocal.state,
            }),
          ).toThrow(FolderError);
        // carol, still a member, follows into epoch 2.
        await carol.ok(['sync']);
        expect(await code(carol, 'AfterRemoval')).toBe(await code(alice, 'AfterRemoval'));
      },
      STEP_TIMEOUT_MS,
    );

    /**
     * Given the server's rows now and `removed`'s stored keys: every entry and the name are sealed
     * under `epoch`, which no stored folder key opens, and no wrap of `epoch` opens with its sharing key,
     * while `holder` (a remaining device of that account) opens its own wrap.
     */
    async function opensNothingNew(
      removed: { sharing: SharingKey; folderKeys: Uint8Array[] },
      epoch: number,
      holder: Device,
    ) {
      const state: FolderState = (await vaultMeta(alice)).folders.folders[folderId]!.state;
      const entries = await server.rows(
        `select id, epoch, blob from folder_entries where folder_id = '${folderId}'`,
      );
      expect(entries.length).toBeGreaterThanOrEqual(3);
      expect(removed.folderKeys.length).toBeGreaterThanOrEqual(1);
      for (const row of entries) {
        expect(Number(row.epoch)).toBe(epoch);
        const sealed = { id: row.id as string, epoch: Number(row.epoch), blob: row.blob as string };
        for (const fk of removed.folderKeys)
          expect(() =>
            row.id === FOLDER_NAME_ID
              ? openFolderName({ fk, folder: folderId, sealed })
              : openFolderEntry({ fk, folder: folderId, sealed }),
          ).toThrow(FolderError);
      }
      const wraps = await server.rows(
        `select account_id, wrapped from folder_wraps where folder_id = '${folderId}' and epoch = ${epoch}`,
      );
      expect(wraps.length).toBe(2); // alice and carol
      const own = await storedKeys(holder, folderId);
      const holderAccount = (await vaultMeta(holder)).keychain.accountId;
      for (const w of wraps) {
        const ctx = {
          folder: folderId,
          epoch,
          member: w.account_id as string,
          wrapped: w.wrapped as string,
          state,
        };
        expect(() => unwrapFolderKey({ ...ctx, key: removed.sharing })).toThrow(FolderError);
        if (w.account_id === holderAccount)
          expect(unwrapFolderKey({ ...ctx, key: own.sharing }).length).toBe(32);
      }
    }

    it(
      "a member removes one of its devices: the folder follows its new key, and the removed device's keys open nothing new",
      async () => {
        await carol2.ok(['sync']);
        const removed = await storedKeys(carol2, folderId);
        const numberBefore = (await alice.ok(['folder', 'safety-number', emails.carol])).trim();
        const carol2Id = (await vaultMeta(carol2)).keychain.deviceId;
        await carol.ok(['keychain', 'remove-device', carol2Id, '--recovery-key-file', `${carol.home}.rk2`]);
        // carol is a viewer: her device moved the folder to her new key; the epoch is still 2.
        const carolState = (await vaultMeta(carol)).folders.folders[folderId]!.state;
        const carolAccount = (await vaultMeta(carol)).keychain.accountId;
        const newKey = (await storedKeys(carol, folderId)).sharing;
        expect(newKey.public).not.toEqual(removed.sharing.public);
        expect(carolState.members[carolAccount]).toMatchObject(newKey.public);
        expect(carolState.epoch).toBe(2);

        // The server (holding the removed device's old key) shows alice a key change signed only by
        // that old key in place of carol's, then a second change after hers: each refused.
        const evil = sharingKey();
        const forgedChange = (state: FolderState, signer: SharingKey): FolderLink =>
          buildFolderLink({
            state,
            folder: folderId,
            link: {
              op: 'member-key',
              by: carolAccount,
              signer,
              member: { account: carolAccount, role: 'viewer', ...evil.public },
              from: removed.sharing.public,
              keyChain: [keyStep(removed.sharing, evil)],
            },
          });
        const links = (res: Json) => (res.links as string[]).map((t) => JSON.parse(t) as FolderLink);
        proxy.tamper = (req, res) => {
          if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
          const honest = links(res).slice(0, -1);
          const before = verifyFolderLog({ folder: folderId, links: honest });
          return {
            ...res,
            links: [...honest.map((l) => canon(l)), canon(forgedChange(before, removed.sharing))],
          };
        };
        const oldKeyOnly = await alice.run(['sync']);
        expect(oldKeyOnly.code).toBe(1);
        expect(oldKeyOnly.stderr).toMatch(/key change is not signed by the new key it names/);
        proxy.tamper = (req, res) => {
          if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
          const all = verifyFolderLog({ folder: folderId, links: links(res) });
          return { ...res, links: [...res.links, canon(forgedChange(all, evil))] };
        };
        const conflicting = await alice.run(['sync']);
        proxy.tamper = null;
        expect(conflicting.code).toBe(1);
        expect(conflicting.stderr).toMatch(
          /second, conflicting key change \(the change at link \d+ stands\)/,
        );

        // Honest: alice's device (an owner) sees the change and starts epoch 3 at once.
        await alice.ok(['sync']);
        const aliceState = (await vaultMeta(alice)).folders.folders[folderId]!.state;
        expect(aliceState.epoch).toBe(3);
        expect(aliceState.rekeyDue).toBeUndefined();
        await alice.ok(addToFolder(SECRETS.rotated, 'AfterDeviceRemoval', 'r'));
        await alice2.ok(['sync']);
        await carol.ok(['sync']);
        for (const issuer of ['SharedBank', 'AfterRemoval', 'AfterDeviceRemoval']) {
          const codes = [await code(alice, issuer), await code(alice2, issuer), await code(carol, issuer)];
          expect(codes[0]).toMatch(/^\d{6}$/);
          expect(new Set(codes).size).toBe(1);
        }
        await opensNothingNew(removed, 3, carol);

        // Safety numbers: the number changed with carol's key; the membership stands, with a note.
        const numberAfter = (await alice.ok(['folder', 'safety-number', emails.carol])).trim();
        expect(numberAfter).not.toBe(numberBefore);
        expect((await carol.ok(['folder', 'safety-number', emails.alice])).trim()).toBe(numberAfter);
        const listed = await alice.ok(['folder', 'members', FOLDER]);
        expect(listed).toContain(
          `${emails.carol}  viewer  ${numberAfter}  (their devices changed; compare again if you want)`,
        );
        const members = JSON.parse(await alice.ok(['folder', 'members', FOLDER, '--json'])) as Json[];
        expect(members.find((m) => m.email === emails.carol)).toMatchObject({
          status: 'active',
          safetyNumber: numberAfter,
        });

        // The server strips the key change and the new epoch from carol, who verified them: refused.
        await expectLogRollbackRefused(carol, 2);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "an owner removes one of its devices: a new folder key at once, and the removed device's keys open nothing new",
      async () => {
        await alice2.ok(['sync']);
        const removed = await storedKeys(alice2, folderId);
        const alice2Id = (await vaultMeta(alice2)).keychain.deviceId;
        await alice.ok(['keychain', 'remove-device', alice2Id, '--recovery-key-file', `${alice.home}.rk2`]);
        const aliceState = (await vaultMeta(alice)).folders.folders[folderId]!.state;
        expect(aliceState.epoch).toBe(4);
        const aliceAccount = (await vaultMeta(alice)).keychain.accountId;
        expect(aliceState.members[aliceAccount]!.keyChangedAt).toBe(aliceState.head.seq - 1);
        await opensNothingNew(removed, 4, alice);
        await carol.ok(['sync']);
        for (const issuer of ['SharedBank', 'AfterDeviceRemoval'])
          expect(await code(carol, issuer)).toBe(await code(alice, issuer));
        // carol sees alice's devices changed.
        expect(await carol.ok(['folder', 'members', FOLDER])).toMatch(
          new RegExp(
            `${emails.alice.replace(/[.]/g, '\\.')}  owner  [\\d ]+  \\(their devices changed; compare again if you want\\)`,
          ),
        );
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "leaves no folder secret, name, issuer or account in the server's files (zero-knowledge scan)",
      async () => {
        const dump = await server.dump();
        expect(
          findLeaks(dump, {
            secrets: Object.values(SECRETS),
            texts: [FOLDER, 'SharedBank', 'BobAdded', 'AfterRemoval', 'ViewerTry', 'AfterDeviceRemoval'],
          }),
        ).toEqual([]);
        // The dump is real: it holds what the server may know, e.g. the accounts' emails.
        expect(dump.toString('latin1').includes(emails.carol)).toBe(true);
        await alice.ok(['folder', 'rm', FOLDER]);
        await carol.ok(['sync']);
        expect(JSON.parse(await carol.ok(['folder', 'list', '--json']))).toEqual({
          folders: [],
          invites: [],
        });
      },
      STEP_TIMEOUT_MS,
    );
  });
}
