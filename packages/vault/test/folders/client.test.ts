// The shared-folder client (docs/PROTOCOL.md §12.8) with three real accounts through the real
// server behind a tampering proxy: invites confirmed by safety number on both sides, entries seen
// alike by every member's devices, live feed events, viewers refused, removal with rotation (the
// removed account's key opens nothing new), and a server that tries to add a member, swap a folder
// key or roll the member log back, each refused with its own error.
import { beforeAll, describe, expect, it } from 'vitest';
import { currentCode } from '../../src/codes.js';
import {
  fromB64u,
  KeychainClient,
  KeychainError,
  login,
  readFeed,
  signup,
  syncRound,
} from '../../src/keychain/index.js';
import {
  acceptInvite,
  addFolderEntry,
  buildFolderLink,
  changeRole,
  createFolder,
  deleteFolder,
  deleteFolderEntry,
  editFolderEntry,
  folderActivity,
  folderMembers,
  FolderError,
  folderRecords,
  inviteMember,
  listFolders,
  loadFolders,
  openFolderEntry,
  pendingInvite,
  recordFolderActivity,
  removeMember,
  sealFolderEntry,
  safetyNumber,
  sharingKey,
  syncFolders,
  wrapFolderKey,
  verifyFolderLog,
  type FolderLink,
} from '../../src/folders/index.js';
import { canon } from '@tessera/protocol';
import { totpEntry } from '../fixtures.js';
import {
  approveJoin,
  device,
  folderRefused,
  useProxiedServer,
  type Json,
} from '../keychain/tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe('shared folders, client side', () => {
  const proxy = useProxiedServer();
  const password = 'correct horse battery staple';
  const keep = async () => {};
  let alice: Device;
  let alice2: Device;
  let bob: Device;
  let carol: Device;
  const email = (tag: string) => `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  let folder = '';

  async function account(tag: string): Promise<Device & { email: string }> {
    const d = await device();
    const e = email(tag);
    await signup(d.keychain, {
      server: proxy.url,
      email: e,
      password,
      deviceName: tag,
      keepRecoveryKey: keep,
    });
    return { ...d, email: e };
  }

  beforeAll(async () => {
    alice = await account('alice');
    bob = await account('bob');
    carol = await account('carol');
    alice2 = await device();
    const joined = await login(alice2.keychain, {
      server: proxy.url,
      email: alice.keychain.requireState().email,
      password,
      deviceName: 'alice2',
    });
    await approveJoin(alice, alice2, joined.verificationCode);
    await syncRound(alice2.keychain);
    // Invitees publish their sharing key the first time they use folders.
    expect(await listFolders({ keychain: bob.keychain })).toEqual({ folders: [], invites: [] });
    await listFolders({ keychain: carol.keychain });
  });

  const emailOf = (d: Device) => d.keychain.requireState().email;

  it('invites with the safety number confirmed on both sides, and shares entries to every device', async () => {
    const view = await createFolder({ keychain: alice.keychain, name: 'Family' });
    folder = view.id;
    expect(view).toMatchObject({ name: 'Family', role: 'owner', epoch: 1, entries: 0 });
    await addFolderEntry({ keychain: alice.keychain, folder, entry: totpEntry(1, { issuer: 'Bank' }) });

    // Refusing the comparison invites nobody.
    await folderRefused(
      inviteMember({
        keychain: alice.keychain,
        folder,
        email: emailOf(bob),
        role: 'editor',
        confirm: async () => false,
      }),
      'not-confirmed',
    );
    let shownToAlice = '';
    const invited = await inviteMember({
      keychain: alice.keychain,
      folder,
      email: emailOf(bob),
      role: 'editor',
      confirm: async (n) => {
        shownToAlice = n;
        return true;
      },
    });
    expect(invited.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(invited.safetyNumber).toBe(shownToAlice);
    const { invites } = await listFolders({ keychain: bob.keychain });
    expect(invites).toEqual([{ folder, name: 'Family', role: 'editor', invitedBy: emailOf(alice) }]);
    const pending = await pendingInvite({ keychain: bob.keychain, folder });
    expect(pending.safetyNumber).toBe(shownToAlice);
    await folderRefused(
      acceptInvite({ keychain: bob.keychain, folder, confirm: async () => false }),
      'not-confirmed',
    );
    await acceptInvite({ keychain: bob.keychain, folder, confirm: async (n) => n === shownToAlice });
    // Until an owner's device syncs there is no key for bob: his sync waits for it, skipping nothing.
    expect((await syncFolders({ keychain: bob.keychain })).folders).toEqual([
      { id: folder, name: '', role: 'editor', epoch: 1, entries: 0 },
    ]);
    // The owner's next sync wraps the key to bob; then bob sees the name and the entry.
    await syncFolders({ keychain: alice.keychain });
    const bobView = await syncFolders({ keychain: bob.keychain });
    expect(bobView.folders).toEqual([{ id: folder, name: 'Family', role: 'editor', epoch: 1, entries: 1 }]);
    await syncFolders({ keychain: alice2.keychain });
    const time = 1_700_000_000;
    const codes = [alice, alice2, bob].map((d) =>
      folderRecords({ keychain: d.keychain, folder }).map((r) => currentCode(r.entry, time).code),
    );
    expect(codes[0]).toHaveLength(1);
    expect(codes[1]).toEqual(codes[0]);
    expect(codes[2]).toEqual(codes[0]);
    const members = await folderMembers({ keychain: alice.keychain, folder });
    expect(members.find((m) => m.email === emailOf(bob))).toMatchObject({
      role: 'editor',
      status: 'active',
      safetyNumber: shownToAlice,
    });
  });

  it("delivers an editor's edit to the owner's devices live (a folders feed event)", async () => {
    const controller = new AbortController();
    const heard = new Promise<void>((resolve) => {
      void readFeed({
        // Straight to the server: the test proxy buffers whole answers, a stream never ends.
        client: new KeychainClient({
          server: proxy.upstream,
          client: 'tessera-cli/0.2.0',
          session: alice2.keychain.requireState().session,
        }),
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'folders' && (event.data as { folder: string }).folder === folder) resolve();
        },
      }).catch(() => undefined);
    });
    const [record] = folderRecords({ keychain: bob.keychain, folder });
    await editFolderEntry({
      keychain: bob.keychain,
      folder,
      id: record!.entry.id,
      patch: { issuer: 'Bank of Family' },
    });
    await heard;
    controller.abort();
    await syncFolders({ keychain: alice2.keychain, folder });
    expect(folderRecords({ keychain: alice2.keychain, folder })[0]!.entry.issuer).toBe('Bank of Family');
  });

  it('refuses writes by a viewer on the client and on the server, and logs its activity for owners', async () => {
    let number = '';
    await inviteMember({
      keychain: alice.keychain,
      folder,
      email: emailOf(carol),
      confirm: async (n) => ((number = n), true),
    });
    await acceptInvite({ keychain: carol.keychain, folder, confirm: async (n) => n === number });
    await syncFolders({ keychain: alice.keychain });
    await syncFolders({ keychain: carol.keychain });
    expect(folderRecords({ keychain: carol.keychain, folder })).toHaveLength(1);
    await folderRefused(
      addFolderEntry({ keychain: carol.keychain, folder, entry: totpEntry(2) }),
      'not-writer',
      /viewer cannot add/,
    );
    // A modified client that skips the check is refused by the server.
    const direct = await carol.keychain
      .client()
      .call('folderEntriesPost', {
        body: { folder, entries: [{ id: crypto.randomUUID(), epoch: 1, blob: 'AAAA' }] },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(direct).toBeInstanceOf(KeychainError);
    expect((direct as KeychainError).details.status).toBe(403);

    const [record] = folderRecords({ keychain: carol.keychain, folder });
    await recordFolderActivity({
      keychain: carol.keychain,
      folder,
      entry: record!.entry.id,
      kind: 'code-copied',
    });
    const events = await folderActivity({ keychain: alice.keychain, folder });
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'code-copied',
        entry: record!.entry.id,
        email: emailOf(carol),
        label: expect.stringContaining('Bank of Family'),
      }),
    ]);
    await folderRefused(folderActivity({ keychain: carol.keychain, folder }), 'not-owner');
  });

  it('refuses a member the server added, a swapped folder key and a rolled-back member log', async () => {
    // Adding a member: an invite signed by a key that is not an owner's.
    const intruder = sharingKey();
    const server = { account: crypto.randomUUID(), role: 'editor' as const, ...intruder.public };
    proxy.tamper = (req, res) => {
      if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
      const links = (res.links as string[]).map((t) => JSON.parse(t) as FolderLink);
      const state = verifyFolderLog({ folder, links });
      const forged = buildFolderLink({
        state,
        folder,
        link: { op: 'invite', by: links[0]!.by, signer: intruder, member: server },
      });
      return { ...res, links: [...res.links, canon(forged)] } as Json;
    };
    await folderRefused(syncFolders({ keychain: bob.keychain }), 'log-forged', /signature/);

    // Swapping the folder key: a wrap of a key of the server's own to bob's real sharing key.
    const bobKey = loadFolders(bob.keychain).folders[folder]!;
    const bobPublic = bobKey.state.members[bob.keychain.requireState().accountId]!;
    proxy.tamper = (req, res) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/wraps')
        ? {
            wraps: (res.wraps as Json[]).map((w) => ({
              ...w,
              wrapped: wrapFolderKey({
                folder,
                epoch: w.epoch,
                member: w.account,
                fk: crypto.getRandomValues(new Uint8Array(32)),
                recipient: bobPublic,
              }),
            })),
          }
        : undefined;
    // A device that holds no key yet must unwrap: bob's second sign-in is a new device.
    const bob2 = await device();
    const joined = await login(bob2.keychain, {
      server: proxy.url,
      email: emailOf(bob),
      password,
      deviceName: 'bob2',
    });
    await approveJoin(bob, bob2, joined.verificationCode);
    await syncRound(bob2.keychain);
    await folderRefused(
      syncFolders({ keychain: bob2.keychain }),
      'wrap-invalid',
      /not the one the owners committed to/,
    );
    // Another member's wrap: alice's own wraps, relabelled as bob's.
    const aliceWraps = (await alice.keychain.client().call('folderWraps', { query: { folder } })).wraps;
    const bobAccount = bob.keychain.requireState().accountId;
    proxy.tamper = (req) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/wraps')
        ? { wraps: aliceWraps.map((w) => ({ ...w, account: bobAccount })) }
        : undefined;
    await folderRefused(syncFolders({ keychain: bob2.keychain }), 'wrap-invalid', /cannot be opened by/);

    // Rolling the log back: the server hides its newest link (carol's accept) from alice.
    proxy.tamper = (req, res) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/links')
        ? { ...res, links: (res.links as string[]).slice(0, -1) }
        : undefined;
    await folderRefused(syncFolders({ keychain: alice.keychain }), 'log-rollback');
    proxy.tamper = null;
    await syncFolders({ keychain: alice.keychain });
    await syncFolders({ keychain: bob2.keychain });
    expect(folderRecords({ keychain: bob2.keychain, folder })).toHaveLength(1);
  });

  it('removes a member with a new key: the removed account reads nothing new, even from the server data', async () => {
    const before = loadFolders(bob.keychain).folders[folder]!;
    const bobOldKey = fromB64u(before.keys['1']!);
    await expect(
      changeRole({ keychain: bob.keychain, folder, email: emailOf(carol), role: 'editor' }),
    ).rejects.toMatchObject({ code: 'not-owner' });
    const { epoch } = await removeMember({ keychain: alice.keychain, folder, email: emailOf(bob) });
    expect(epoch).toBe(2);
    await addFolderEntry({ keychain: alice.keychain, folder, entry: totpEntry(3, { issuer: 'After' }) });
    // bob's devices drop the folder.
    const bobNow = await syncFolders({ keychain: bob.keychain });
    expect(bobNow.folders).toEqual([]);
    expect(folderRecords({ keychain: bob.keychain, folder })).toEqual([]);
    // The server's data (as alice's device sees it) holds only epoch-2 entries; bob's key opens none.
    const server = await alice.keychain.client().call('folderEntries', { query: { folder, since: 0 } });
    expect(server.entries.length).toBeGreaterThanOrEqual(3);
    for (const sealed of server.entries) {
      expect(sealed.epoch).toBe(2);
      if (sealed.id === '00000000-0000-4000-8000-000000000000') continue;
      expect(() => openFolderEntry({ fk: bobOldKey, folder, sealed })).toThrow(FolderError);
    }
    // carol (still a member) follows into epoch 2 and sees both entries; the old one was re-sealed.
    const carolView = await syncFolders({ keychain: carol.keychain });
    expect(carolView.folders[0]).toMatchObject({ epoch: 2, entries: 2, name: 'Family' });
    // Roles: alice makes carol an editor, who can then delete an entry.
    await changeRole({ keychain: alice.keychain, folder, email: emailOf(carol), role: 'editor' });
    await syncFolders({ keychain: carol.keychain });
    const after = folderRecords({ keychain: carol.keychain, folder }).find(
      (r) => r.entry.issuer === 'After',
    )!;
    await deleteFolderEntry({ keychain: carol.keychain, folder, id: after.entry.id });
    await syncFolders({ keychain: alice.keychain });
    expect(folderRecords({ keychain: alice.keychain, folder }).filter((r) => !r.deleted)).toHaveLength(1);
  });

  // SECURITY.md, shared folders: "the server hides a log link from a member, or serves an older set
  // of entries" and "the server replays an entry sealed under a key from before a removal".
  it('refuses an older set of entries, and merges no entry sealed under the key from before the removal', async () => {
    await syncFolders({ keychain: carol.keychain });
    const carolBefore = JSON.stringify(folderRecords({ keychain: carol.keychain, folder }));
    const isEntries = (req: { method: string; path: string }) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/entries');
    // An older state: the server answers with a head below the one carol has seen, and no entries.
    proxy.tamper = (req, res) =>
      isEntries(req) ? { entries: [], head: (res.head as number) - 1 } : undefined;
    await folderRefused(syncFolders({ keychain: carol.keychain }), 'entries-rollback', /older state/);
    expect(JSON.stringify(folderRecords({ keychain: carol.keychain, folder }))).toBe(carolBefore);

    // The removed member (bob) kept the epoch-1 folder key; the server seals an entry of its own
    // under it and serves it to carol as the newest write. Every member held that key, so it opens:
    // only the epoch rule keeps it out.
    const oldKey = fromB64u(loadFolders(alice.keychain).folders[folder]!.keys['1']!);
    const genuine = folderRecords({ keychain: carol.keychain, folder }).find((r) => !r.deleted)!;
    const injected = sealFolderEntry({
      fk: oldKey,
      folder,
      epoch: 1,
      record: {
        ...genuine,
        entry: { ...genuine.entry, id: crypto.randomUUID(), issuer: 'Injected with the old key' },
      },
    });
    proxy.tamper = (req, res) =>
      isEntries(req)
        ? { ...res, entries: [...(res.entries as Json[]), { ...injected, version: res.head as number }] }
        : undefined;
    await syncFolders({ keychain: carol.keychain });
    proxy.tamper = null;
    expect(folderRecords({ keychain: carol.keychain, folder }).map((r) => r.entry.issuer)).not.toContain(
      'Injected with the old key',
    );
    expect(JSON.stringify(folderRecords({ keychain: carol.keychain, folder }))).toBe(carolBefore);
  });

  // SECURITY.md, shared folders: "the server alters a link" and "the server moves an entry to
  // another folder, epoch or id", played by the proxy in front of the real server.
  it('refuses an altered member link and an entry moved to another id; a refused entry is pulled again', async () => {
    await syncFolders({ keychain: carol.keychain });
    const isLinks = (req: { method: string; path: string }) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/links');
    // Alter a link: an invite's role raised to owner.
    proxy.tamper = (req, res) => {
      if (!isLinks(req)) return undefined;
      const links = (res.links as string[]).map((t) => JSON.parse(t) as Json);
      const i = links.findIndex((l) => l.op === 'invite');
      links[i] = { ...links[i], member: { ...links[i]!.member, role: 'owner' } };
      return { ...res, links: links.map((l) => canon(l)) };
    };
    await folderRefused(syncFolders({ keychain: carol.keychain }), 'log-forged');
    proxy.tamper = null;

    // Move an entry: two new entries' ids swapped in carol's page.
    const one = await addFolderEntry({
      keychain: alice.keychain,
      folder,
      entry: totpEntry(11, { issuer: 'Moved one' }),
    });
    const two = await addFolderEntry({
      keychain: alice.keychain,
      folder,
      entry: totpEntry(12, { issuer: 'Moved two' }),
    });
    const ids = [one.entry.id, two.entry.id];
    proxy.tamper = (req, res) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/entries')
        ? {
            ...res,
            entries: (res.entries as Json[]).map((e) =>
              e.id === ids[0] ? { ...e, id: ids[1] } : e.id === ids[1] ? { ...e, id: ids[0] } : e,
            ),
          }
        : undefined;
    await folderRefused(syncFolders({ keychain: carol.keychain }), 'entry-invalid');
    proxy.tamper = null;
    const issuers = () => folderRecords({ keychain: carol.keychain, folder }).map((r) => r.entry.issuer);
    expect(issuers()).not.toContain('Moved one');
    // The honest answer next time: both entries arrive (the refusal did not move carol's cursor past them).
    await syncFolders({ keychain: carol.keychain });
    expect(issuers()).toEqual(expect.arrayContaining(['Moved one', 'Moved two']));
  });

  it('catches a server that answers the lookup with a key of its own: the numbers differ, the invitee refuses', async () => {
    const dave = await account('dave');
    await listFolders({ keychain: dave.keychain });
    const mitm = sharingKey().public;
    proxy.tamper = (req, res) =>
      req.method === 'GET' && req.path.startsWith('/v1/folders/sharing-key')
        ? { ...res, ...mitm }
        : undefined;
    let shown = '';
    try {
      // Alice does not compare (the mistake the number exists for) and confirms blindly.
      await inviteMember({
        keychain: alice.keychain,
        folder,
        email: dave.email,
        confirm: async (n) => ((shown = n), true),
      });
    } finally {
      proxy.tamper = null;
    }
    await folderRefused(pendingInvite({ keychain: dave.keychain, folder }), 'invite-keys', /substituted/);
    // Had she compared, the number dave's screen would show differs from hers.
    const daveKey =
      (await listFolders({ keychain: dave.keychain }), dave.keychain.requireState().circle!.sharing!);
    const aliceKey = alice.keychain.requireState().circle!.sharing!;
    expect(safetyNumber({ a: aliceKey, b: daveKey })).not.toBe(shown);
  });

  // SECURITY.md, shared folders: "the server accepts an invite in the invitee's name". Dave's invite
  // (above) is pending; the server appends an accept for it signed by a key of its own.
  it("refuses an accept the server signs in the invitee's name", async () => {
    proxy.tamper = (req, res) => {
      if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
      const links = (res.links as string[]).map((t) => JSON.parse(t) as FolderLink);
      const invite = links.findLast((l) => l.op === 'invite')!;
      const forged = buildFolderLink({
        state: verifyFolderLog({ folder, links }),
        folder,
        link: { op: 'accept', by: invite.member.account, signer: sharingKey(), member: invite.member },
      });
      return { ...res, links: [...res.links, canon(forged)] } as Json;
    };
    try {
      await folderRefused(syncFolders({ keychain: alice.keychain }), 'log-forged', /signature/);
      await folderRefused(syncFolders({ keychain: carol.keychain }), 'log-forged', /signature/);
    } finally {
      proxy.tamper = null;
    }
  });

  it('deletes a folder for everyone (owners only)', async () => {
    await folderRefused(deleteFolder({ keychain: carol.keychain, folder }), 'not-owner');
    await deleteFolder({ keychain: alice.keychain, folder });
    expect((await syncFolders({ keychain: carol.keychain })).folders).toEqual([]);
    expect((await syncFolders({ keychain: alice2.keychain })).folders).toEqual([]);
  });
});
