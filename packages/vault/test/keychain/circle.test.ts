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
  sharingKeyChain,
  signLink,
  trustedDevices,
  type CircleLink,
  type CircleState,
} from '../../src/keychain/index.js';
import {
  openSharingKey,
  sealSharingKey,
  sharingKey,
  sharingRotationMessage,
} from '../../src/folders/index.js';
import { buildCircle, buildCircleWithoutB, device, newRecovery } from './circle-fixture.js';

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
    const { key1, key2, s3 } = buildCircleWithoutB();
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
      ...newRecovery(),
    });
    expectRefused(() => applyLinks(s, [noRotation]), 'circle-invalid', /rotate/);
    const { sig: _sig, ...body } = buildLink(s, { op: 'set-escrow', by: 'A', signer: key1 });
    const recoveryChange = signLink({ ...body, recoveryPub: s.recoveryPub }, key1);
    expectRefused(() => applyLinks(s, [recoveryChange]), 'circle-invalid', /recovery key/);
  });

  it('renames a trusted device by a signed link that keeps its keys, and nothing else', () => {
    const { key1, states } = buildCircle();
    const s = states[2]!;
    const rename = buildLink(s, {
      op: 'rename-device',
      by: 'A',
      device: { ...device('B'), name: 'Work laptop' },
      signer: key1,
    });
    const renamed = applyLinks(s, [rename]);
    expect(renamed.devices.B!.device).toEqual({ ...device('B'), name: 'Work laptop' });
    expect(renamed.devices.B!.status).toBe('trusted');
    // Other keys under the same id would swap a device in: refused.
    const swap = buildLink(s, {
      op: 'rename-device',
      by: 'A',
      device: { ...device('Z'), id: 'B', name: 'Work laptop' },
      signer: key1,
    });
    expectRefused(() => applyLinks(s, [swap]), 'circle-invalid', /other keys/);
    const stranger = buildLink(s, { op: 'rename-device', by: 'Z', device: device('B'), signer: key1 });
    expectRefused(() => applyLinks(s, [stranger]), 'circle-invalid', /not a trusted device/);
    const unknown = buildLink(s, { op: 'rename-device', by: 'A', device: device('C'), signer: key1 });
    expectRefused(() => applyLinks(s, [unknown]), 'circle-invalid', /not trusted/);
    // The server cannot rename: it has no circle key.
    const forged = buildLink(s, {
      op: 'rename-device',
      by: 'A',
      device: { ...device('B'), name: 'Evil' },
      signer: circleKey(newVaultKey()),
    });
    expectRefused(() => applyLinks(s, [forged]), 'circle-invalid', /not signed/);
  });

  it('publishes one sharing key by a signed link, re-sealed by rotations, and refuses it forged (§12.1)', () => {
    const { vk1, key1, states } = buildCircle();
    const s = states[2]!;
    const key = sharingKey();
    const sealed = sealSharingKey({ key, vk: vk1, accountId: 'acct' });
    const sharing = { ...key.public, sealed };
    const link = buildLink(s, { op: 'sharing-key', by: 'B', signer: key1, sharing });
    const withKey = applyLinks(s, [link]);
    expect(withKey.sharing).toEqual({ ...sharing, epoch: 1 });
    expect(openSharingKey({ sealed: withKey.sharing!.sealed, vk: vk1, accountId: 'acct' }).public).toEqual(
      key.public,
    );
    // A stranger (not a trusted device), an unsigned link, a second key: refused.
    const stranger = buildLink(s, { op: 'sharing-key', by: 'Z', signer: key1, sharing });
    expectRefused(() => applyLinks(s, [stranger]), 'circle-invalid', /not a trusted device/);
    const unsigned = { ...link, sig: b64u(new Uint8Array(64)) };
    expectRefused(() => applyLinks(s, [unsigned]), 'circle-invalid', /not signed/);
    const byServer = buildLink(s, {
      op: 'sharing-key',
      by: 'B',
      signer: circleKey(newVaultKey()),
      sharing: { ...sharingKey().public, sealed },
    });
    expectRefused(() => applyLinks(s, [byServer]), 'circle-invalid', /not signed/);
    // The server swapping the named key in the stored link breaks its signature.
    const swapped = { ...link, sharing: { ...sharingKey().public, sealed } };
    expectRefused(() => applyLinks(s, [swapped]), 'circle-invalid', /not signed/);
    const second = buildLink(withKey, {
      op: 'sharing-key',
      by: 'A',
      signer: key1,
      sharing: { ...sharingKey().public, sealed },
    });
    expectRefused(() => applyLinks(withKey, [second]), 'circle-invalid', /replaces the sharing key/);
    // Only sharing-key and rotations carry it.
    const { sig: _sig, ...body } = buildLink(withKey, { op: 'set-escrow', by: 'A', signer: key1 });
    const smuggled = signLink({ ...body, sharing }, key1);
    expectRefused(() => applyLinks(withKey, [smuggled]), 'circle-invalid', /sharing key outside/);
    // A removal re-seals it under the new vault key and keeps its public halves.
    const vk2 = newVaultKey();
    const removal = {
      op: 'remove-device' as const,
      by: 'A',
      device: device('B'),
      signer: key1,
      nextCirclePub: circleKey(vk2).publicKey,
      ...newRecovery(),
    };
    // Links written before sharing keys rotated: the same public halves, re-sealed, still verify.
    const resealed = { ...key.public, sealed: sealSharingKey({ key, vk: vk2, accountId: 'acct' }) };
    const rotated = applyLinks(withKey, [buildLink(withKey, { ...removal, sharing: resealed })]);
    expect(rotated.sharing).toEqual({ ...resealed, epoch: 2 });
    expect(openSharingKey({ sealed: rotated.sharing!.sealed, vk: vk2, accountId: 'acct' }).seed).toEqual(
      key.seed,
    );
    const dropped = buildLink(withKey, removal);
    expectRefused(() => applyLinks(withKey, [dropped]), 'circle-invalid', /names no sharing key/);
  });

  it('lets a rotation name a NEW sharing key only with the old key signature, and keeps the chain (§12.1)', () => {
    const { vk1, key1, states } = buildCircle();
    const key = sharingKey();
    const sharing = { ...key.public, sealed: sealSharingKey({ key, vk: vk1, accountId: 'acct' }) };
    const withKey = applyLinks(states[2]!, [
      buildLink(states[2]!, { op: 'sharing-key', by: 'B', signer: key1, sharing }),
    ]);
    const vk2 = newVaultKey();
    const removal = {
      op: 'remove-device' as const,
      by: 'A',
      device: device('B'),
      signer: key1,
      nextCirclePub: circleKey(vk2).publicKey,
      ...newRecovery(),
    };
    const next = sharingKey();
    const sealed2 = sealSharingKey({ key: next, vk: vk2, accountId: 'acct' });
    const sig = (by: typeof key, to = next) =>
      b64u(by.sign(sharingRotationMessage({ from: key.public, to: to.public })));
    const signed = { ...next.public, sealed: sealed2, prevSig: sig(key) };
    const rotated = applyLinks(withKey, [buildLink(withKey, { ...removal, sharing: signed })]);
    expect(rotated.sharing).toEqual({ ...signed, epoch: 2 });
    expect(rotated.retiredSharing).toEqual([
      { ...key.public, next: next.public, sig: signed.prevSig, replacedSeq: rotated.head.seq },
    ]);
    expect(sharingKeyChain(rotated, key.public)).toEqual([{ ...next.public, sig: signed.prevSig }]);
    expect(sharingKeyChain(rotated, sharingKey().public)).toBeNull();
    // Unsigned by the old key, signed by a stranger's key, or signed over another key: refused.
    const unsigned = buildLink(withKey, { ...removal, sharing: { ...next.public, sealed: sealed2 } });
    expectRefused(() => applyLinks(withKey, [unsigned]), 'circle-invalid', /without the old key's signature/);
    const stranger = buildLink(withKey, { ...removal, sharing: { ...signed, prevSig: sig(sharingKey()) } });
    expectRefused(() => applyLinks(withKey, [stranger]), 'circle-invalid', /not the old key's/);
    const other = buildLink(withKey, { ...removal, sharing: { ...signed, prevSig: sig(key, sharingKey()) } });
    expectRefused(() => applyLinks(withKey, [other]), 'circle-invalid', /not the old key's/);
    // The server swapping the new key in the stored link breaks the circle signature.
    const honest = buildLink(withKey, { ...removal, sharing: signed });
    const swapped = { ...honest, sharing: { ...signed, ...sharingKey().public } };
    expectRefused(() => applyLinks(withKey, [swapped]), 'circle-invalid', /not signed by the circle key/);
    // A signature on a rotation that keeps the key, and one outside a rotation: refused.
    const kept = buildLink(withKey, { ...removal, sharing: { ...sharing, prevSig: sig(key) } });
    expectRefused(() => applyLinks(withKey, [kept]), 'circle-invalid', /changes nothing/);
    const early = buildLink(states[2]!, { op: 'sharing-key', by: 'B', signer: key1, sharing: signed });
    expectRefused(() => applyLinks(states[2]!, [early]), 'circle-invalid', /outside a rotation/);
    // A later rotation cannot go back to the retired key (a removed device may hold it).
    const vk3 = newVaultKey();
    const back = buildLink(rotated, {
      op: 'rotate',
      by: 'A',
      signer: circleKey(vk2),
      nextCirclePub: circleKey(vk3).publicKey,
      ...newRecovery(),
      sharing: {
        ...key.public,
        sealed: sealSharingKey({ key, vk: vk3, accountId: 'acct' }),
        prevSig: b64u(next.sign(sharingRotationMessage({ from: next.public, to: key.public }))),
      },
    });
    expectRefused(() => applyLinks(rotated, [back]), 'circle-invalid', /named before/);
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

  describe('version 2 links (§2.1, §7)', () => {
    /** A genesis signed by the recovery key `rk`, plus B, then an anchored escrow. */
    function anchoredCircle() {
      const rk = newRecoveryKey();
      const key1 = circleKey(newVaultKey());
      const genesis = buildLink(null, {
        op: 'genesis',
        by: 'A',
        device: device('A'),
        via: 'genesis',
        recoveryPub: b64u(recoveryKeyPair(rk).encPub),
        signer: key1,
        anchor: recoverySigningKey(rk),
        nextCirclePub: key1.publicKey,
      });
      const s0 = applyLinks(null, [genesis]);
      const s1 = applyLinks(s0, [
        buildLink(s0, { op: 'add-device', by: 'A', device: device('B'), via: 'approval', signer: key1 }),
      ]);
      const escrowKey = escrowSigningKey(randomBytes(32), randomBytes(64));
      const s2 = applyLinks(s1, [
        buildLink(s1, {
          op: 'set-escrow',
          by: 'A',
          escrowPub: b64u(new Uint8Array(32).fill(9)),
          signer: key1,
          anchor: escrowKey,
        }),
      ]);
      return { rk, key1, s2, genesis };
    }

    it('writes v2 links and refuses a v1 link after one (no downgrade)', () => {
      const { key1, s2, genesis } = anchoredCircle();
      expect(genesis.v).toBe(2);
      expect(s2.version).toBe(2);
      const { sig: _sig, ...body } = buildLink(s2, {
        op: 'add-device',
        by: 'A',
        device: device('C'),
        via: 'approval',
        signer: key1,
      });
      expectRefused(
        () => applyLinks(s2, [signLink({ ...body, v: 1 }, key1)]),
        'circle-invalid',
        /version 1 link after a version 2 link/,
      );
    });

    it('a removal must replace the recovery key and the escrow; the old recovery key is retired with its date', () => {
      const { rk, key1, s2 } = anchoredCircle();
      const key2 = circleKey(newVaultKey());
      const base = { op: 'remove-device' as const, by: 'A', device: device('B'), signer: key1 };
      const keepsRecovery = buildLink(s2, {
        ...base,
        nextCirclePub: key2.publicKey,
        escrowPub: s2.escrowPub,
      });
      expectRefused(
        () => applyLinks(s2, [keepsRecovery]),
        'circle-invalid',
        /without replacing the recovery key/,
      );
      const keepsEscrow = buildLink(s2, {
        ...base,
        nextCirclePub: key2.publicKey,
        ...newRecovery(),
        escrowPub: s2.escrowPub,
      });
      expectRefused(
        () => applyLinks(s2, [keepsEscrow]),
        'circle-invalid',
        /without replacing or turning off/,
      );
      // A recovery key named without its signature, or signed by another key, is refused.
      const rk2 = newRecoveryKey();
      const unsigned = buildLink(s2, {
        ...base,
        nextCirclePub: key2.publicKey,
        recoveryPub: b64u(recoveryKeyPair(rk2).encPub),
      });
      expectRefused(() => applyLinks(s2, [unsigned]), 'circle-invalid', /without its signature/);
      const { sig: _s, ...signedBody } = buildLink(s2, {
        ...base,
        nextCirclePub: key2.publicKey,
        ...newRecovery(rk2),
      });
      const wrongSigner = signLink(
        { ...signedBody, recoverySignPub: b64u(recoverySigningKey(newRecoveryKey()).publicKey) },
        key1,
      );
      expectRefused(
        () => applyLinks(s2, [wrongSigner]),
        'circle-invalid',
        /not signed by the recoverySignPub/,
      );

      const removal = buildLink(s2, { ...base, nextCirclePub: key2.publicKey, ...newRecovery(rk2) });
      const s3 = applyLinks(s2, [removal]);
      expect(s3.epoch).toBe(2);
      expect(s3.escrowPub).toBeNull();
      expect(s3.escrowSignPub).toBeNull();
      expect(s3.recoverySignPub).toBe(b64u(recoverySigningKey(rk2).publicKey));
      expect(s3.retiredRecovery).toEqual([
        { signPub: b64u(recoverySigningKey(rk).publicKey), replacedAt: removal.at, replacedSeq: 3 },
      ]);
    });

    it('a removal may set the escrow afresh, anchored by the new escrow signing key', () => {
      const { key1, s2 } = anchoredCircle();
      const key2 = circleKey(newVaultKey());
      const escrowKey = escrowSigningKey(randomBytes(32), randomBytes(64));
      const escrowPub = b64u(new Uint8Array(32).fill(7));
      const base = {
        op: 'remove-device' as const,
        by: 'A',
        device: device('B'),
        signer: key1,
        nextCirclePub: key2.publicKey,
        escrowPub,
        ...newRecovery(),
      };
      expectRefused(
        () => applyLinks(s2, [buildLink(s2, base)]),
        'circle-invalid',
        /escrow key without its signature/,
      );
      const s3 = applyLinks(s2, [buildLink(s2, { ...base, escrowAnchor: escrowKey })]);
      expect(s3.escrowPub).toBe(escrowPub);
      expect(s3.escrowSignPub).toBe(b64u(escrowKey.publicKey));
    });

    it('rotate starts a new epoch, keeps the members and may keep the escrow', () => {
      const { key1, s2 } = anchoredCircle();
      const key2 = circleKey(newVaultKey());
      const rotate = buildLink(s2, {
        op: 'rotate',
        by: 'B',
        signer: key1,
        nextCirclePub: key2.publicKey,
        escrowPub: s2.escrowPub,
        ...newRecovery(),
      });
      const s3 = applyLinks(s2, [rotate]);
      expect(s3.epoch).toBe(2);
      expect(trustedDevices(s3).map((d) => d.id)).toEqual(['A', 'B']);
      expect(s3.escrowPub).toBe(s2.escrowPub);
      expect(s3.escrowSignPub).toBe(s2.escrowSignPub);
      expect(s3.retiredRecovery).toHaveLength(1);
      const { sig: _s, ...body } = buildLink(s2, {
        op: 'rotate',
        by: 'B',
        signer: key1,
        nextCirclePub: key1.publicKey,
      });
      expectRefused(
        () => applyLinks(s2, [signLink(body, key1)]),
        'circle-invalid',
        /does not rotate the circle key/,
      );
      const byStranger = buildLink(s2, {
        op: 'rotate',
        by: 'Z',
        signer: key1,
        nextCirclePub: key2.publicKey,
      });
      expectRefused(() => applyLinks(s2, [byStranger]), 'circle-invalid', /not a trusted device/);
    });
    it('upgrades a protocol 1 keychain in place: v1 links verify, the first v2 link extends them', () => {
      const { key1, states, links } = buildCircle();
      // buildCircle writes v2 links; a keychain made by protocol 1 has the same links with v 1.
      const v1 = (link: CircleLink, signer: typeof key1): CircleLink => {
        const { sig: _sig, ...body } = link;
        return signLink({ ...body, v: 1 }, signer);
      };
      const genesis = v1(links[0]!, key1);
      const s0 = applyLinks(null, [genesis]);
      expect(s0.version).toBe(1);
      const addB = buildLink(s0, {
        op: 'add-device',
        by: 'A',
        device: device('B'),
        via: 'approval',
        signer: key1,
      });
      const s1 = applyLinks(s0, [v1(addB, key1)]);
      // A v1 removal did not replace the recovery key; it still verifies in an old chain.
      const key2 = circleKey(newVaultKey());
      const { sig: _s, ...removal } = buildLink(s1, {
        op: 'remove-device',
        by: 'A',
        device: device('B'),
        signer: key1,
        nextCirclePub: key2.publicKey,
      });
      const s2 = applyLinks(s1, [signLink({ ...removal, v: 1 }, key1)]);
      expect(s2.epoch).toBe(2);
      // The first link a protocol 2 client writes is v2; from then on the chain is v2.
      const addC = buildLink(s2, {
        op: 'add-device',
        by: 'A',
        device: device('C'),
        via: 'approval',
        signer: key2,
      });
      expect(addC.v).toBe(2);
      const s3 = applyLinks(s2, [addC]);
      expect(s3.version).toBe(2);
      expect(trustedDevices(s3).map((d) => d.id)).toEqual(['A', 'C']);
      // A saved v1 state (no version, no retiredRecovery) keeps verifying too.
      const saved = JSON.parse(JSON.stringify(s2)) as CircleState;
      delete saved.version;
      delete saved.retiredRecovery;
      expect(applyLinks(saved, [addC]).version).toBe(2);
      expect(states).toHaveLength(3);
    });
  });
});
