// Shared folders on the server (docs/PROTOCOL.md §12) through a real HTTP server, SQLite and
// PostgreSQL: three accounts, signed links built and verified with @tessera/vault/folders, appends
// that must name the current head, access only for the accounts the log names, wraps and sealed
// entries, and a removal after which the removed account can read nothing and its old key opens nothing new.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRecord, formatHlc } from '@tessera/vault';
import {
  buildFolderLink,
  FolderError,
  openFolderEntry,
  resealFolderEntry,
  sealFolderEntry,
  sharingKey,
  sharingRotationMessage,
  unwrapFolderKey,
  verifyFolderLog,
  wrapFolderKey,
  type FolderLink,
  type FolderRole,
  type FolderState,
  type SealedFolderEntry,
  type SharingKey,
} from '@tessera/vault/folders';
import { canon } from '@tessera/protocol';
import { BACKENDS, b64u, makeLink, trustedAccount, uniqueEmail, useServer } from './helpers.js';

type Member = Awaited<ReturnType<typeof trustedAccount>> & { sharing: SharingKey };

const asMember = (m: Member, role: FolderRole) => ({ account: m.accountId, role, ...m.sharing.public });

function record() {
  return createRecord({
    entry: {
      type: 'totp',
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'Bank',
      account: 'family',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
    },
    id: randomUUID(),
    tags: [],
    deviceOnly: false,
    order: 0,
    stamp: formatHlc({ ms: 1_700_000_000_000, counter: 0, deviceId: 'dev1' }),
    now: 1_700_000_000_000,
  });
}

describe.each(BACKENDS)('shared folders (%s)', (backend) => {
  const { api } = useServer(backend);
  const member = async (tag: string): Promise<Member> => ({
    ...(await trustedAccount(api, uniqueEmail(tag))),
    sharing: sharingKey(),
  });

  /** Fetches and verifies the log as `who`, pinning from `pinned` when given. */
  async function fetchLog(who: Member, folder: string, pinned?: FolderState) {
    const res = await who.api.get(`/v1/folders/links?folder=${folder}`);
    expect(res.status).toBe(200);
    const links = (res.body.links as string[]).map((text) => JSON.parse(text) as FolderLink);
    return verifyFolderLog({
      folder,
      links,
      pinned: pinned ? { genesisHash: pinned.genesisHash, head: pinned.head } : null,
    });
  }

  async function append(who: Member, folder: string, state: FolderState | null, link: FolderLink) {
    return who.api.post('/v1/folders/links', {
      folder,
      expectedHead: state ? state.head.seq : -1,
      link: canon(link),
    });
  }

  it('creates, invites, accepts, shares an entry and removes a member with a new key', async () => {
    const [alice, bob, carol] = [await member('alice'), await member('bob'), await member('carol')];
    const folder = b64u(randomBytes(16));
    const fk1 = randomBytes(32);
    const create = buildFolderLink({
      state: null,
      folder,
      link: {
        op: 'create',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(alice, 'owner'),
        fk: fk1,
      },
    });
    expect((await append(alice, folder, null, create)).status).toBe(204);
    // The same id again: refused, not overwritten.
    expect((await append(alice, folder, null, create)).status).toBe(409);
    let aliceState = await fetchLog(alice, folder);

    // bob is not named yet: the folder does not exist for him.
    expect((await bob.api.get(`/v1/folders/links?folder=${folder}`)).status).toBe(404);

    const invite = buildFolderLink({
      state: aliceState,
      folder,
      link: { op: 'invite', by: alice.accountId, signer: alice.sharing, member: asMember(bob, 'editor') },
    });
    // A link in another account's name is refused.
    expect((await append(carol, folder, aliceState, invite)).status).toBe(403);
    expect((await append(alice, folder, aliceState, invite)).status).toBe(204);
    // A second append on the same head loses: the log moved on.
    const stale = await append(alice, folder, aliceState, invite);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');

    let bobState = await fetchLog(bob, folder);
    expect(bobState.members[bob.accountId]!.status).toBe('invited');
    const accept = buildFolderLink({
      state: bobState,
      folder,
      link: { op: 'accept', by: bob.accountId, signer: bob.sharing, member: asMember(bob, 'editor') },
    });
    expect((await append(bob, folder, bobState, accept)).status).toBe(204);

    aliceState = await fetchLog(alice, folder, aliceState);
    expect(aliceState.members[bob.accountId]!.status).toBe('active');
    const wraps = [alice, bob].map((m) => ({
      account: m.accountId,
      epoch: 1,
      wrapped: wrapFolderKey({ folder, epoch: 1, member: m.accountId, fk: fk1, recipient: m.sharing.public }),
    }));
    expect((await alice.api.post('/v1/folders/wraps', { folder, wraps })).status).toBe(204);
    const rec = record();
    const sealed = sealFolderEntry({ fk: fk1, folder, epoch: 1, record: rec });
    const pushed = await alice.api.post('/v1/folders/entries', { folder, entries: [sealed] });
    expect(pushed.status).toBe(200);
    expect(pushed.body.head).toBe(1);

    // bob opens the entry with his own wrap, checked against the signed log.
    bobState = await fetchLog(bob, folder, bobState);
    const bobWraps = (await bob.api.get(`/v1/folders/wraps?folder=${folder}`)).body.wraps;
    expect(bobWraps.map((w: { account: string }) => w.account)).toEqual([bob.accountId]);
    const bobFk = unwrapFolderKey({
      folder,
      epoch: 1,
      member: bob.accountId,
      wrapped: bobWraps[0].wrapped,
      key: bob.sharing,
      state: bobState,
    });
    const pulled = await bob.api.get(`/v1/folders/entries?folder=${folder}&since=0`);
    expect(pulled.body.head).toBe(1);
    expect(openFolderEntry({ fk: bobFk, folder, sealed: pulled.body.entries[0] })).toEqual(rec);

    // carol is named nowhere: nothing to read, nothing to write.
    expect((await carol.api.get(`/v1/folders/entries?folder=${folder}`)).status).toBe(404);
    expect((await carol.api.post('/v1/folders/entries', { folder, entries: [sealed] })).status).toBe(404);
    expect((await carol.api.get(`/v1/folders/wraps?folder=${folder}`)).status).toBe(404);

    // Removing bob: a new epoch and key, entries re-sealed, a wrap for alice only.
    const fk2 = randomBytes(32);
    const remove = buildFolderLink({
      state: aliceState,
      folder,
      link: {
        op: 'remove',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(bob, 'editor'),
        fk: fk2,
      },
    });
    expect((await append(alice, folder, aliceState, remove)).status).toBe(204);
    aliceState = await fetchLog(alice, folder, aliceState);
    expect(aliceState.epoch).toBe(2);
    const current = (await alice.api.get(`/v1/folders/entries?folder=${folder}`)).body
      .entries as SealedFolderEntry[];
    const resealed = current.map((s) =>
      resealFolderEntry({ folder, sealed: s, from: fk1, to: { fk: fk2, epoch: 2 } }),
    );
    expect((await alice.api.post('/v1/folders/entries', { folder, entries: resealed })).status).toBe(200);
    const aliceWrap = wrapFolderKey({
      folder,
      epoch: 2,
      member: alice.accountId,
      fk: fk2,
      recipient: alice.sharing.public,
    });
    expect(
      (
        await alice.api.post('/v1/folders/wraps', {
          folder,
          wraps: [{ account: alice.accountId, epoch: 2, wrapped: aliceWrap }],
        })
      ).status,
    ).toBe(204);
    // A wrap for the removed account is refused: it is no longer named.
    expect(
      (
        await alice.api.post('/v1/folders/wraps', {
          folder,
          wraps: [{ account: bob.accountId, epoch: 2, wrapped: aliceWrap }],
        })
      ).status,
    ).toBe(404);

    expect((await bob.api.get(`/v1/folders/links?folder=${folder}`)).status).toBe(404);
    expect((await bob.api.get(`/v1/folders/entries?folder=${folder}`)).status).toBe(404);
    // Given the server's data anyway, bob's old key opens nothing of epoch 2.
    const after = (await alice.api.get(`/v1/folders/entries?folder=${folder}&since=1`)).body
      .entries as SealedFolderEntry[];
    expect(after.map((e) => e.epoch)).toEqual([2]);
    expect(() => openFolderEntry({ fk: bobFk, folder, sealed: after[0]! })).toThrow(FolderError);
    expect(openFolderEntry({ fk: fk2, folder, sealed: after[0]! })).toEqual(rec);
  });

  it('lets a viewer read but not write, and keeps an invite pending until its own account accepts', async () => {
    const [alice, dave] = [await member('alice'), await member('dave')];
    const folder = b64u(randomBytes(16));
    const fk = randomBytes(32);
    const create = buildFolderLink({
      state: null,
      folder,
      link: {
        op: 'create',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(alice, 'owner'),
        fk,
      },
    });
    expect((await append(alice, folder, null, create)).status).toBe(204);
    let state = await fetchLog(alice, folder);
    const invite = buildFolderLink({
      state,
      folder,
      link: { op: 'invite', by: alice.accountId, signer: alice.sharing, member: asMember(dave, 'viewer') },
    });
    expect((await append(alice, folder, state, invite)).status).toBe(204);
    // Invited, not yet a member: the log (to accept it) but no entries or wraps.
    expect((await dave.api.get(`/v1/folders/entries?folder=${folder}`)).status).toBe(403);
    state = await fetchLog(dave, folder);
    // An accept claiming a higher role than the invite gives is refused, so the log stays one that
    // members accept (stored, it would make every member refuse the whole log).
    const greedy = buildFolderLink({
      state,
      folder,
      link: { op: 'accept', by: dave.accountId, signer: dave.sharing, member: asMember(dave, 'owner') },
    });
    const refusedGreedy = await append(dave, folder, state, greedy);
    expect(refusedGreedy.status).toBe(400);
    expect(refusedGreedy.body.error.message).toMatch(/role its invite gives \(viewer\), not owner/);
    await fetchLog(alice, folder);
    const honest = buildFolderLink({
      state,
      folder,
      link: { op: 'accept', by: dave.accountId, signer: dave.sharing, member: asMember(dave, 'viewer') },
    });
    expect((await append(dave, folder, state, honest)).status).toBe(204);
    expect((await fetchLog(alice, folder)).members[dave.accountId]).toMatchObject({
      role: 'viewer',
      status: 'active',
    });
    const sealed = sealFolderEntry({ fk, folder, epoch: 1, record: record() });
    const write = await dave.api.post('/v1/folders/entries', { folder, entries: [sealed] });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/viewer cannot/);
    expect((await dave.api.get(`/v1/folders/entries?folder=${folder}`)).status).toBe(200);
    expect(
      (
        await dave.api.post('/v1/folders/wraps', {
          folder,
          wraps: [{ account: dave.accountId, epoch: 1, wrapped: b64u(randomBytes(72)) }],
        })
      ).status,
    ).toBe(403);
  });

  it('looks up sharing keys by email, lists folders and invites, logs activity for owners, deletes (§12.7)', async () => {
    const [alice, bob, carol] = [await member('alice'), await member('bob'), await member('carol')];
    // bob publishes his sharing key in his circle; the server answers it by email.
    const sharingLink = makeLink({
      v: 2,
      signer: bob.circleKey,
      op: 'sharing-key',
      seq: 1,
      prev: bob.head.hash,
      by: bob.deviceId,
      sharing: { ...bob.sharing.public, sealed: b64u(randomBytes(72)) },
    });
    expect((await bob.api.post('/v1/circle', { link: sharingLink, wraps: [] })).status).toBe(200);
    const found = await alice.api.get(
      `/v1/folders/sharing-key?email=${encodeURIComponent(bob.email.toUpperCase())}`,
    );
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ account: bob.accountId, ...bob.sharing.public });
    expect(
      (await alice.api.get(`/v1/folders/sharing-key?email=${encodeURIComponent(carol.email)}`)).status,
    ).toBe(404);
    expect((await alice.api.get('/v1/folders/sharing-key?email=nobody%40example.test')).status).toBe(404);
    // A sharing-key link from link version 1 is refused.
    const v1 = makeLink({
      signer: carol.circleKey,
      op: 'sharing-key',
      seq: 1,
      prev: carol.head.hash,
      by: carol.deviceId,
      sharing: { ...carol.sharing.public, sealed: 'AAAA' },
    });
    expect((await carol.api.post('/v1/circle', { link: v1, wraps: [] })).status).toBe(422);

    const folder = b64u(randomBytes(16));
    const fk = randomBytes(32);
    const create = buildFolderLink({
      state: null,
      folder,
      link: {
        op: 'create',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(alice, 'owner'),
        fk,
      },
    });
    expect((await append(alice, folder, null, create)).status).toBe(204);
    let state = await fetchLog(alice, folder);
    const invite = buildFolderLink({
      state,
      folder,
      link: { op: 'invite', by: alice.accountId, signer: alice.sharing, member: asMember(bob, 'viewer') },
    });
    expect((await append(alice, folder, state, invite)).status).toBe(204);
    expect((await bob.api.get('/v1/folders')).body.folders).toEqual([
      { id: folder, role: 'invited:viewer', invitedBy: alice.email },
    ]);
    expect((await alice.api.get('/v1/folders')).body.folders).toEqual([
      { id: folder, role: 'owner', invitedBy: null },
    ]);
    expect((await carol.api.get('/v1/folders')).body.folders).toEqual([]);
    const log = await alice.api.get(`/v1/folders/links?folder=${folder}`);
    expect(log.body.emails).toEqual({ [alice.accountId]: alice.email, [bob.accountId]: bob.email });

    state = await fetchLog(bob, folder);
    const accept = buildFolderLink({
      state,
      folder,
      link: { op: 'accept', by: bob.accountId, signer: bob.sharing, member: asMember(bob, 'viewer') },
    });
    expect((await append(bob, folder, state, accept)).status).toBe(204);
    // Activity: any member appends (sealed, opaque to the server); only owners read.
    const blob = b64u(randomBytes(80));
    expect((await bob.api.post('/v1/folders/activity', { folder, epoch: 1, blob })).status).toBe(204);
    expect((await carol.api.post('/v1/folders/activity', { folder, epoch: 1, blob })).status).toBe(404);
    expect((await bob.api.get(`/v1/folders/activity?folder=${folder}`)).status).toBe(403);
    const activity = await alice.api.get(`/v1/folders/activity?folder=${folder}`);
    expect(activity.body.events).toEqual([
      { id: expect.any(Number), account: bob.accountId, epoch: 1, blob, at: expect.any(Number) },
    ]);
    const since = activity.body.events[0].id as number;
    expect((await alice.api.get(`/v1/folders/activity?folder=${folder}&since=${since}`)).body.events).toEqual(
      [],
    );

    // Only an owner deletes; afterwards the folder is gone for everyone.
    expect((await bob.api.delete(`/v1/folders?folder=${folder}`)).status).toBe(403);
    expect((await alice.api.delete(`/v1/folders?folder=${folder}`)).status).toBe(204);
    expect((await alice.api.get(`/v1/folders/links?folder=${folder}`)).status).toBe(404);
    expect((await bob.api.get('/v1/folders')).body.folders).toEqual([]);
    // Its id is free again only for a fresh create (nothing of the old one is left).
    expect((await append(alice, folder, null, create)).status).toBe(204);
  });

  it('lets any member move itself to a new sharing key (member-key), only owners rekey, and keeps roles (§12.2)', async () => {
    const [alice, bob, carol] = [await member('alice'), await member('bob'), await member('carol')];
    const folder = b64u(randomBytes(16));
    let state: FolderState | null = null;
    const post = async (who: Member, link: Parameters<typeof buildFolderLink>[0]['link']) => {
      const res = await append(who, folder, state, buildFolderLink({ state, folder, link }));
      if (res.status === 204) state = await fetchLog(who, folder);
      return res.status;
    };
    expect(
      await post(alice, {
        op: 'create',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(alice, 'owner'),
        fk: randomBytes(32),
      }),
    ).toBe(204);
    expect(
      await post(alice, {
        op: 'invite',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(bob, 'viewer'),
      }),
    ).toBe(204);
    expect(
      await post(bob, {
        op: 'accept',
        by: bob.accountId,
        signer: bob.sharing,
        member: asMember(bob, 'viewer'),
      }),
    ).toBe(204);
    expect(
      await post(alice, {
        op: 'invite',
        by: alice.accountId,
        signer: alice.sharing,
        member: asMember(carol, 'editor'),
      }),
    ).toBe(204);
    const step = (from: SharingKey, to: SharingKey) => ({
      ...to.public,
      sig: b64u(from.sign(sharingRotationMessage({ from: from.public, to: to.public }))),
    });
    const change = (who: Member, to: SharingKey, role: FolderRole) => ({
      op: 'member-key' as const,
      by: who.accountId,
      signer: to,
      member: { account: who.accountId, role, ...to.public },
      from: who.sharing.public,
      keyChain: [step(who.sharing, to)],
    });
    // A viewer moves itself; an account cannot post a key change for another one.
    const bob2 = sharingKey();
    expect(await post(carol, { ...change(bob, bob2, 'viewer'), by: carol.accountId })).toBe(403);
    expect(await post(bob, change(bob, bob2, 'viewer'))).toBe(204);
    expect(state!.rekeyDue).toBe(4);
    // An invited account too, and its invite stays an invite of the same role.
    const carol2 = sharingKey();
    expect(await post(carol, change(carol, carol2, 'editor'))).toBe(204);
    const carolFolders = (await carol.api.get('/v1/folders')).body.folders as { id: string; role: string }[];
    expect(carolFolders.find((f) => f.id === folder)!.role).toBe('invited:editor');
    // Only an owner answers with a rekey; the viewer stays a viewer and reads the new epoch.
    const rekey = (who: Member) => ({
      op: 'rekey' as const,
      by: who.accountId,
      signer: who.sharing,
      member: { account: bob.accountId, role: 'viewer' as const, ...bob2.public },
      fk: randomBytes(32),
    });
    expect(await post(bob, { ...rekey(bob), signer: bob2 })).toBe(403);
    expect(await post(alice, rekey(alice))).toBe(204);
    expect(state!.epoch).toBe(2);
    const bobFolders = (await bob.api.get('/v1/folders')).body.folders as { id: string; role: string }[];
    expect(bobFolders.find((f) => f.id === folder)!.role).toBe('viewer');
  });
});
