// Shared-folder crypto core: sharing keys, the signed member log, folder key wraps, sealed entries
// and the safety number, with a tampering case for each thing the server could try.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  buildFolderLink,
  FolderError,
  openFolderEntry,
  openSharingKey,
  resealFolderEntry,
  safetyNumber,
  sealFolderEntry,
  sealSharingKey,
  sharingKey,
  unwrapFolderKey,
  verifyFolderLog,
  wrapFolderKey,
  type FolderLink,
  type FolderRole,
  type FolderState,
  type SharingKey,
} from '../../src/folders/index.js';
import { formatHlc } from '../../src/hlc.js';
import { createRecord } from '../../src/record.js';
import { totpEntry } from '../fixtures.js';

const FOLDER = 'folder-1';

function caught(run: () => unknown): FolderError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FolderError);
    return err as FolderError;
  }
  throw new Error('expected a FolderError');
}

const member = (account: string, key: SharingKey, role: FolderRole) => ({ account, role, ...key.public });

/** alice creates the folder, invites bob as editor, bob accepts. */
function threeLinks() {
  const alice = sharingKey();
  const bob = sharingKey();
  const fk1 = randomBytes(32);
  const links: FolderLink[] = [];
  let state: FolderState | null = null;
  const append = (link: FolderLink) => {
    links.push(link);
    state = verifyFolderLog({ folder: FOLDER, links });
  };
  append(
    buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'create', by: 'alice', signer: alice, member: member('alice', alice, 'owner'), fk: fk1 },
    }),
  );
  append(
    buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'invite', by: 'alice', signer: alice, member: member('bob', bob, 'editor') },
    }),
  );
  append(
    buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'accept', by: 'bob', signer: bob, member: member('bob', bob, 'editor') },
    }),
  );
  return { alice, bob, fk1, links, state: state! as FolderState };
}

describe('sharing key', () => {
  it('seals under the vault key and opens only with that key and account', () => {
    const key = sharingKey();
    const vk = randomBytes(32);
    const sealed = sealSharingKey({ key, vk, accountId: 'alice' });
    expect(openSharingKey({ sealed, vk, accountId: 'alice' }).public).toEqual(key.public);
    expect(caught(() => openSharingKey({ sealed, vk: randomBytes(32), accountId: 'alice' })).code).toBe(
      'wrap-invalid',
    );
    expect(caught(() => openSharingKey({ sealed, vk, accountId: 'mallory' })).code).toBe('wrap-invalid');
  });
});

describe('folder member log', () => {
  it('verifies create, invite, accept, role change and removal with a new epoch', () => {
    const { alice, bob, links, state } = threeLinks();
    expect(state.members.bob).toMatchObject({ status: 'active', role: 'editor' });
    const carol = sharingKey();
    const all = [...links];
    const push = (link: FolderLink) => {
      all.push(link);
      return verifyFolderLog({ folder: FOLDER, links: all });
    };
    let s = push(
      buildFolderLink({
        state,
        folder: FOLDER,
        link: { op: 'invite', by: 'alice', signer: alice, member: member('carol', carol, 'viewer') },
      }),
    );
    expect(s.members.carol!.status).toBe('invited');
    s = push(
      buildFolderLink({
        state: s,
        folder: FOLDER,
        link: { op: 'role', by: 'alice', signer: alice, member: member('bob', bob, 'owner') },
      }),
    );
    expect(s.members.bob!.role).toBe('owner');
    s = push(
      buildFolderLink({
        state: s,
        folder: FOLDER,
        link: {
          op: 'remove',
          by: 'bob',
          signer: bob,
          member: member('alice', alice, 'owner'),
          fk: randomBytes(32),
        },
      }),
    );
    expect(s.epoch).toBe(2);
    expect(s.members.alice!.status).toBe('removed');
    expect(Object.keys(s.keyCommits)).toEqual(['1', '2']);
  });

  it('refuses an invite not signed by an owner (the server or an editor forging a member)', () => {
    const { bob, links, state } = threeLinks();
    const mallory = sharingKey();
    // The server signs with a key of its own and claims alice's name.
    const byServer = buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'invite', by: 'alice', signer: mallory, member: member('mallory', mallory, 'owner') },
    });
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: [...links, byServer] })).code).toBe(
      'log-forged',
    );
    // bob is a member, but an editor may not invite.
    const byEditor = buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'invite', by: 'bob', signer: bob, member: member('mallory', mallory, 'owner') },
    });
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: [...links, byEditor] })).code).toBe(
      'log-forged',
    );
  });

  it('refuses an accept signed by another key than the invited one', () => {
    const alice = sharingKey();
    const carol = sharingKey();
    const mallory = sharingKey();
    const create = buildFolderLink({
      state: null,
      folder: FOLDER,
      link: {
        op: 'create',
        by: 'alice',
        signer: alice,
        member: member('alice', alice, 'owner'),
        fk: randomBytes(32),
      },
    });
    let state = verifyFolderLog({ folder: FOLDER, links: [create] });
    const invite = buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'invite', by: 'alice', signer: alice, member: member('carol', carol, 'viewer') },
    });
    state = verifyFolderLog({ folder: FOLDER, links: [create, invite] });
    const accept = buildFolderLink({
      state,
      folder: FOLDER,
      link: { op: 'accept', by: 'carol', signer: mallory, member: member('carol', carol, 'viewer') },
    });
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: [create, invite, accept] })).code).toBe(
      'log-forged',
    );
  });

  it('refuses an altered link', () => {
    const { links } = threeLinks();
    const altered = { ...links[1]!, member: { ...links[1]!.member, role: 'owner' as const } };
    expect(
      caught(() => verifyFolderLog({ folder: FOLDER, links: [links[0]!, altered, links[2]!] })).code,
    ).toBe('log-forged');
  });

  it('refuses a rolled-back log (shorter than the head pinned)', () => {
    const { links, state } = threeLinks();
    const pinned = { genesisHash: state.genesisHash, head: state.head };
    expect(verifyFolderLog({ folder: FOLDER, links, pinned }).head).toEqual(state.head);
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: links.slice(0, 2), pinned })).code).toBe(
      'log-rollback',
    );
  });

  it('refuses a fork (another valid history at the pinned head, or another genesis)', () => {
    const { alice, links, state } = threeLinks();
    const pinned = { genesisHash: state.genesisHash, head: state.head };
    // The owner's key signs a different link 2: a valid chain on its own, but not the one pinned.
    const before = verifyFolderLog({ folder: FOLDER, links: links.slice(0, 2) });
    const dave = sharingKey();
    const other = buildFolderLink({
      state: before,
      folder: FOLDER,
      link: { op: 'invite', by: 'alice', signer: alice, member: member('dave', dave, 'viewer') },
    });
    const forked = [...links.slice(0, 2), other];
    expect(verifyFolderLog({ folder: FOLDER, links: forked }).head.hash).not.toBe(state.head.hash);
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: forked, pinned })).code).toBe('log-fork');
    const otherGenesis = threeLinks().links;
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: otherGenesis, pinned })).code).toBe(
      'log-fork',
    );
  });

  it('refuses a link of another folder and removing the last owner', () => {
    const { alice, links, state } = threeLinks();
    const foreign = buildFolderLink({
      state,
      folder: 'folder-2',
      link: { op: 'invite', by: 'alice', signer: alice, member: member('x', sharingKey(), 'viewer') },
    });
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: [...links, foreign] })).code).toBe(
      'log-invalid',
    );
    const lastOwner = buildFolderLink({
      state,
      folder: FOLDER,
      link: {
        op: 'remove',
        by: 'alice',
        signer: alice,
        member: member('alice', alice, 'owner'),
        fk: randomBytes(32),
      },
    });
    expect(caught(() => verifyFolderLog({ folder: FOLDER, links: [...links, lastOwner] })).code).toBe(
      'log-invalid',
    );
  });
});

describe('folder key wraps', () => {
  it('unwraps the committed key for its member, folder and epoch', () => {
    const { bob, fk1, state } = threeLinks();
    const wrapped = wrapFolderKey({
      folder: FOLDER,
      epoch: 1,
      member: 'bob',
      fk: fk1,
      recipient: bob.public,
    });
    expect(unwrapFolderKey({ folder: FOLDER, epoch: 1, member: 'bob', wrapped, key: bob, state })).toEqual(
      fk1,
    );
  });

  it('refuses a swapped wrap: another member, epoch, or a key the owners never committed to', () => {
    const { alice, bob, fk1, state } = threeLinks();
    const forAlice = wrapFolderKey({
      folder: FOLDER,
      epoch: 1,
      member: 'alice',
      fk: fk1,
      recipient: alice.public,
    });
    // alice's wrap handed to bob under bob's name.
    expect(
      caught(() =>
        unwrapFolderKey({ folder: FOLDER, epoch: 1, member: 'bob', wrapped: forAlice, key: bob, state }),
      ).code,
    ).toBe('wrap-invalid');
    // A wrap made for bob but labelled with another member id or epoch.
    const forBob = wrapFolderKey({ folder: FOLDER, epoch: 1, member: 'bob', fk: fk1, recipient: bob.public });
    expect(
      caught(() =>
        unwrapFolderKey({ folder: FOLDER, epoch: 1, member: 'carol', wrapped: forBob, key: bob, state }),
      ).code,
    ).toBe('wrap-invalid');
    // The server wraps a key of its own to bob's public key: it opens, but it is not the committed key.
    const serverKey = wrapFolderKey({
      folder: FOLDER,
      epoch: 1,
      member: 'bob',
      fk: randomBytes(32),
      recipient: bob.public,
    });
    const err = caught(() =>
      unwrapFolderKey({ folder: FOLDER, epoch: 1, member: 'bob', wrapped: serverKey, key: bob, state }),
    );
    expect(err.code).toBe('wrap-invalid');
    expect(err.message).toMatch(/committed/);
  });
});

describe('folder entries', () => {
  const record = () =>
    createRecord({
      entry: totpEntry(1),
      id: '5b0c1d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e',
      tags: [],
      deviceOnly: false,
      order: 0,
      stamp: formatHlc({ ms: 1_700_000_000_000, counter: 0, deviceId: 'dev1' }),
      now: 1_700_000_000_000,
    });

  it('round-trips a record and re-encrypts it under the key of a new epoch', () => {
    const fk1 = randomBytes(32);
    const fk2 = randomBytes(32);
    const sealed = sealFolderEntry({ fk: fk1, folder: FOLDER, epoch: 1, record: record() });
    expect(openFolderEntry({ fk: fk1, folder: FOLDER, sealed })).toEqual(record());
    const resealed = resealFolderEntry({ folder: FOLDER, sealed, from: fk1, to: { fk: fk2, epoch: 2 } });
    expect(resealed.epoch).toBe(2);
    expect(openFolderEntry({ fk: fk2, folder: FOLDER, sealed: resealed })).toEqual(record());
    // The removed member kept fk1: it opens nothing of epoch 2.
    expect(caught(() => openFolderEntry({ fk: fk1, folder: FOLDER, sealed: resealed })).code).toBe(
      'entry-invalid',
    );
  });

  it('refuses an entry moved to another folder, epoch or id', () => {
    const fk = randomBytes(32);
    const sealed = sealFolderEntry({ fk, folder: FOLDER, epoch: 1, record: record() });
    expect(caught(() => openFolderEntry({ fk, folder: 'folder-2', sealed })).code).toBe('entry-invalid');
    expect(caught(() => openFolderEntry({ fk, folder: FOLDER, sealed: { ...sealed, epoch: 2 } })).code).toBe(
      'entry-invalid',
    );
    expect(
      caught(() => openFolderEntry({ fk, folder: FOLDER, sealed: { ...sealed, id: 'other' } })).code,
    ).toBe('entry-invalid');
  });
});

describe('safety number', () => {
  it('is 12 groups of 5 digits, the same on both sides, and changes with either key', () => {
    const a = sharingKey().public;
    const b = sharingKey().public;
    const n = safetyNumber({ a, b });
    expect(n).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber({ a: b, b: a })).toBe(n);
    expect(safetyNumber({ a, b: sharingKey().public })).not.toBe(n);
    expect(safetyNumber({ a: { ...a, signPub: b.signPub }, b })).not.toBe(n);
  });
});
