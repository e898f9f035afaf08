/**
 * The folder member log (docs/PROTOCOL.md §12.2): an append-only, hash-chained list of links, each
 * signed with a sharing key. Every member verifies the whole chain from the genesis it pinned when
 * it accepted, so a server can neither add a member (it holds no owner's sharing key), roll the log
 * back (the pinned head must still be in it), nor show members different histories (a fork breaks
 * the pinned head's hash).
 */
import { canon, ed25519Verify } from '@tessera/protocol';
import { b64u, fromB64u, hash, utf8 } from '../keychain/bytes.js';
import { hkdf } from '../keychain/primitives.js';
import { FolderError } from './errors.js';
import { FOLDER_LABELS } from './labels.js';
import {
  verifySharingRotation,
  type SharingKey,
  type SharingKeyStep,
  type SharingPublic,
} from './sharing-key.js';

export type FolderOp = 'create' | 'invite' | 'accept' | 'remove' | 'role' | 'member-key' | 'rekey';
/** Ops that start a new folder key epoch, committing to its key. */
const NEW_EPOCH: ReadonlySet<string> = new Set<FolderOp>(['remove', 'rekey']);
/** Longest chain of key changes one `member-key` link may carry (rotations between two syncs). */
const MAX_KEY_STEPS = 32;
export type FolderRole = 'owner' | 'editor' | 'viewer';
const ROLES: ReadonlySet<string> = new Set<FolderRole>(['owner', 'editor', 'viewer']);

/** A member as a link names it: account id, sharing public keys and role. */
export interface FolderLinkMember extends SharingPublic {
  account: string;
  role: FolderRole;
}

/** A link without its signature. */
export interface FolderLinkBody {
  v: 1;
  folder: string;
  seq: number;
  prev: string | null;
  op: FolderOp;
  /** Key epoch after this link; `remove` and `rekey` start a new one. */
  epoch: number;
  /**
   * Account id of the signer: an owner, or for `accept` the invited account itself, or for
   * `member-key` the member whose key changes.
   */
  by: string;
  /** The member the link is about; for `member-key`, with its NEW sharing keys. */
  member: FolderLinkMember;
  /** `create`, `remove` and `rekey`: commitment to the folder key of the new epoch (see `folderKeyCommit`). */
  keyCommit?: string;
  /** `invite` only, optional: the folder's name sealed to the invitee's sharing key (`invite-name.ts`). */
  name?: string;
  /** `member-key`: the keys it replaces, which must be the ones the log names for the member now. */
  from?: SharingPublic;
  /**
   * `member-key`: the steps from `from` to the new keys, each signed by the key before it (the
   * signatures the account's circle carries, §12.1).
   */
  keyChain?: SharingKeyStep[];
  at: string;
}

export interface FolderLink extends FolderLinkBody {
  sig: string;
}

export interface FolderMember extends FolderLinkMember {
  status: 'invited' | 'active' | 'removed';
  /** `seq` of the last `member-key` link that changed this member's keys (their devices changed). */
  keyChangedAt?: number;
}

/** What a verified log proves. */
export interface FolderState {
  folder: string;
  genesisHash: string;
  head: FolderPin;
  epoch: number;
  /** Folder key commitment of each epoch, by epoch. */
  keyCommits: Record<number, string>;
  members: Record<string, FolderMember>;
  /**
   * `seq` of the first `member-key` link of an active member since the current epoch began: the
   * folder key may be known to that member's removed device, so an owner must start a new epoch.
   */
  rekeyDue?: number;
}

/** What a member stores locally to refuse rollbacks and forks: its genesis and its highest head. */
export interface FolderPin {
  seq: number;
  hash: string;
}

/** `b64u(H(canon(link)))`, the value the next link's `prev` carries. */
export function folderLinkHash(link: FolderLink): string {
  return b64u(hash(utf8(canon(link))));
}

/** Commitment to `fk` for `folder` and `epoch`; a member checks every unwrapped key against it. */
export function folderKeyCommit(options: { fk: Uint8Array; folder: string; epoch: number }): string {
  return b64u(
    hkdf({
      ikm: options.fk,
      salt: options.folder,
      info: `${FOLDER_LABELS.folderKeyCommit}|${options.epoch}`,
    }),
  );
}

function signedMessage(body: FolderLinkBody): Uint8Array {
  return utf8(`${FOLDER_LABELS.folderLink}|${canon(body)}`);
}

/** Fields of a new link; its place in the chain comes from `state`. */
export interface NewFolderLink {
  op: FolderOp;
  /** The signer's account id and sharing key. */
  by: string;
  signer: SharingKey;
  member: FolderLinkMember;
  /** `create`, `remove` and `rekey`: the folder key of the new epoch, committed to in the link. */
  fk?: Uint8Array;
  /** `invite`: the folder's name sealed to the invitee, so it sees the name before accepting. */
  name?: string;
  /** `member-key`: the keys replaced and the signed steps to the new ones (`sharingKeyChain`). */
  from?: SharingPublic;
  keyChain?: SharingKeyStep[];
  now?: Date;
}

/**
 * Builds and signs the link extending `state` (null: a `create` genesis for `folder`). Only checks
 * its inputs' shape; `verifyFolderLog` decides whether the link is allowed.
 */
export function buildFolderLink(options: {
  state: FolderState | null;
  folder: string;
  link: NewFolderLink;
}): FolderLink {
  const { state, link } = options;
  const epoch = state === null ? 1 : NEW_EPOCH.has(link.op) ? state.epoch + 1 : state.epoch;
  const body: FolderLinkBody = {
    v: 1,
    folder: options.folder,
    seq: state ? state.head.seq + 1 : 0,
    prev: state ? state.head.hash : null,
    op: link.op,
    epoch,
    by: link.by,
    member: { ...link.member },
    at: (link.now ?? new Date()).toISOString(),
  };
  if (link.op === 'create' || NEW_EPOCH.has(link.op)) {
    if (!link.fk) throw new TypeError(`a ${link.op} link needs the folder key of its epoch`);
    body.keyCommit = folderKeyCommit({ fk: link.fk, folder: options.folder, epoch });
  }
  if (link.op === 'invite' && link.name !== undefined) body.name = link.name;
  if (link.op === 'member-key') {
    if (!link.from || !link.keyChain) throw new TypeError('a member-key link needs from and keyChain');
    body.from = { encPub: link.from.encPub, signPub: link.from.signPub };
    body.keyChain = link.keyChain.map((s) => ({ encPub: s.encPub, signPub: s.signPub, sig: s.sig }));
  }
  return { ...body, sig: b64u(link.signer.sign(signedMessage(body))) };
}

/**
 * Verifies a whole folder log and returns what it proves. With `pinned` (the genesis and highest
 * head this member verified before), a log that no longer contains that head is a rollback and one
 * with another link at its place is a fork.
 */
export function verifyFolderLog(options: {
  folder: string;
  links: readonly FolderLink[];
  pinned?: { genesisHash: string; head: FolderPin } | null;
}): FolderState {
  const { links, pinned, folder } = options;
  if (links.length === 0)
    throw new FolderError('log-invalid', `The member log of folder ${folder} is empty.`);
  if (pinned) {
    if (folderLinkHash(links[0]!) !== pinned.genesisHash)
      throw new FolderError(
        'log-fork',
        `The member log of folder ${folder} starts from another genesis than the one pinned.`,
      );
    if (links.length <= pinned.head.seq)
      throw new FolderError(
        'log-rollback',
        `The member log of folder ${folder} ends at link ${links.length - 1}, before link ${pinned.head.seq} already verified.`,
      );
    if (folderLinkHash(links[pinned.head.seq]!) !== pinned.head.hash)
      throw new FolderError(
        'log-fork',
        `The member log of folder ${folder} differs at link ${pinned.head.seq} from the one verified.`,
      );
  }
  let state: FolderState | null = null;
  for (const link of links) state = applyFolderLink(state, folder, link);
  return state!;
}

function applyFolderLink(state: FolderState | null, folder: string, link: FolderLink): FolderState {
  const where = `link ${link.seq} of folder ${folder}`;
  const invalid = (why: string) =>
    new FolderError('log-invalid', `The member log is invalid at ${where}: ${why}.`);
  const forged = (why: string) =>
    new FolderError('log-forged', `The member log is forged at ${where}: ${why}.`);
  checkShape(link, invalid);
  if (link.folder !== folder) throw invalid('it belongs to another folder');
  const expectedSeq = state ? state.head.seq + 1 : 0;
  if (link.seq !== expectedSeq) throw invalid(`its position is ${link.seq}, expected ${expectedSeq}`);
  if (link.prev !== (state ? state.head.hash : null)) throw invalid('it does not follow the previous link');
  const expectedEpoch = state === null ? 1 : NEW_EPOCH.has(link.op) ? state.epoch + 1 : state.epoch;
  if (link.epoch !== expectedEpoch)
    throw invalid(`its key epoch is ${link.epoch}, expected ${expectedEpoch}`);
  const signPub = signerKey(state, link, forged);
  const { sig, ...body } = link;
  const signed = {
    publicKey: fromB64u(signPub, 'signPub'),
    message: signedMessage(body),
    signature: fromB64u(sig, 'sig'),
  };
  if (!ed25519Verify(signed))
    throw forged(
      link.op === 'member-key'
        ? `the key change is not signed by the new key it names for ${link.by}`
        : `the signature is not ${link.by}'s`,
    );
  const members = { ...(state?.members ?? {}) };
  const keyCommits = { ...(state?.keyCommits ?? {}) };
  const target = members[link.member.account];
  // A new epoch gives every member a new key; a key change after it needs another one.
  let rekeyDue = NEW_EPOCH.has(link.op) ? undefined : state?.rekeyDue;
  switch (link.op) {
    case 'create':
      if (state !== null) throw invalid('only the first link may create the folder');
      members[link.member.account] = { ...link.member, status: 'active' };
      break;
    case 'invite':
      if (target && target.status !== 'removed')
        throw invalid(`${link.member.account} is already ${target.status}`);
      members[link.member.account] = { ...link.member, status: 'invited' };
      break;
    case 'accept':
      if (!target || target.status !== 'invited')
        throw invalid(`${link.member.account} has no pending invite`);
      if (!sameMember(target, link.member)) throw forged('the accept does not match the invite');
      members[link.member.account] = { ...target, status: 'active' };
      break;
    case 'remove':
    case 'role':
      if (!target || target.status === 'removed') throw invalid(`${link.member.account} is not a member`);
      if (target.encPub !== link.member.encPub || target.signPub !== link.member.signPub)
        throw invalid(`the keys named for ${link.member.account} are not the member's`);
      members[link.member.account] =
        link.op === 'remove' ? { ...target, status: 'removed' } : { ...target, role: link.member.role };
      if (!Object.values(members).some((m) => m.status === 'active' && m.role === 'owner'))
        throw invalid('it would leave the folder without an owner');
      break;
    case 'member-key':
      members[link.member.account] = changedKey(target, link, invalid, forged);
      if (target!.status === 'active') rekeyDue ??= link.seq;
      break;
    case 'rekey':
      // Only in answer to a key change (§12.2), naming the member whose key changed, by its new keys.
      if (state!.rekeyDue === undefined)
        throw invalid('no member changed its key since the folder key last changed');
      if (!target || target.status === 'removed') throw invalid(`${link.member.account} is not a member`);
      if (target.encPub !== link.member.encPub || target.signPub !== link.member.signPub)
        throw invalid(`the keys named for ${link.member.account} are not the member's`);
      break;
  }
  if (link.keyCommit !== undefined) keyCommits[link.epoch] = link.keyCommit;
  const linkHash = folderLinkHash(link);
  const next: FolderState = {
    folder,
    genesisHash: state?.genesisHash ?? linkHash,
    head: { seq: link.seq, hash: linkHash },
    epoch: link.epoch,
    keyCommits,
    members,
  };
  if (rekeyDue !== undefined) next.rekeyDue = rekeyDue;
  return next;
}

/**
 * The member after a `member-key` link (§12.2): it must replace the keys the log names for the
 * member NOW (so of two changes from the same old key, only the first counts: the second is
 * refused), each step must be signed by the key before it, and the last step must be the new keys
 * the link names and is signed by. The role cannot change.
 */
function changedKey(
  target: FolderMember | undefined,
  link: FolderLink,
  invalid: (why: string) => FolderError,
  forged: (why: string) => FolderError,
): FolderMember {
  const account = link.member.account;
  if (!target || target.status === 'removed') throw invalid(`${account} is not a member`);
  const from = link.from!;
  if (from.encPub !== target.encPub || from.signPub !== target.signPub)
    throw forged(
      `it replaces a sharing key ${account} no longer has in this folder: a second, conflicting key change` +
        (target.keyChangedAt !== undefined ? ` (the change at link ${target.keyChangedAt} stands)` : ''),
    );
  if (link.member.role !== target.role) throw forged('a key change cannot change the role');
  let current: SharingPublic = from;
  for (const step of link.keyChain!) {
    if (!verifySharingRotation({ from: current, to: step, sig: step.sig }))
      throw forged(`the key change is not signed by ${account}'s previous sharing key`);
    current = step;
  }
  if (current.encPub !== link.member.encPub || current.signPub !== link.member.signPub)
    throw invalid('the key change does not end at the keys it names');
  if (current.encPub === from.encPub || current.signPub === from.signPub)
    throw invalid('the key change keeps the old key');
  return {
    ...target,
    encPub: link.member.encPub,
    signPub: link.member.signPub,
    keyChangedAt: link.seq,
  };
}

/** The sharing signing key that must have signed `link`. */
function signerKey(
  state: FolderState | null,
  link: FolderLink,
  forged: (why: string) => FolderError,
): string {
  if (link.op === 'create') {
    if (link.by !== link.member.account || link.member.role !== 'owner')
      throw forged('a folder is created by its first owner');
    return link.member.signPub;
  }
  if (link.op === 'accept') {
    if (link.by !== link.member.account) throw forged('only the invited account accepts its invite');
    return state!.members[link.by]?.signPub ?? link.member.signPub;
  }
  if (link.op === 'member-key') {
    // Signed by the NEW key; the old key's signatures are in `keyChain` (see `changedKey`).
    if (link.by !== link.member.account) throw forged('only the member itself changes its key');
    return link.member.signPub;
  }
  const signer = state?.members[link.by];
  if (!signer || signer.status !== 'active' || signer.role !== 'owner')
    throw forged(`${link.by} is not an owner of the folder`);
  return signer.signPub;
}

function sameMember(a: FolderLinkMember, b: FolderLinkMember): boolean {
  return a.account === b.account && a.encPub === b.encPub && a.signPub === b.signPub && a.role === b.role;
}

function checkShape(link: FolderLink, invalid: (why: string) => FolderError): void {
  const ops: readonly string[] = ['create', 'invite', 'accept', 'remove', 'role', 'member-key', 'rekey'];
  if (typeof link !== 'object' || link === null || link.v !== 1) throw invalid('unknown link version');
  if (!ops.includes(link.op)) throw invalid(`unknown op ${String(link.op)}`);
  const m = link.member as Partial<FolderLinkMember> | undefined;
  if (!m || typeof m.account !== 'string' || typeof m.encPub !== 'string' || typeof m.signPub !== 'string')
    throw invalid('the member is malformed');
  if (!ROLES.has(m.role as string)) throw invalid(`unknown role ${String(m.role)}`);
  if (typeof link.by !== 'string' || typeof link.sig !== 'string' || typeof link.at !== 'string')
    throw invalid('a field is missing');
  const needsCommit = link.op === 'create' || NEW_EPOCH.has(link.op);
  if (needsCommit !== (typeof link.keyCommit === 'string'))
    throw invalid('the key commitment is missing or unexpected');
  if (link.name !== undefined && (link.op !== 'invite' || typeof link.name !== 'string'))
    throw invalid('only an invite carries a sealed folder name');
  const keyChange = link.op === 'member-key';
  if (!keyChange && (link.from !== undefined || link.keyChain !== undefined))
    throw invalid('it carries a key change outside member-key');
  if (keyChange) {
    const keys = (k: unknown) =>
      typeof k === 'object' &&
      k !== null &&
      typeof (k as SharingPublic).encPub === 'string' &&
      typeof (k as SharingPublic).signPub === 'string';
    const chain = link.keyChain as unknown;
    if (
      !keys(link.from) ||
      !Array.isArray(chain) ||
      chain.length === 0 ||
      chain.length > MAX_KEY_STEPS ||
      !chain.every((s) => keys(s) && typeof (s as SharingKeyStep).sig === 'string')
    )
      throw invalid('the key change is malformed');
  }
}
