/** Circles built from real signed links, for the tests of the circle and of what is shown from it. */
import {
  applyLinks,
  b64u,
  buildLink,
  circleKey,
  newRecoveryKey,
  newVaultKey,
  recoveryKeyPair,
  recoverySigningKey,
  type CircleDevice,
} from '../../src/keychain/index.js';

export function device(id: string): CircleDevice {
  const key = (seed: number) => b64u(new Uint8Array(32).fill(seed + id.charCodeAt(id.length - 1)));
  return { id, name: `Device ${id}`, encPub: key(1), signPub: key(2) };
}

/** The fields of a v2 rotation that replaces the recovery key with a fresh one (§2.1). */
export function newRecovery(rk = newRecoveryKey()) {
  return { recoveryPub: b64u(recoveryKeyPair(rk).encPub), recoveryAnchor: recoverySigningKey(rk) };
}

/** A circle of A (genesis) + B (approved), then an escrow; returns links, states and keys. */
export function buildCircle() {
  const vk1 = newVaultKey();
  const key1 = circleKey(vk1);
  const recoveryPub = b64u(recoveryKeyPair(newRecoveryKey()).encPub);
  const genesis = buildLink(null, {
    op: 'genesis',
    by: 'A',
    device: device('A'),
    via: 'genesis',
    recoveryPub,
    signer: key1,
    nextCirclePub: key1.publicKey,
  });
  const s0 = applyLinks(null, [genesis]);
  const addB = buildLink(s0, {
    op: 'add-device',
    by: 'A',
    device: device('B'),
    via: 'approval',
    signer: key1,
  });
  const s1 = applyLinks(s0, [addB]);
  const escrow = buildLink(s1, {
    op: 'set-escrow',
    by: 'B',
    escrowPub: b64u(new Uint8Array(32).fill(9)),
    signer: key1,
  });
  const s2 = applyLinks(s1, [escrow]);
  return { vk1, key1, links: [genesis, addB, escrow], states: [s0, s1, s2] };
}

/** `buildCircle`, then A removes B: the circle key rotates to `key2`, the recovery key to a fresh one. */
export function buildCircleWithoutB() {
  const built = buildCircle();
  const key2 = circleKey(newVaultKey());
  const remove = buildLink(built.states[2]!, {
    op: 'remove-device',
    by: 'A',
    device: device('B'),
    signer: built.key1,
    nextCirclePub: key2.publicKey,
    ...newRecovery(),
  });
  return { ...built, key2, remove, s3: applyLinks(built.states[2]!, [remove]) };
}
