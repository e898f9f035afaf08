// Folders following their members' sharing keys (docs/PROTOCOL.md §12.2, §12.8) through the real
// server: a device that is about to be removed (or stolen) and still holds the account's old key
// races the account with a key change of its own; the account's remaining devices refuse the folder
// loudly. An invitee whose key rotated before it accepted follows its invite to the new key.
import { describe, expect, it } from 'vitest';
import { canon } from '@tessera/protocol';
import { ensureSharingKey, login, removeDevice, signup, syncRound } from '../../src/keychain/index.js';
import { b64u } from '../../src/keychain/bytes.js';
import {
  acceptInvite,
  buildFolderLink,
  createFolder,
  inviteMember,
  loadFolders,
  sharingKey,
  sharingRotationMessage,
  syncFolders,
  verifyFolderLog,
  type FolderLink,
} from '../../src/folders/index.js';
import { approveJoin, device, folderRefused, useProxiedServer } from '../keychain/tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

/** Each case signs up accounts and rotates keys (Argon2, OPAQUE): minutes on a loaded shared machine. */
const CASE_TIMEOUT_MS = 180_000;

describe('folders following sharing key rotations (client)', () => {
  const proxy = useProxiedServer();
  const password = 'correct horse battery staple';
  const keep = async () => {};
  const yes = async () => true;

  async function account(tag: string): Promise<Device> {
    const d = await device();
    await signup(d.keychain, {
      server: proxy.url,
      email: `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`,
      password,
      deviceName: tag,
      keepRecoveryKey: keep,
    });
    await ensureSharingKey({ keychain: d.keychain });
    return d;
  }

  async function second(first: Device, name: string): Promise<Device> {
    const d = await device();
    const joined = await login(d.keychain, {
      server: proxy.url,
      email: first.keychain.requireState().email,
      password,
      deviceName: name,
    });
    await approveJoin(first, d, joined.verificationCode);
    await syncRound(d.keychain);
    return d;
  }

  it(
    "refuses loudly, on the account's own devices, a folder a device with its old key moved first",
    async () => {
      const alice = await account('alice');
      const bob = await account('bob');
      const bob2 = await second(bob, 'bob2');
      const { id: folder } = await createFolder({ keychain: alice.keychain, name: 'Raced' });
      const email = bob.keychain.requireState().email;
      await inviteMember({ keychain: alice.keychain, folder, email, role: 'editor', confirm: yes });
      await acceptInvite({ keychain: bob.keychain, folder, confirm: yes });
      await syncFolders({ keychain: alice.keychain });
      await syncFolders({ keychain: bob2.keychain });

      // bob2 (about to be removed, or stolen) moves the folder to a key of its own, signed with the
      // account's current key, which it holds.
      const old = await ensureSharingKey({ keychain: bob2.keychain });
      const evil = sharingKey();
      const bobAccount = bob2.keychain.requireState().accountId;
      const res = await bob2.keychain.client().call('folderLinks', { query: { folder } });
      const links = res.links.map((t) => JSON.parse(t) as FolderLink);
      const state = verifyFolderLog({ folder, links });
      const race = buildFolderLink({
        state,
        folder,
        link: {
          op: 'member-key',
          by: bobAccount,
          signer: evil,
          member: { account: bobAccount, role: 'editor', ...evil.public },
          from: old.public,
          keyChain: [
            {
              ...evil.public,
              sig: b64u(old.sign(sharingRotationMessage({ from: old.public, to: evil.public }))),
            },
          ],
        },
      });
      await bob2.keychain
        .client()
        .call('folderLinkPost', { body: { folder, expectedHead: state.head.seq, link: canon(race) } });

      // bob removes bob2: the rotation completes, then the folder step says what happened.
      await folderRefused(
        removeDevice(bob.keychain, bob2.keychain.requireState().deviceId, { keepRecoveryKey: keep }),
        'key-hijacked',
        /keys were rotated, but .*moved to a sharing key this account never had .*remove this account and invite it again/,
      );
      expect(bob.keychain.requireState().circle!.epoch).toBe(2);
      // Every later sync of bob's says it again; nothing of the folder is used meanwhile.
      await folderRefused(syncFolders({ keychain: bob.keychain }), 'key-hijacked', /never had \(link 3/);
      // The owner's device cannot tell (the old key signed the change): it follows the first change.
      await syncFolders({ keychain: alice.keychain });
      const seen = loadFolders(alice.keychain).folders[folder]!.state;
      expect(seen.members[bobAccount]).toMatchObject({ ...evil.public, keyChangedAt: 3 });
      expect(seen.epoch).toBe(2);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'moves an invite to the new key when the invitee removed a device before accepting',
    async () => {
      const alice = await account('alice');
      const carol = await account('carol');
      const carol2 = await second(carol, 'carol2');
      const { id: folder } = await createFolder({ keychain: alice.keychain, name: 'Later' });
      const email = carol.keychain.requireState().email;
      const before = (await ensureSharingKey({ keychain: carol.keychain })).public;
      await inviteMember({ keychain: alice.keychain, folder, email, role: 'viewer', confirm: yes });
      await removeDevice(carol.keychain, carol2.keychain.requireState().deviceId, { keepRecoveryKey: keep });
      const now = (await ensureSharingKey({ keychain: carol.keychain })).public;
      expect(now).not.toEqual(before);
      await acceptInvite({ keychain: carol.keychain, folder, confirm: yes });
      await syncFolders({ keychain: alice.keychain });
      const view = await syncFolders({ keychain: carol.keychain });
      expect(view.folders).toEqual([{ id: folder, name: 'Later', role: 'viewer', epoch: 1, entries: 0 }]);
      const state = loadFolders(alice.keychain).folders[folder]!.state;
      expect(state.members[carol.keychain.requireState().accountId]).toMatchObject({
        ...now,
        status: 'active',
      });
    },
    CASE_TIMEOUT_MS,
  );
});
