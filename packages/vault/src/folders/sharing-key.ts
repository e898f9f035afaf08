/**
 * The per-account sharing key (docs/PROTOCOL.md §12.1): one random 32-byte seed from which an X25519
 * pair (folder keys are wrapped to it) and an Ed25519 pair (folder log links are signed with it) are
 * derived. Only the account's own devices hold the seed, sealed under the vault key like the other
 * device secrets; the public halves go into the account's signed circle.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { canon, ed25519Verify } from '@tessera/protocol';
import { b64u, fromB64u, randomBytes, utf8 } from '../keychain/bytes.js';
import { hkdf, open, seal } from '../keychain/primitives.js';
import { FolderError } from './errors.js';
import { FOLDER_LABELS } from './labels.js';

/** The public half of a sharing key, as the circle and folder logs carry it (b64u). */
export interface SharingPublic {
  encPub: string;
  signPub: string;
}

/** One step of a sharing key change: the next key, and the previous key's signature of the change. */
export interface SharingKeyStep extends SharingPublic {
  sig: string;
}

/** A sharing key with its private halves; never leaves the account's devices unsealed. */
export interface SharingKey {
  readonly public: SharingPublic;
  /** `X25519(encPrivate, peer)`. */
  deriveShared(peer: Uint8Array): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  /** The 32-byte seed, to seal it under the vault key. */
  readonly seed: Uint8Array;
}

/** The sharing key whose seed is `seed` (a fresh random one when omitted). */
export function sharingKey(options: { seed?: Uint8Array } = {}): SharingKey {
  const seed = options.seed?.slice() ?? randomBytes(32);
  if (seed.length !== 32) throw new TypeError('a sharing key seed is 32 bytes');
  const encSecret = hkdf({ ikm: seed, info: FOLDER_LABELS.sharingEnc });
  const signSecret = hkdf({ ikm: seed, info: FOLDER_LABELS.sharingSign });
  return {
    public: {
      encPub: b64u(x25519.getPublicKey(encSecret)),
      signPub: b64u(ed25519.getPublicKey(signSecret)),
    },
    deriveShared: (peer) => x25519.getSharedSecret(encSecret, peer),
    sign: (message) => ed25519.sign(message, signSecret),
    seed,
  };
}

function sealKey(vk: Uint8Array): Uint8Array {
  return hkdf({ ikm: vk, info: FOLDER_LABELS.sharingSeal });
}

/** Seals the sharing key's seed under the vault key `vk`, bound to `accountId`. */
export function sealSharingKey(options: { key: SharingKey; vk: Uint8Array; accountId: string }): string {
  return b64u(
    seal(sealKey(options.vk), options.key.seed, utf8(`${FOLDER_LABELS.sharingSeal}|${options.accountId}`)),
  );
}

/** Opens a sealed sharing key; a wrong vault key or another account's seal is refused. */
export function openSharingKey(options: { sealed: string; vk: Uint8Array; accountId: string }): SharingKey {
  const seed = open(
    sealKey(options.vk),
    fromB64u(options.sealed, 'sealed'),
    utf8(`${FOLDER_LABELS.sharingSeal}|${options.accountId}`),
  );
  if (!seed || seed.length !== 32)
    throw new FolderError('wrap-invalid', 'The sharing key cannot be opened with this vault key.');
  return sharingKey({ seed });
}

/**
 * What the old sharing key signs when the account replaces it (docs/PROTOCOL.md §12.1): "`from` is
 * replaced by `to`". It is not bound to one folder: the circle carries it once, and any of the
 * account's devices (even one that never held `from`) carries it into every folder's log, where the
 * new key's own signature binds it to that log's place.
 */
export function sharingRotationMessage(options: { from: SharingPublic; to: SharingPublic }): Uint8Array {
  const pick = (k: SharingPublic) => ({ encPub: k.encPub, signPub: k.signPub });
  return utf8(
    `${FOLDER_LABELS.sharingRotation}|${canon({ from: pick(options.from), to: pick(options.to) })}`,
  );
}

/** True when `sig` is `from`'s signature of the change from `from` to `to`; never throws. */
export function verifySharingRotation(options: {
  from: SharingPublic;
  to: SharingPublic;
  sig: unknown;
}): boolean {
  try {
    return ed25519Verify({
      publicKey: fromB64u(options.from.signPub, 'signPub'),
      message: sharingRotationMessage(options),
      signature: fromB64u(String(options.sig), 'sig'),
    });
  } catch {
    return false;
  }
}
