/**
 * Key derivations of docs/PROTOCOL.md §1: the item key and circle key from VK, the seed-derived
 * X25519 key pairs of the recovery key and the escrow, and random VK generation.
 */
import { ed25519FromSeed, x25519PublicKey, x25519Shared } from './curves.js';
import { concat, hash, randomBytes, utf8 } from './bytes.js';
import { LABELS } from '@tessera/protocol';
import { hkdf } from './primitives.js';

/** Something that can complete an X25519 exchange with its private key (a device, the recovery key, the escrow). */
export interface X25519Holder {
  /** Raw 32-byte X25519 public key. */
  readonly encPub: Uint8Array;
  /** `X25519(ownPrivate, peerPublic)`. */
  deriveShared(peerPublic: Uint8Array): Promise<Uint8Array>;
}

/** Circle signing key of one epoch: Ed25519 with a seed derived from that epoch's VK. */
export interface CircleKey {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A fresh vault key (256 random bits). */
export function newVaultKey(): Uint8Array {
  return randomBytes(32);
}

/** `HKDF(VK, "", "tessera/v1/items", 32)`. */
export function itemKey(vk: Uint8Array): Uint8Array {
  return hkdf({ ikm: vk, info: LABELS.items });
}

/** An Ed25519 signing key whose 32-byte private seed is `seed` (RFC 8032 §5.1.5). */
function seededEd25519(seed: Uint8Array): CircleKey {
  return ed25519FromSeed(seed);
}

/** The circle key of the epoch whose vault key is `vk`. */
export function circleKey(vk: Uint8Array): CircleKey {
  return seededEd25519(hkdf({ ikm: vk, info: LABELS.circle }));
}

/**
 * The recovery signing key: seed `HKDF(rk, "", "tessera/v1/recovery-sign", 32)`. It signs the
 * genesis, so a device recovering with `rk` can tell the keychain `rk` created from one a server
 * built around the (public) recovery key.
 */
export function recoverySigningKey(rk: Uint8Array): CircleKey {
  return seededEd25519(hkdf({ ikm: rk, info: LABELS.recoverySign }));
}

/** The escrow signing key: seed `HKDF(EK || exportKey, "", "tessera/v1/escrow-sign", 32)`; signs the set-escrow link. */
export function escrowSigningKey(escrowKey: Uint8Array, exportKey: Uint8Array): CircleKey {
  return seededEd25519(hkdf({ ikm: concat(escrowKey, exportKey), info: LABELS.escrowSign }));
}

/** An X25519 key pair whose private key is `seed` (the recovery key and escrow pairs; RFC 7748 §5 clamps it). */
export function seededX25519(seed: Uint8Array): X25519Holder {
  const secret = seed.slice();
  return {
    encPub: x25519PublicKey(secret),
    deriveShared: async (peer) => x25519Shared(secret, peer),
  };
}

/** The recovery key pair: seed `HKDF(rk, "", "tessera/v1/recovery", 32)`. */
export function recoveryKeyPair(rk: Uint8Array): X25519Holder {
  return seededX25519(hkdf({ ikm: rk, info: LABELS.recovery }));
}

/** The escrow key pair: seed `HKDF(EK || exportKey, "", "tessera/v1/escrow", 32)`. */
export function escrowKeyPair(escrowKey: Uint8Array, exportKey: Uint8Array): X25519Holder {
  return seededX25519(hkdf({ ikm: concat(escrowKey, exportKey), info: LABELS.escrow }));
}

/** The escrow key pair of a PIN held by realms: from the unlock secret the realms release (§11). */
export function realmEscrowKeys(secret: Uint8Array): { holder: X25519Holder; anchor: CircleKey } {
  return {
    holder: seededX25519(hkdf({ ikm: secret, info: LABELS.realmEscrow })),
    anchor: seededEd25519(hkdf({ ikm: secret, info: LABELS.realmEscrowSign })),
  };
}

/** Deletes the realm records of a PIN set in the epoch of `vk` (a replaced or removed PIN, §11). */
export const realmDeleteKey = (vk: Uint8Array): Uint8Array => hkdf({ ikm: vk, info: LABELS.realmDelete });

/** A one-use ephemeral X25519 pair (for wrapping). */
export function ephemeralX25519(): { publicKey: Uint8Array; shared(peer: Uint8Array): Uint8Array } {
  const secret = randomBytes(32);
  return {
    publicKey: x25519PublicKey(secret),
    shared: (peer) => x25519Shared(secret, peer),
  };
}

/**
 * The PRF input a passkey for restore is evaluated on (WebAuthn Level 3 §10.1.4, `prf.eval.first`):
 * `H("tessera/v2/passkey-restore")`, fixed, so any trusted device can wrap to the passkey's public
 * key without asking for it again (§8).
 */
export const PASSKEY_PRF_INPUT: Uint8Array = hash(utf8(LABELS.passkeyPrf));

/** The X25519 key pair of a passkey for restore: seed `HKDF(prf, "", "tessera/v2/passkey", 32)`. */
export function passkeyKeyPair(prf: Uint8Array): X25519Holder {
  return seededX25519(hkdf({ ikm: prf, info: LABELS.passkey }));
}

/** The passkey's signing key: seed `HKDF(prf, "", "tessera/v2/passkey-sign", 32)`; anchors it (§8). */
export function passkeySigningKey(prf: Uint8Array): CircleKey {
  return seededEd25519(hkdf({ ikm: prf, info: LABELS.passkeySign }));
}
