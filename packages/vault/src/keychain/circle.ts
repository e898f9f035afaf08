/**
 * The circle (docs/PROTOCOL.md §2): an append-only, hash-chained log of links signed with the circle
 * key, which only vault-key holders can derive. `applyLinks` verifies links on top of the last verified
 * state and refuses anything that does not extend it, so a server can neither insert a device of its
 * own nor roll the circle back.
 */
import { b64u, fromB64u, hash, utf8 } from './bytes.js';
import { canon, ed25519Verify, LIMITS } from '@tessera/protocol';
import { KeychainError } from './errors.js';
import type { CircleKey } from './keys.js';
import { checkRealmSetup, type RealmSetup } from '../realms/pin.js';
import { verifySharingRotation } from '../folders/sharing-key.js';

export type CircleOp =
  | 'genesis'
  | 'add-device'
  | 'remove-device'
  | 'set-escrow'
  | 'rotate'
  | 'add-passkey'
  | 'remove-passkey'
  | 'rename-device'
  | 'sharing-key';

/** The link version this client writes (docs/PROTOCOL.md §2.1); v1 links still verify under v1 rules. */
export const LINK_VERSION = 2;

/** Ops that start a new key epoch with a new circle key. */
const ROTATING_OPS: ReadonlySet<CircleOp> = new Set(['remove-device', 'rotate']);
export type JoinVia = 'genesis' | 'approval' | 'recovery' | 'pin' | 'passkey';

/** A device as the circle names it (public keys b64u). */
export interface CircleDevice {
  id: string;
  name: string;
  encPub: string;
  signPub: string;
}

/** A passkey for restore as the circle names it (§8): public keys derived from its PRF output. */
export interface CirclePasskey {
  /** `passkeyId(credentialId)`; the wrap recipient is `passkey:<id>`. */
  id: string;
  /** b64u WebAuthn credential id, so a restoring device can ask the platform for this passkey. */
  credentialId: string;
  name: string;
  encPub: string;
  signPub: string;
}

/**
 * The account's sharing key as a link names it (docs/PROTOCOL.md §12.1): its public halves, and its
 * 32-byte seed sealed under the vault key of the link's epoch, so only the account's devices open it.
 */
export interface CircleSharing {
  encPub: string;
  signPub: string;
  sealed: string;
  /**
   * A rotation naming a NEW sharing key: the previous key's signature of the change
   * (`sharingRotationMessage`), which the account's devices carry into every folder's log.
   */
  prevSig?: string;
}

/** A sharing key a rotation replaced, with its signature naming the key that replaced it. */
export interface RetiredSharing {
  encPub: string;
  signPub: string;
  /** The next key in line (a later retired one, or the current one). */
  next: { encPub: string; signPub: string };
  /** This key's signature of the change to `next` (`sharingRotationMessage`). */
  sig: string;
  /** `seq` of the rotating link that replaced it. */
  replacedSeq: number;
}

/** `b64u` of the first 16 bytes of `H(credentialId)`: a short, fixed-length id for any credential id. */
export function passkeyId(credentialId: Uint8Array): string {
  return b64u(hash(credentialId).subarray(0, 16));
}

/** A link without its signature. */
export interface CircleLinkBody {
  v: 1 | 2;
  seq: number;
  prev: string | null;
  op: CircleOp;
  epoch: number;
  circlePub: string;
  device: CircleDevice | null;
  recoveryPub: string | null;
  escrowPub: string | null;
  via: JoinVia | null;
  by: string;
  at: string;
  /**
   * Wherever a recovery key is set (genesis; v2 also rotate and remove-device): public key of the
   * recovery signing key (§1) and its signature, see `recoveryMessage`.
   */
  recoverySignPub?: string;
  recoverySig?: string;
  /** Wherever an escrow key is set: public key of the escrow signing key (§1) and its signature, see `escrowMessage`. */
  escrowSignPub?: string;
  escrowSig?: string;
  /** Wherever an escrow key is set by realms (§11): where the PIN's records are, pinned here. */
  escrowRealms?: RealmSetup | null;
  /** add-passkey and remove-passkey: the passkey; add-passkey also its anchor signature (§8). */
  passkey?: CirclePasskey | null;
  passkeySig?: string;
  /** sharing-key, and (v2) every rotating link once the circle has one: the sharing key (§12.1). */
  sharing?: CircleSharing | null;
}

export interface CircleLink extends CircleLinkBody {
  sig: string;
}

export interface CircleHead {
  seq: number;
  hash: string;
}

/** What a verified chain proves; small enough to keep in the vault meta. */
export interface CircleState {
  head: CircleHead;
  epoch: number;
  /** Circle public key of each epoch seen (b64u). */
  circlePubs: Record<string, string>;
  devices: Record<string, CircleMember>;
  recoveryPub: string;
  escrowPub: string | null;
  /** `linkHash` of the genesis. */
  genesisHash: string;
  /** The recovery signing key that signed the genesis (null: an unanchored genesis). */
  recoverySignPub: string | null;
  /** The escrow signing key that signed the set-escrow link naming `escrowPub`. */
  escrowSignPub: string | null;
  /** The realms holding the PIN behind `escrowPub` (§11); null or absent: the legacy escrow or no PIN. */
  escrowRealms?: RealmSetup | null;
  /**
   * The epoch whose vault key derived the delete key of `escrowRealms`' records: the epoch before
   * the link that set them (registration happens before the link, under the key then current).
   */
  escrowRealmsEpoch?: number;
  /** Highest link version seen: once a v2 link is verified, v1 links are refused (§2.1). */
  version?: 1 | 2;
  /** Recovery signing keys replaced by later links, oldest first (§7: "this key was replaced on ..."). */
  retiredRecovery?: RetiredAnchor[];
  /** Passkeys for restore, by id (§8); a v2 removal drops them all. */
  passkeys?: Record<string, CirclePasskey & { addedAt: string; addedBy: string }>;
  /**
   * The account's sharing key (§12.1), with the epoch whose vault key sealed its seed; absent or null
   * until a device first uses shared folders.
   */
  sharing?: (CircleSharing & { epoch: number }) | null;
  /** Sharing keys rotations replaced, oldest first (§12.1): the chain folder logs are moved along. */
  retiredSharing?: RetiredSharing[];
}

/** A recovery signing key that a later link replaced. */
export interface RetiredAnchor {
  signPub: string;
  /** `at` and `seq` of the link that replaced it. */
  replacedAt: string;
  replacedSeq: number;
}

export interface CircleMember {
  device: CircleDevice;
  status: 'trusted' | 'removed';
  via: JoinVia;
  addedBy: string;
  addedAt: string;
  removedAt?: string;
}

/** Largest link the server accepts (bytes of canonical JSON). */
export const MAX_LINK_BYTES = LIMITS.maxCircleLinkBytes;

/** `b64u(H(canon(link)))`, the value the next link's `prev` must carry. */
export function linkHash(link: CircleLink): string {
  return b64u(hash(utf8(canon(link))));
}

/**
 * What the recovery signing key signs. The genesis (v1 and v2): `utf8(canon(link without sig and
 * recoverySig))`. A v2 rotate or remove-device: `anchorMessage`, like the escrow key.
 */
export function recoveryMessage(link: CircleLinkBody, genesisHash?: string): Uint8Array {
  if (link.op !== 'genesis') return anchorMessage(genesisHash!, link);
  const { recoverySig: _ignored, ...body } = withoutSig(link);
  return utf8(canon(body));
}

/**
 * What the escrow signing key signs. v1 set-escrow: `utf8(canon({ genesis, link }))` with `genesis`
 * the `linkHash` of the genesis and `link` the link without `sig` and `escrowSig`. v2: `anchorMessage`.
 */
export function escrowMessage(genesisHash: string, link: CircleLinkBody): Uint8Array {
  if (link.v !== 1) return anchorMessage(genesisHash, link);
  const { escrowSig: _ignored, ...body } = withoutSig(link);
  return utf8(canon({ genesis: genesisHash, link: body }));
}

/**
 * v2 anchor message (§2.1): `utf8(canon({ genesis, link }))` with `link` without `sig`,
 * `recoverySig`, `escrowSig` and `passkeySig`, so one link can carry several anchors, each bound to
 * its place in this account's chain.
 */
export function passkeyMessage(genesisHash: string, link: CircleLinkBody): Uint8Array {
  return anchorMessage(genesisHash, link);
}

function anchorMessage(genesisHash: string, link: CircleLinkBody): Uint8Array {
  const { recoverySig: _r, escrowSig: _e, passkeySig: _p, ...body } = withoutSig(link);
  return utf8(canon({ genesis: genesisHash, link: body }));
}

function withoutSig(link: CircleLinkBody): CircleLinkBody {
  const { sig: _ignored, ...body } = link as CircleLink;
  return body;
}

/** Signs a link body with the circle key of the previous link's epoch (or the genesis key). */
export function signLink(body: CircleLinkBody, key: CircleKey): CircleLink {
  return { ...body, sig: b64u(key.sign(utf8(canon(body)))) };
}

/** Fields of a new link; the chain position comes from `state`. */
export interface NewLink {
  op: CircleOp;
  by: string;
  device?: CircleDevice | null;
  via?: JoinVia | null;
  recoveryPub?: string | null;
  escrowPub?: string | null;
  /** The key signing this link: the current circle key (or, for genesis, its own). */
  signer: CircleKey;
  /** Genesis: the recovery signing key; set-escrow: the escrow signing key (§2). */
  anchor?: CircleKey;
  /** A rotate or remove-device that replaces the recovery key: its signing key (§2.1). */
  recoveryAnchor?: CircleKey;
  /** A rotate or remove-device that sets a new escrow key: its signing key (§2.1). */
  escrowAnchor?: CircleKey;
  /** With a new escrow key set by realms: the realm setup to pin (§11). */
  escrowRealms?: RealmSetup;
  /** add-passkey and remove-passkey: the passkey (§8). */
  passkey?: CirclePasskey;
  /** add-passkey: the passkey's signing key, derived from its PRF output. */
  passkeyAnchor?: CircleKey;
  /** The circle key of the new epoch (genesis, remove-device and rotate). */
  nextCirclePub?: Uint8Array;
  /** sharing-key, and rotating links once the circle has a sharing key: it, sealed anew (§12.1). */
  sharing?: CircleSharing;
  now?: Date;
}

/** Builds and signs the link that extends `state` (null: the genesis). */
export function buildLink(state: CircleState | null, link: NewLink): CircleLink {
  const epoch = state === null ? 1 : ROTATING_OPS.has(link.op) ? state.epoch + 1 : state.epoch;
  const circlePub =
    link.nextCirclePub !== undefined
      ? b64u(link.nextCirclePub)
      : state
        ? state.circlePubs[state.epoch]!
        : null;
  if (!circlePub) throw new TypeError('a genesis, remove-device or rotate link needs nextCirclePub');
  const body: CircleLinkBody = {
    v: LINK_VERSION,
    seq: state ? state.head.seq + 1 : 0,
    prev: state ? state.head.hash : null,
    op: link.op,
    epoch,
    circlePub,
    device: link.device ?? null,
    recoveryPub: link.recoveryPub ?? null,
    escrowPub: link.escrowPub ?? null,
    via: link.via ?? null,
    by: link.by,
    at: (link.now ?? new Date()).toISOString(),
  };
  if (link.passkey) body.passkey = link.passkey;
  if (link.sharing) body.sharing = { ...link.sharing };
  if (link.escrowRealms) body.escrowRealms = link.escrowRealms;
  const recoveryAnchor = link.op === 'genesis' ? link.anchor : link.recoveryAnchor;
  const escrowAnchor = link.op === 'set-escrow' ? link.anchor : link.escrowAnchor;
  if (link.anchor && link.op !== 'genesis' && link.op !== 'set-escrow')
    throw new TypeError('only the genesis and set-escrow links take `anchor`');
  // Both anchors sign before either signature is added (§2.1: neither covers the other).
  if (recoveryAnchor) body.recoverySignPub = b64u(recoveryAnchor.publicKey);
  if (escrowAnchor) body.escrowSignPub = b64u(escrowAnchor.publicKey);
  const genesisHash = state?.genesisHash ?? '';
  const recoverySig = recoveryAnchor?.sign(recoveryMessage(body, genesisHash));
  const escrowSig = escrowAnchor?.sign(escrowMessage(genesisHash, body));
  const passkeySig = link.passkeyAnchor?.sign(passkeyMessage(genesisHash, body));
  if (recoverySig) body.recoverySig = b64u(recoverySig);
  if (escrowSig) body.escrowSig = b64u(escrowSig);
  if (passkeySig) body.passkeySig = b64u(passkeySig);
  return signLink(body, link.signer);
}

function invalid(link: { seq?: unknown }, why: string): KeychainError {
  return new KeychainError(
    'circle-invalid',
    `Circle link ${String(link.seq)} ${why}; the circle was refused.`,
  );
}

/**
 * Verifies `links` on top of `state` (null: from the genesis) and returns the new state. Throws
 * `circle-invalid` for any bad link and `circle-rollback` when the server's `head` is behind or
 * beside the state already verified.
 */
export function applyLinks(
  state: CircleState | null,
  links: CircleLink[],
  serverHead?: CircleHead | null,
): CircleState {
  if (serverHead !== undefined) checkNotRolledBack(state, serverHead);
  let current = state;
  for (const link of links) current = applyLink(current, link);
  if (
    serverHead &&
    current &&
    (current.head.seq !== serverHead.seq || current.head.hash !== serverHead.hash)
  ) {
    throw new KeychainError(
      'circle-invalid',
      `The server's circle head (link ${serverHead.seq}) is not the end of the links it sent; the circle was refused.`,
    );
  }
  if (!current) throw new KeychainError('circle-invalid', 'The server sent no circle for this account.');
  return current;
}

/** A server head behind what this device verified, or a different link at the same place, is a rollback. */
export function checkNotRolledBack(state: CircleState | null, serverHead: CircleHead | null): void {
  if (!state) return;
  if (serverHead === null || serverHead.seq < state.head.seq) {
    throw new KeychainError(
      'circle-rollback',
      `The server shows an older circle (link ${serverHead?.seq ?? 'none'}) than this device has verified ` +
        `(link ${state.head.seq}); it may have been rolled back or tampered with.`,
    );
  }
  if (serverHead.seq === state.head.seq && serverHead.hash !== state.head.hash) {
    throw new KeychainError(
      'circle-rollback',
      `The server's circle link ${serverHead.seq} differs from the one this device has verified (a fork).`,
    );
  }
}

function applyLink(state: CircleState | null, link: CircleLink): CircleState {
  if (typeof link !== 'object' || link === null) throw invalid({}, 'is not an object');
  if (utf8(canon(link)).length > MAX_LINK_BYTES) throw invalid(link, 'is too large');
  if (link.v !== 1 && link.v !== 2) throw invalid(link, 'has an unknown version');
  if (state && link.v < (state.version ?? 1))
    throw invalid(link, 'is a version 1 link after a version 2 link (a downgrade)');
  const expectedSeq = state ? state.head.seq + 1 : 0;
  if (link.seq !== expectedSeq) {
    if (state && typeof link.seq === 'number' && link.seq <= state.head.seq) {
      throw new KeychainError(
        'circle-rollback',
        `The server sent circle link ${link.seq} again, which does not extend link ${state.head.seq} this device has verified.`,
      );
    }
    throw invalid(link, `is out of order (expected link ${expectedSeq})`);
  }
  if (link.prev !== (state ? state.head.hash : null)) {
    throw state
      ? new KeychainError(
          'circle-rollback',
          `Circle link ${link.seq} does not extend the circle this device has verified (a fork or rollback).`,
        )
      : invalid(link, 'is a genesis that points to a previous link');
  }
  const { sig, ...body } = link;
  const signerPub = state ? state.circlePubs[state.epoch]! : link.circlePub;
  let signatureOk: boolean;
  try {
    signatureOk = ed25519Verify({
      publicKey: fromB64u(signerPub),
      message: utf8(canon(body)),
      signature: fromB64u(String(sig), 'sig'),
    });
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) throw invalid(link, 'is not signed by the circle key (only vault-key holders can sign)');
  if (typeof link.at !== 'string' || Number.isNaN(Date.parse(link.at)))
    throw invalid(link, 'has no valid time');
  checkAnchorFields(link);
  checkPublicKey(link, link.circlePub, 'circlePub');

  if (state === null) return applyGenesis(link);
  const next: CircleState = structuredClone(state);
  next.head = { seq: link.seq, hash: linkHash(link) };
  next.version = link.v;
  const byMember = state.devices[link.by];
  const byTrusted = byMember?.status === 'trusted';
  switch (link.op) {
    case 'genesis':
      throw invalid(link, 'is a second genesis');
    case 'add-device': {
      sameEpoch(state, link);
      const device = checkDevice(link);
      if (state.devices[device.id])
        throw invalid(link, `adds device ${device.id}, which is already in the circle`);
      if (Object.values(state.devices).some((m) => m.device.encPub === device.encPub)) {
        throw invalid(link, 'adds a key that another device already uses');
      }
      if (link.via === 'approval') {
        if (!byTrusted) throw invalid(link, `is an approval by ${link.by}, which is not a trusted device`);
      } else if (link.via === 'recovery' || link.via === 'pin' || link.via === 'passkey') {
        if (link.by !== device.id) throw invalid(link, 'is a self-join made by another device');
        if (link.via === 'pin' && !state.escrowPub) throw invalid(link, 'joins by PIN while no PIN is set');
        if (link.via === 'passkey' && Object.keys(state.passkeys ?? {}).length === 0)
          throw invalid(link, 'joins by passkey while no passkey is registered');
      } else {
        throw invalid(link, 'adds a device without saying how it got the vault key');
      }
      next.devices[device.id] = {
        device,
        status: 'trusted',
        via: link.via,
        addedBy: link.by,
        addedAt: link.at,
      };
      return next;
    }
    case 'remove-device': {
      rotatesEpoch(state, link, byTrusted);
      const target = link.device?.id ? state.devices[link.device.id] : undefined;
      if (!target || target.status !== 'trusted') throw invalid(link, 'removes a device that is not trusted');
      if (link.v === 2) {
        // §7: a removal replaces the recovery key and the escrow, so no credential from before it
        // can be shown a view of the circle from before it.
        if (link.recoveryPub == null)
          throw invalid(link, 'removes a device without replacing the recovery key');
        if (link.escrowPub !== null && link.escrowPub === state.escrowPub)
          throw invalid(link, 'removes a device without replacing or turning off the PIN escrow');
      }
      next.devices[target.device.id] = { ...target, status: 'removed', removedAt: link.at };
      // §8: passkeys cannot be replaced without their owner's touch, so a removal drops them.
      if (link.v === 2) next.passkeys = {};
      return applyRotation(state, next, link);
    }
    case 'add-passkey': {
      sameEpoch(state, link);
      if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
      if ((link.device ?? null) !== null || (link.via ?? null) !== null)
        throw invalid(link, 'carries a device');
      const passkey = checkPasskey(link);
      const known = state.passkeys ?? {};
      if (known[passkey.id]) throw invalid(link, 'adds a passkey that is already in the circle');
      if (Object.values(known).some((p) => p.encPub === passkey.encPub))
        throw invalid(link, 'adds a passkey key that another passkey already uses');
      const signPub = checkAnchor(link, {
        pub: passkey.signPub,
        sig: link.passkeySig,
        field: 'passkey.signPub',
        message: () => passkeyMessage(state.genesisHash, link),
      });
      if (signPub === null) throw invalid(link, 'adds a passkey without its signature');
      next.passkeys = { ...known, [passkey.id]: { ...passkey, addedAt: link.at, addedBy: link.by } };
      return next;
    }
    case 'remove-passkey': {
      sameEpoch(state, link);
      if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
      if ((link.device ?? null) !== null || (link.via ?? null) !== null)
        throw invalid(link, 'carries a device');
      const id = link.passkey?.id;
      if (!id || !state.passkeys?.[id]) throw invalid(link, 'removes a passkey that is not in the circle');
      const { [id]: _removed, ...rest } = state.passkeys;
      next.passkeys = rest;
      return next;
    }
    case 'sharing-key': {
      sameEpoch(state, link);
      if (link.v !== 2) throw invalid(link, 'is a sharing key in a version 1 link');
      if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
      if ((link.device ?? null) !== null || (link.via ?? null) !== null)
        throw invalid(link, 'carries a device');
      // Published once; only a rotation replaces it, with the old key's signature (§12.1).
      if (state.sharing) throw invalid(link, 'replaces the sharing key the circle already names');
      if (link.sharing?.prevSig != null) throw invalid(link, 'signs a sharing key change outside a rotation');
      next.sharing = { ...checkSharing(link), epoch: link.epoch };
      return next;
    }
    case 'rename-device': {
      sameEpoch(state, link);
      if (link.v !== 2) throw invalid(link, 'is a rename in a version 1 link');
      if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
      if ((link.via ?? null) !== null) throw invalid(link, 'renames with a join method');
      const device = checkDevice(link);
      const member = state.devices[device.id];
      if (!member || member.status !== 'trusted') throw invalid(link, 'renames a device that is not trusted');
      // Only the name may change: the keys stay the member's, so a rename cannot swap a device in.
      if (member.device.encPub !== device.encPub || member.device.signPub !== device.signPub)
        throw invalid(link, 'renames a device with other keys');
      next.devices[device.id] = { ...member, device: { ...member.device, name: device.name } };
      return next;
    }
    case 'rotate':
      rotatesEpoch(state, link, byTrusted);
      if ((link.device ?? null) !== null || (link.via ?? null) !== null)
        throw invalid(link, 'carries a device');
      return applyRotation(state, next, link);
    case 'set-escrow':
      sameEpoch(state, link);
      if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
      if ((link.device ?? null) !== null || (link.via ?? null) !== null)
        throw invalid(link, 'carries a device');
      if (link.escrowPub != null) checkPublicKey(link, link.escrowPub, 'escrowPub');
      else if (link.escrowSignPub != null) throw invalid(link, 'signs the removal of the escrow');
      next.escrowPub = link.escrowPub ?? null;
      next.escrowSignPub = checkAnchor(link, {
        pub: link.escrowSignPub,
        sig: link.escrowSig,
        field: 'escrowSignPub',
        message: () => escrowMessage(state.genesisHash, link),
      });
      pinRealms(next, state, link);
      return next;
    default:
      throw invalid(link, `has an unknown operation "${String((link as { op: unknown }).op)}"`);
  }
}

/**
 * Which links may name a recovery or escrow key and carry their anchor signatures (§2.1): the
 * genesis sets the recovery key, set-escrow the escrow key, and v2 rotate and remove-device either.
 */
function checkAnchorFields(link: CircleLink): void {
  const rotatingV2 = link.v === 2 && ROTATING_OPS.has(link.op);
  if (link.op !== 'genesis' && !rotatingV2) {
    if ((link.recoveryPub ?? null) !== null) throw invalid(link, 'changes the recovery key');
    if (link.recoverySignPub != null || link.recoverySig != null)
      throw invalid(link, 'carries a recovery signature outside the genesis');
  }
  if (link.op !== 'set-escrow' && !rotatingV2) {
    if ((link.escrowPub ?? null) !== null) throw invalid(link, 'sets an escrow outside set-escrow');
    if (link.escrowSignPub != null || link.escrowSig != null)
      throw invalid(link, 'carries an escrow signature outside set-escrow');
    if (link.escrowRealms != null) throw invalid(link, 'names escrow realms outside set-escrow');
  }
  if (link.escrowRealms != null && link.v !== 2)
    throw invalid(link, 'names escrow realms in a version 1 link');
  if (link.op === 'rotate' && link.v !== 2) throw invalid(link, 'is a rotation in a version 1 link');
  const passkeyOp = link.op === 'add-passkey' || link.op === 'remove-passkey';
  if (passkeyOp && link.v !== 2) throw invalid(link, 'is a passkey change in a version 1 link');
  if (!passkeyOp && (link.passkey ?? null) !== null)
    throw invalid(link, 'names a passkey outside add-passkey');
  if (link.op !== 'add-passkey' && link.passkeySig != null)
    throw invalid(link, 'carries a passkey signature outside add-passkey');
  if (link.op !== 'sharing-key' && !rotatingV2 && (link.sharing ?? null) !== null)
    throw invalid(link, 'names a sharing key outside sharing-key');
}

/** Pins the realms of a link that sets a new escrow key (or clears them: the legacy escrow). */
function pinRealms(next: CircleState, state: CircleState, link: CircleLink): void {
  next.escrowRealms = linkRealms(link);
  if (next.escrowRealms) next.escrowRealmsEpoch = state.epoch;
  else delete next.escrowRealmsEpoch;
}

/** The realm setup a link pins with its new escrow key (§11), checked; null: the legacy escrow. */
function linkRealms(link: CircleLink): RealmSetup | null {
  if (link.escrowRealms == null) return null;
  if (link.escrowPub == null) throw invalid(link, 'names escrow realms without an escrow key');
  try {
    return checkRealmSetup(link.escrowRealms);
  } catch (err) {
    throw invalid(link, `names escrow realms badly (${(err as Error).message})`);
  }
}

function checkSharing(link: CircleLink): CircleSharing {
  const s = link.sharing;
  if (!s || typeof s.sealed !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(s.sealed))
    throw invalid(link, 'names no sharing key');
  checkPublicKey(link, s.encPub, 'sharing.encPub');
  checkPublicKey(link, s.signPub, 'sharing.signPub');
  return { encPub: s.encPub, signPub: s.signPub, sealed: s.sealed };
}

/**
 * A v2 rotation carries the sharing key sealed under the new vault key (§12.1), so devices that only
 * ever hold the new key still open it. It either keeps the public halves (links written before
 * sharing keys rotated) or names a NEW key with the old key's signature of the change, so only a
 * holder of the old seed can make it; the old key joins `retiredSharing`. A new key that the circle
 * already named once is refused (a rotation never goes back to a key a removed device may hold).
 */
function rotateSharing(state: CircleState, next: CircleState, link: CircleLink): void {
  if (!state.sharing) {
    if ((link.sharing ?? null) !== null) throw invalid(link, 'names a sharing key outside sharing-key');
    return;
  }
  const sharing = checkSharing(link);
  const old = state.sharing;
  const prevSig = link.sharing?.prevSig;
  if (sharing.encPub === old.encPub && sharing.signPub === old.signPub) {
    if (prevSig != null) throw invalid(link, 'signs a sharing key change that changes nothing');
    next.sharing = { ...sharing, epoch: link.epoch };
    return;
  }
  const retired = state.retiredSharing ?? [];
  if (
    sharing.encPub === old.encPub ||
    sharing.signPub === old.signPub ||
    retired.some((r) => r.encPub === sharing.encPub || r.signPub === sharing.signPub)
  )
    throw invalid(link, 'names a sharing key the circle named before');
  if (prevSig == null) throw invalid(link, "changes the sharing key without the old key's signature");
  if (!verifySharingRotation({ from: old, to: sharing, sig: prevSig }))
    throw invalid(link, "changes the sharing key with a signature that is not the old key's");
  next.sharing = { ...sharing, prevSig, epoch: link.epoch };
  next.retiredSharing = [
    ...retired,
    {
      encPub: old.encPub,
      signPub: old.signPub,
      next: { encPub: sharing.encPub, signPub: sharing.signPub },
      sig: prevSig,
      replacedSeq: link.seq,
    },
  ];
}

function checkPasskey(link: CircleLink): CirclePasskey {
  const p = link.passkey;
  if (
    !p ||
    typeof p.id !== 'string' ||
    typeof p.name !== 'string' ||
    !p.name ||
    typeof p.credentialId !== 'string'
  )
    throw invalid(link, 'names no passkey');
  let credentialId: Uint8Array;
  try {
    credentialId = fromB64u(p.credentialId, 'passkey.credentialId');
  } catch {
    throw invalid(link, 'has a malformed passkey.credentialId');
  }
  if (credentialId.length === 0 || p.id !== passkeyId(credentialId))
    throw invalid(link, 'names a passkey whose id does not match its credential id');
  checkPublicKey(link, p.encPub, 'passkey.encPub');
  checkPublicKey(link, p.signPub, 'passkey.signPub');
  return { id: p.id, credentialId: p.credentialId, name: p.name, encPub: p.encPub, signPub: p.signPub };
}

function rotatesEpoch(state: CircleState, link: CircleLink, byTrusted: boolean): void {
  if (link.epoch !== state.epoch + 1) throw invalid(link, `is a ${link.op} without a new key epoch`);
  if (!byTrusted) throw invalid(link, `is made by ${link.by}, which is not a trusted device`);
  if (link.circlePub === state.circlePubs[state.epoch]) throw invalid(link, 'does not rotate the circle key');
}

/**
 * The new epoch of a remove-device or rotate link, and (v2) the recovery and escrow keys it states:
 * a new recovery key retires the old one; `escrowPub` is the escrow after the link (the same key,
 * a new anchored one, or null for none).
 */
function applyRotation(state: CircleState, next: CircleState, link: CircleLink): CircleState {
  next.epoch = link.epoch;
  next.circlePubs[String(link.epoch)] = link.circlePub;
  if (link.v !== 2) return next;
  rotateSharing(state, next, link);
  if (link.recoveryPub != null) {
    checkPublicKey(link, link.recoveryPub, 'recoveryPub');
    if (link.recoveryPub === state.recoveryPub) throw invalid(link, 'names the recovery key it replaces');
    const signPub = checkAnchor(link, {
      pub: link.recoverySignPub,
      sig: link.recoverySig,
      field: 'recoverySignPub',
      message: () => recoveryMessage(link, state.genesisHash),
    });
    if (!signPub) throw invalid(link, 'replaces the recovery key without its signature');
    next.retiredRecovery = [
      ...(state.retiredRecovery ?? []),
      ...(state.recoverySignPub
        ? [{ signPub: state.recoverySignPub, replacedAt: link.at, replacedSeq: link.seq }]
        : []),
    ];
    next.recoveryPub = link.recoveryPub;
    next.recoverySignPub = signPub;
  } else if (link.recoverySignPub != null || link.recoverySig != null) {
    throw invalid(link, 'carries a recovery signature without a recovery key');
  }
  const escrowPub = link.escrowPub ?? null;
  if (escrowPub !== null && escrowPub !== state.escrowPub) {
    checkPublicKey(link, escrowPub, 'escrowPub');
    const signPub = checkAnchor(link, {
      pub: link.escrowSignPub,
      sig: link.escrowSig,
      field: 'escrowSignPub',
      message: () => escrowMessage(state.genesisHash, link),
    });
    if (!signPub) throw invalid(link, 'sets an escrow key without its signature');
    next.escrowSignPub = signPub;
    pinRealms(next, state, link);
  } else if (link.escrowSignPub != null || link.escrowSig != null) {
    throw invalid(link, 'carries an escrow signature without a new escrow key');
  } else if (link.escrowRealms != null) {
    throw invalid(link, 'names escrow realms without a new escrow key');
  } else if (escrowPub === null) {
    next.escrowSignPub = null;
    next.escrowRealms = null;
    delete next.escrowRealmsEpoch;
  }
  next.escrowPub = escrowPub;
  return next;
}

function applyGenesis(link: CircleLink): CircleState {
  if (link.op !== 'genesis') throw invalid(link, 'should be the genesis');
  if (link.epoch !== 1) throw invalid(link, 'starts at an epoch other than 1');
  if (link.via !== 'genesis') throw invalid(link, 'is a genesis without via "genesis"');
  const device = checkDevice(link);
  if (link.by !== device.id) throw invalid(link, 'is a genesis made by another device');
  if (typeof link.recoveryPub !== 'string') throw invalid(link, 'sets no recovery key');
  checkPublicKey(link, link.recoveryPub, 'recoveryPub');
  const recoverySignPub = checkAnchor(link, {
    pub: link.recoverySignPub,
    sig: link.recoverySig,
    field: 'recoverySignPub',
    message: () => recoveryMessage(link),
  });
  const hash = linkHash(link);
  return {
    version: link.v,
    retiredRecovery: [],
    passkeys: {},
    head: { seq: 0, hash },
    genesisHash: hash,
    recoverySignPub,
    escrowSignPub: null,
    escrowRealms: null,
    epoch: 1,
    circlePubs: { '1': link.circlePub },
    devices: {
      [device.id]: { device, status: 'trusted', via: 'genesis', addedBy: device.id, addedAt: link.at },
    },
    recoveryPub: link.recoveryPub,
    escrowPub: null,
  };
}

/**
 * Checks an optional anchor signature (recovery or escrow signing key) and returns its public key,
 * or null when the link carries none. A key without a valid signature, or the reverse, is refused.
 */
function checkAnchor(
  link: CircleLink,
  anchor: { pub: unknown; sig: unknown; field: string; message: () => Uint8Array },
): string | null {
  if (anchor.pub == null && anchor.sig == null) return null;
  checkPublicKey(link, anchor.pub, anchor.field);
  let ok: boolean;
  try {
    ok = ed25519Verify({
      publicKey: fromB64u(anchor.pub as string),
      message: anchor.message(),
      signature: fromB64u(String(anchor.sig), 'sig'),
    });
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(link, `is not signed by the ${anchor.field} it names`);
  return anchor.pub as string;
}

function sameEpoch(state: CircleState, link: CircleLink): void {
  if (link.epoch !== state.epoch || link.circlePub !== state.circlePubs[state.epoch]) {
    throw invalid(link, 'changes the key epoch outside a device removal');
  }
}

function checkDevice(link: CircleLink): CircleDevice {
  const d = link.device;
  if (!d || typeof d.id !== 'string' || !d.id || typeof d.name !== 'string')
    throw invalid(link, 'names no device');
  checkPublicKey(link, d.encPub, 'device.encPub');
  checkPublicKey(link, d.signPub, 'device.signPub');
  return { id: d.id, name: d.name, encPub: d.encPub, signPub: d.signPub };
}

function checkPublicKey(link: CircleLink, value: unknown, field: string): void {
  let ok: boolean;
  try {
    ok = typeof value === 'string' && fromB64u(value).length === 32;
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(link, `has a malformed ${field}`);
}

/** The trusted members of the circle (the only devices a client may wrap the vault key to). */
export function trustedDevices(state: CircleState): CircleDevice[] {
  return Object.values(state.devices)
    .filter((m) => m.status === 'trusted')
    .map((m) => m.device);
}

/** A device's standing according to the verified circle. */
export function deviceStatus(state: CircleState | null, deviceId: string): 'trusted' | 'removed' | 'unknown' {
  return state?.devices[deviceId]?.status ?? 'unknown';
}
