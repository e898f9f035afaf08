import { describe, expect, it } from 'vitest';
import {
  applyLinks,
  b64u,
  buildLink,
  circleKey,
  deviceStatus,
  escrowSigningKey,
  KeychainError,
  linkHash,
  newRecoveryKey,
  newVaultKey,
  randomBytes,
  recoveryKeyPair,
  recoverySigningKey,
  signLink,
  trustedDevices,
  type CircleDevice,
  type CircleLink,
  type CircleState,
} from '../../src/keychain/index.js';

function device(id: string): CircleDevice {
  const key = (seed: number) => b64u(new Uint8Array(32).fill(seed + id.charCodeAt(id.length - 1)));
  return { id, name: `Device ${id}`, encPub: key(1), signPub: key(2) };
}

/** A circle of A (genesis) + B (approved), then an escrow; returns links, states and keys. */
function buildCircle() {
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

function expectRefused(fn: () => unknown, code: 'circle-invalid' | 'circle-rollback', message?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeychainError);
    expect((err as KeychainError).code).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected the circle to be refused');
}

describe('circle (PROTOCOL §2)', () => {
  it('verifies a whole chain from genesis and incrementally, to the same state', () => {
    const { links, states } = buildCircle();
    const whole = applyLinks(null, links, { seq: 2, hash: linkHash(links[2]!) });
    expect(whole).toEqual(states[2]);
    expect(trustedDevices(whole).map((d) => d.id)).toEqual(['A', 'B']);
    expect(whole.escrowPub).not.toBeNull();
    expect(deviceStatus(whole, 'B')).toBe('trusted');
    expect(deviceStatus(whole, 'Z')).toBe('unknown');
  });

  it('refuses a device the server added with a key of its own', () => {
    const { links, states } = buildCircle();
    const serverKey = circleKey(newVaultKey());
    const forged = buildLink(states[2]!, {
      op: 'add-device',
      by: 'A',
      device: device('S'),
      via: 'approval',
      signer: serverKey,
    });
    expectRefused(() => applyLinks(states[2]!, [forged]), 'circle-invalid', /not signed by the circle key/);
    expectRefused(() => applyLinks(null, [...links, forged]), 'circle-invalid');
  });

  it('refuses an edited link even when the rest of the chain is intact', () => {
    const { links, states } = buildCircle();
    const edited: CircleLink = { ...links[1]!, device: device('S') };
    expectRefused(() => applyLinks(states[0]!, [edited]), 'circle-invalid');
  });

  it('refuses a rolled-back or forked circle', () => {
    const { key1, links, states } = buildCircle();
    // The server answers with an older head than this device verified.
    expectRefused(() => applyLinks(states[2]!, [], { seq: 1, hash: linkHash(links[1]!) }), 'circle-rollback');
    expectRefused(() => applyLinks(states[2]!, [], null), 'circle-rollback');
    // A link at the same place but different content (a fork), even correctly signed.
    const fork = buildLink(states[1]!, { op: 'set-escrow', by: 'A', escrowPub: null, signer: key1 });
    expectRefused(
      () => applyLinks(states[2]!, [], { seq: 2, hash: linkHash(fork) }),
      'circle-rollback',
      /fork/,
    );
    expectRefused(() => applyLinks(states[2]!, [fork]), 'circle-rollback');
    // A replayed old link.
    expectRefused(() => applyLinks(states[2]!, [links[1]!]), 'circle-rollback');
  });

  it('rotates the circle key on removal; the removed device can no longer sign', () => {
    const { key1, states } = buildCircle();
    const key2 = circleKey(newVaultKey());
    const remove = buildLink(states[2]!, {
      op: 'remove-device',
      by: 'A',
      device: device('B'),
      signer: key1,
      nextCirclePub: key2.publicKey,
    });
    const s3 = applyLinks(states[2]!, [remove]);
    expect(s3.epoch).toBe(2);
    expect(deviceStatus(s3, 'B')).toBe('removed');
    expect(trustedDevices(s3).map((d) => d.id)).toEqual(['A']);
    // B still knows the epoch 1 vault key, hence key1: a link signed with it is refused now.
    const sneak = buildLink(s3, {
      op: 'add-device',
      by: 'A',
      device: device('C'),
      via: 'approval',
      signer: key1,
    });
    expectRefused(() => applyLinks(s3, [sneak]), 'circle-invalid', /not signed/);
    const ok = buildLink(s3, {
      op: 'add-device',
      by: 'A',
      device: device('C'),
      via: 'approval',
      signer: key2,
    });
    expect(deviceStatus(applyLinks(s3, [ok]), 'C')).toBe('trusted');
  });

  it('enforces who may make each link', () => {
    const { key1, states } = buildCircle();
    const s = states[2]!;
    const byStranger = buildLink(s, {
      op: 'add-device',
      by: 'Z',
      device: device('C'),
      via: 'approval',
      signer: key1,
    });
    expectRefused(() => applyLinks(s, [byStranger]), 'circle-invalid', /not a trusted device/);
    const selfByOther = buildLink(s, {
      op: 'add-device',
      by: 'A',
      device: device('C'),
      via: 'recovery',
      signer: key1,
    });
    expectRefused(() => applyLinks(s, [selfByOther]), 'circle-invalid', /self-join/);
    const twice = buildLink(s, {
      op: 'add-device',
      by: 'A',
      device: device('B'),
      via: 'approval',
      signer: key1,
    });
    expectRefused(() => applyLinks(s, [twice]), 'circle-invalid', /already in the circle/);
    const noRotation = buildLink(s, {
      op: 'remove-device',
      by: 'A',
      device: device('B'),
      signer: key1,
      nextCirclePub: key1.publicKey,
    });
    expectRefused(() => applyLinks(s, [noRotation]), 'circle-invalid', /rotate/);
    const { sig: _sig, ...body } = buildLink(s, { op: 'set-escrow', by: 'A', signer: key1 });
    const recoveryChange = signLink({ ...body, recoveryPub: s.recoveryPub }, key1);
    expectRefused(() => applyLinks(s, [recoveryChange]), 'circle-invalid', /recovery key/);
  });

  it('keeps a verified state that survives a JSON round trip (the vault meta)', () => {
    const { states } = buildCircle();
    const restored = JSON.parse(JSON.stringify(states[2])) as CircleState;
    expect(restored).toEqual(states[2]);
  });

  it('verifies the recovery and escrow anchor signatures and refuses them forged or misplaced', () => {
    const rk = newRecoveryKey();
    const recoveryKey = recoverySigningKey(rk);
    const escrowKey = escrowSigningKey(randomBytes(32), randomBytes(64));
    const key = circleKey(newVaultKey());
    const genesis = buildLink(null, {
      op: 'genesis',
      by: 'A',
      device: device('A'),
      via: 'genesis',
      recoveryPub: b64u(recoveryKeyPair(rk).encPub),
      signer: key,
      anchor: recoveryKey,
      nextCirclePub: key.publicKey,
    });
    const s0 = applyLinks(null, [genesis]);
    expect(s0.recoverySignPub).toBe(b64u(recoveryKey.publicKey));
    const escrow = buildLink(s0, {
      op: 'set-escrow',
      by: 'A',
      escrowPub: b64u(new Uint8Array(32).fill(9)),
      signer: key,
      anchor: escrowKey,
    });
    expect(applyLinks(s0, [escrow]).escrowSignPub).toBe(b64u(escrowKey.publicKey));

    // A server that copies the real recoverySignPub into a genesis of its own cannot sign it.
    const other = circleKey(newVaultKey());
    const { sig: _sig, ...forgedBody } = { ...genesis, circlePub: b64u(other.publicKey) };
    expectRefused(
      () => applyLinks(null, [signLink(forgedBody, other)]),
      'circle-invalid',
      /is not signed by the recoverySignPub it names/,
    );
    // The escrow signature covers the genesis hash: replayed onto another genesis, it fails.
    const otherGenesis = buildLink(null, {
      op: 'genesis',
      by: 'A',
      device: device('A'),
      via: 'genesis',
      recoveryPub: genesis.recoveryPub!,
      signer: key,
      nextCirclePub: key.publicKey,
    });
    const { sig: _sig2, ...replayed } = { ...escrow, prev: linkHash(otherGenesis) };
    expectRefused(
      () => applyLinks(null, [otherGenesis, signLink(replayed, key)]),
      'circle-invalid',
      /is not signed by the escrowSignPub it names/,
    );
    // Anchor fields outside their link are refused.
    const { sig: _sig3, ...misplaced } = {
      ...buildLink(s0, { op: 'add-device', by: 'A', device: device('B'), via: 'approval', signer: key }),
      recoverySignPub: genesis.recoverySignPub!,
      recoverySig: genesis.recoverySig!,
    };
    expectRefused(
      () => applyLinks(s0, [signLink(misplaced, key)]),
      'circle-invalid',
      /carries a recovery signature outside the genesis/,
    );
  });
});
