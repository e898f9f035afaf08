// A member's sharing key changing inside a folder's log (docs/PROTOCOL.md §12.2): the `member-key`
// link carries the old key's signature of the change and is signed by the new key; the first change
// from a key wins, a second one is refused, and an owner's `rekey` then starts a new folder key epoch
// that the old key cannot open. Each check has its own forged link.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  buildFolderLink,
  FolderError,
  sharingKey,
  sharingRotationMessage,
  unwrapFolderKey,
  verifyFolderLog,
  wrapFolderKey,
  type FolderLink,
  type FolderRole,
  type FolderState,
  type SharingKey,
  type SharingKeyStep,
} from '../../src/folders/index.js';
import { b64u } from '../../src/keychain/bytes.js';

const FOLDER = 'folder-mk';

const member = (account: string, key: SharingKey, role: FolderRole) => ({ account, role, ...key.public });

/** `from`'s signature of the change to `to`, as a circle rotation carries it. */
const step = (from: SharingKey, to: SharingKey): SharingKeyStep => ({
  ...to.public,
  sig: b64u(from.sign(sharingRotationMessage({ from: from.public, to: to.public }))),
});

function refused(links: FolderLink[], code: string, message: RegExp): void {
  let err: unknown = null;
  try {
    verifyFolderLog({ folder: FOLDER, links });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FolderError);
  expect((err as FolderError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

/** alice (owner) creates the folder; bob joins as editor; carol is invited as viewer. */
function folder() {
  const alice = sharingKey();
  const bob = sharingKey();
  const carol = sharingKey();
  const fk1 = randomBytes(32);
  const links: FolderLink[] = [];
  let state: FolderState | null = null;
  const append = (link: FolderLink): FolderState => {
    links.push(link);
    state = verifyFolderLog({ folder: FOLDER, links });
    return state;
  };
  const add = (link: Parameters<typeof buildFolderLink>[0]['link']) =>
    append(buildFolderLink({ state, folder: FOLDER, link }));
  add({ op: 'create', by: 'alice', signer: alice, member: member('alice', alice, 'owner'), fk: fk1 });
  add({ op: 'invite', by: 'alice', signer: alice, member: member('bob', bob, 'editor') });
  add({ op: 'accept', by: 'bob', signer: bob, member: member('bob', bob, 'editor') });
  add({ op: 'invite', by: 'alice', signer: alice, member: member('carol', carol, 'viewer') });
  return { alice, bob, carol, fk1, links, add, state: () => state! };
}

/** bob's member-key link from `from` to `to` over `chain`, signed by `signer`, on `state`. */
function memberKey(
  state: FolderState,
  o: {
    from: SharingKey;
    to: SharingKey;
    chain: SharingKeyStep[];
    signer: SharingKey;
    by?: string;
    role?: FolderRole;
  },
): FolderLink {
  return buildFolderLink({
    state,
    folder: FOLDER,
    link: {
      op: 'member-key',
      by: o.by ?? 'bob',
      signer: o.signer,
      member: member('bob', o.to, o.role ?? 'editor'),
      from: o.from.public,
      keyChain: o.chain,
    },
  });
}

describe('member-key and rekey links', () => {
  it('moves a member to its new key with the old key signature; a rekey starts an epoch the old key cannot open', () => {
    const f = folder();
    const bob2 = sharingKey();
    const s = f.add({
      op: 'member-key',
      by: 'bob',
      signer: bob2,
      member: member('bob', bob2, 'editor'),
      from: f.bob.public,
      keyChain: [step(f.bob, bob2)],
    });
    expect(s.members.bob).toMatchObject({
      ...bob2.public,
      role: 'editor',
      status: 'active',
      keyChangedAt: 4,
    });
    expect(s.rekeyDue).toBe(4);
    expect(s.epoch).toBe(1);
    const fk2 = randomBytes(32);
    const after = f.add({
      op: 'rekey',
      by: 'alice',
      signer: f.alice,
      member: member('bob', bob2, 'editor'),
      fk: fk2,
    });
    expect(after.epoch).toBe(2);
    expect(after.rekeyDue).toBeUndefined();
    // The new folder key, wrapped to bob's current key: bob's new key opens it, his old one does not.
    const ctx = { folder: FOLDER, epoch: 2, member: 'bob' };
    const wrapped = wrapFolderKey({ ...ctx, fk: fk2, recipient: after.members.bob! });
    expect(unwrapFolderKey({ ...ctx, wrapped, key: bob2, state: after })).toEqual(fk2);
    expect(() => unwrapFolderKey({ ...ctx, wrapped, key: f.bob, state: after })).toThrow(FolderError);
    // A rekey needs a key change to answer: a second one is refused.
    const again = buildFolderLink({
      state: after,
      folder: FOLDER,
      link: {
        op: 'rekey',
        by: 'alice',
        signer: f.alice,
        member: member('bob', bob2, 'editor'),
        fk: randomBytes(32),
      },
    });
    refused([...f.links, again], 'log-invalid', /no member changed its key/);
  });

  it('follows several rotations in one link, and an invited member before it accepts (no rekey due)', () => {
    const f = folder();
    const b2 = sharingKey();
    const b3 = sharingKey();
    const s = f.add({
      op: 'member-key',
      by: 'bob',
      signer: b3,
      member: member('bob', b3, 'editor'),
      from: f.bob.public,
      keyChain: [step(f.bob, b2), step(b2, b3)],
    });
    expect(s.members.bob).toMatchObject(b3.public);
    const c2 = sharingKey();
    const t = f.add({
      op: 'member-key',
      by: 'carol',
      signer: c2,
      member: { ...member('carol', c2, 'viewer') },
      from: f.carol.public,
      keyChain: [step(f.carol, c2)],
    });
    expect(t.members.carol).toMatchObject({ ...c2.public, status: 'invited' });
    expect(t.rekeyDue).toBe(4); // bob's change (active); carol holds no folder key yet
    const u = f.add({ op: 'accept', by: 'carol', signer: c2, member: member('carol', c2, 'viewer') });
    expect(u.members.carol).toMatchObject({ ...c2.public, status: 'active' });
  });

  it('refuses a key change signed only by the old key', () => {
    const f = folder();
    const evil = sharingKey();
    // The removed device holds only the old key: it signs the link with it, not with the new one.
    const link = memberKey(f.state(), { from: f.bob, to: evil, chain: [step(f.bob, evil)], signer: f.bob });
    refused([...f.links, link], 'log-forged', /key change is not signed by the new key it names for bob/);
  });

  it('refuses a key change the old key did not sign (a server or stranger naming its own key)', () => {
    const f = folder();
    const server = sharingKey();
    const selfSigned = memberKey(f.state(), {
      from: f.bob,
      to: server,
      chain: [step(server, server)],
      signer: server,
    });
    refused([...f.links, selfSigned], 'log-forged', /not signed by bob's previous sharing key/);
    // A chain whose middle step skips a signature is refused the same way.
    const b2 = sharingKey();
    const gap = memberKey(f.state(), {
      from: f.bob,
      to: server,
      chain: [step(f.bob, b2), step(server, server)],
      signer: server,
    });
    refused([...f.links, gap], 'log-forged', /not signed by bob's previous sharing key/);
  });

  it('takes the first change from a key and refuses a second, conflicting one', () => {
    const f = folder();
    const honest = sharingKey();
    const evil = sharingKey();
    f.add({
      op: 'member-key',
      by: 'bob',
      signer: honest,
      member: member('bob', honest, 'editor'),
      from: f.bob.public,
      keyChain: [step(f.bob, honest)],
    });
    // Someone else holding bob's old key (a removed device) races with a well-formed change of its own.
    const second = memberKey(f.state(), { from: f.bob, to: evil, chain: [step(f.bob, evil)], signer: evil });
    refused(
      [...f.links, second],
      'log-forged',
      /second, conflicting key change \(the change at link 4 stands\)/,
    );
  });

  it('refuses a key change made by another account, changing the role, or ending elsewhere', () => {
    const f = folder();
    const b2 = sharingKey();
    const byAlice = memberKey(f.state(), {
      from: f.bob,
      to: b2,
      chain: [step(f.bob, b2)],
      signer: b2,
      by: 'alice',
    });
    refused([...f.links, byAlice], 'log-forged', /only the member itself changes its key/);
    const promoted = memberKey(f.state(), {
      from: f.bob,
      to: b2,
      chain: [step(f.bob, b2)],
      signer: b2,
      role: 'owner',
    });
    refused([...f.links, promoted], 'log-forged', /cannot change the role/);
    const other = sharingKey();
    const elsewhere = memberKey(f.state(), { from: f.bob, to: b2, chain: [step(f.bob, other)], signer: b2 });
    refused([...f.links, elsewhere], 'log-invalid', /does not end at the keys it names/);
    // Only owners rekey.
    const changed = memberKey(f.state(), { from: f.bob, to: b2, chain: [step(f.bob, b2)], signer: b2 });
    const s = verifyFolderLog({ folder: FOLDER, links: [...f.links, changed] });
    const byBob = buildFolderLink({
      state: s,
      folder: FOLDER,
      link: { op: 'rekey', by: 'bob', signer: b2, member: member('bob', b2, 'editor'), fk: randomBytes(32) },
    });
    refused([...f.links, changed, byBob], 'log-forged', /bob is not an owner/);
    // A key change smuggled into another op is refused.
    const { sig: _sig, ...role } = buildFolderLink({
      state: f.state(),
      folder: FOLDER,
      link: { op: 'role', by: 'alice', signer: f.alice, member: member('bob', f.bob, 'viewer') },
    });
    const smuggled = { ...role, keyChain: [step(f.bob, b2)], sig: '' } as FolderLink;
    refused([...f.links, smuggled], 'log-invalid', /carries a key change outside member-key/);
  });
});
