import { describe, expect, it } from 'vitest';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import {
  b64u,
  decryptItem,
  deviceKeysFromCryptoKeys,
  encryptItem,
  exportDeviceKeys,
  escrowKeyPair,
  formatRecoveryKey,
  fromB64u,
  generateDeviceKeyPairs,
  importDeviceKeys,
  ITEM_BUCKETS,
  KeychainError,
  newRecoveryKey,
  newVaultKey,
  parseRecoveryKey,
  recoveryKeyPair,
  unwrapVaultKey,
  wrapVaultKey,
  type ItemPlaintext,
} from '../../src/keychain/index.js';

const ctx = { accountId: 'acct-1', recipientId: 'dev-1', epoch: 1 };

function record(id: string, issuer = 'Example'): ItemPlaintext {
  // The item layer reads only the id; the rest of the entry travels as the vault wrote it.
  const entry = { id, issuer, account: 'alice@example.com', secret: 'JBSWY3DPEHPK3PXP' };
  return {
    v: 1,
    entry,
    clock: { issuer: '0000000000001:0000:dev-1' },
    deleted: false,
  };
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string) {
  const run = typeof promise === 'function' ? async () => promise() : () => promise;
  await expect(run()).rejects.toSatisfy((e: unknown) => e instanceof KeychainError && e.code === code);
}

describe('VK wrapping (PROTOCOL §1.1)', () => {
  it('unwraps with a WebCrypto device key and refuses another recipient, epoch or account', async () => {
    const device = await deviceKeysFromCryptoKeys(await generateDeviceKeyPairs({ extractable: false }));
    const vk = newVaultKey();
    const wrapped = wrapVaultKey({ ...ctx, vk, recipientPub: device.encPub });
    expect(await unwrapVaultKey({ ...ctx, wrapped, recipient: device })).toEqual(vk);
    await expectCode(
      unwrapVaultKey({ ...ctx, recipientId: 'dev-2', wrapped, recipient: device }),
      'circle-invalid',
    );
    await expectCode(unwrapVaultKey({ ...ctx, epoch: 2, wrapped, recipient: device }), 'circle-invalid');
    await expectCode(
      unwrapVaultKey({ ...ctx, accountId: 'other', wrapped, recipient: device }),
      'circle-invalid',
    );
    const other = await deviceKeysFromCryptoKeys(await generateDeviceKeyPairs({ extractable: false }));
    await expectCode(unwrapVaultKey({ ...ctx, wrapped, recipient: other }), 'circle-invalid');
    const flipped = fromB64u(wrapped);
    flipped[40]! ^= 1;
    await expectCode(unwrapVaultKey({ ...ctx, wrapped: b64u(flipped), recipient: device }), 'circle-invalid');
  });

  it('wraps to the recovery key pair and the escrow pair derived from their seeds', async () => {
    const rk = newRecoveryKey();
    const vk = newVaultKey();
    const recovery = recoveryKeyPair(rk);
    const wrapped = wrapVaultKey({ ...ctx, recipientId: 'recovery', vk, recipientPub: recovery.encPub });
    // A second derivation from the same bytes (as on a new device) opens it.
    expect(
      await unwrapVaultKey({ ...ctx, recipientId: 'recovery', wrapped, recipient: recoveryKeyPair(rk) }),
    ).toEqual(vk);

    const ek = newVaultKey();
    const exportKey = new Uint8Array(64).fill(7);
    const escrow = escrowKeyPair(ek, exportKey);
    const toEscrow = wrapVaultKey({ ...ctx, recipientId: 'escrow', vk, recipientPub: escrow.encPub });
    expect(
      await unwrapVaultKey({
        ...ctx,
        recipientId: 'escrow',
        wrapped: toEscrow,
        recipient: escrowKeyPair(ek, exportKey),
      }),
    ).toEqual(vk);
    // A wrong PIN gives another export key and so another key pair.
    const wrongPin = escrowKeyPair(ek, new Uint8Array(64).fill(8));
    await expectCode(
      unwrapVaultKey({ ...ctx, recipientId: 'escrow', wrapped: toEscrow, recipient: wrongPin }),
      'circle-invalid',
    );
  });
});

describe('device keys', () => {
  it('exports to PKCS #8 and imports into keys that agree with @noble on X25519 and Ed25519', async () => {
    const pairs = await generateDeviceKeyPairs({ extractable: true });
    const saved = await exportDeviceKeys(pairs);
    const keys = await deviceKeysFromCryptoKeys(await importDeviceKeys(saved));
    expect(b64u(keys.encPub)).toBe(saved.encPub);
    const peer = x25519.utils.randomSecretKey();
    expect(await keys.deriveShared(x25519.getPublicKey(peer))).toEqual(
      x25519.getSharedSecret(peer, keys.encPub),
    );
    const message = new TextEncoder().encode('hello');
    expect(ed25519.verify(await keys.sign(message), message, keys.signPub)).toBe(true);
  });
});

describe('items (PROTOCOL §3)', () => {
  const vk = newVaultKey();
  const item = { accountId: 'acct-1', id: 'item-a', epoch: 1 };

  it('round-trips a record and pads the ciphertext to a bucket', () => {
    const ciphertext = encryptItem({ ...item, vk, record: record('item-a') });
    expect(decryptItem({ ...item, vk, ciphertext })).toEqual(record('item-a'));
    // nonce (24) + bucket + tag (16): the server learns only the bucket.
    expect(fromB64u(ciphertext).length).toBe(24 + 256 + 16);
    const long = record('item-a', 'x'.repeat(600));
    expect(fromB64u(encryptItem({ ...item, vk, record: long })).length).toBe(24 + 1024 + 16);
  });

  it('refuses swapped, moved, re-epoched, re-accounted and tampered ciphertexts', () => {
    const a = encryptItem({ ...item, vk, record: record('item-a') });
    const b = encryptItem({ ...item, id: 'item-b', vk, record: record('item-b') });
    expect(() => decryptItem({ ...item, vk, ciphertext: b })).toThrow(/item-a does not decrypt/);
    expect(() => decryptItem({ ...item, epoch: 2, vk, ciphertext: a })).toThrow(KeychainError);
    expect(() => decryptItem({ ...item, accountId: 'acct-2', vk, ciphertext: a })).toThrow(KeychainError);
    expect(() => decryptItem({ ...item, vk: newVaultKey(), ciphertext: a })).toThrow(KeychainError);
    const bytes = fromB64u(a);
    bytes[30]! ^= 0x01;
    expect(() => decryptItem({ ...item, vk, ciphertext: b64u(bytes) })).toThrow(KeychainError);
    expect(() => decryptItem({ ...item, vk, ciphertext: a, deleted: true })).toThrow(/deletion state/);
  });

  // The clock check is a loop over own keys (no array per item): any value that is not text refuses
  // the item, and so does a record without its version or id.
  it('refuses a sealed record that is not a version 1 record', () => {
    const sealed = (value: unknown) => encryptItem({ ...item, vk, record: value as ItemPlaintext });
    const base = record('item-a');
    for (const bad of [1, null, true, { at: 'x' }]) {
      const ciphertext = sealed({ ...base, clock: { issuer: 'x', account: bad } });
      expect(() => decryptItem({ ...item, vk, ciphertext }), JSON.stringify(bad)).toThrow(
        /item-a is not a version 1 record/,
      );
    }
    expect(() => decryptItem({ ...item, vk, ciphertext: sealed({ ...base, v: 2 }) })).toThrow(/version 1/);
    expect(decryptItem({ ...item, vk, ciphertext: sealed({ ...base, clock: {} }) })).toEqual({
      ...base,
      clock: {},
    });
  });

  it('refuses a record larger than the largest bucket before anything is sent', () => {
    const huge = record('item-a', 'x'.repeat(ITEM_BUCKETS.at(-1)!));
    expect(() => encryptItem({ ...item, vk, record: huge })).toThrow(/largest allowed/);
  });
});

describe('recovery key (PROTOCOL §1.2)', () => {
  it('formats 9 groups of 4 and parses back ignoring case, spaces and hyphens', () => {
    const rk = newRecoveryKey();
    const text = formatRecoveryKey(rk);
    expect(text).toMatch(/^([A-Z2-7]{4}-){8}[A-Z2-7]{4}$/);
    expect(parseRecoveryKey(text)).toEqual(rk);
    expect(parseRecoveryKey(` ${text.toLowerCase().replaceAll('-', ' ')}\n`)).toEqual(rk);
  });

  it('catches a typo with the checksum and names the problem', () => {
    const text = formatRecoveryKey(newRecoveryKey());
    const typo = (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    expect(() => parseRecoveryKey(typo)).toThrow(/checksum/);
    expect(() => parseRecoveryKey(text.slice(0, -1))).toThrow(/35 characters; it should have 36/);
    expect(() => parseRecoveryKey(text.replace(/.$/, '1'))).toThrow(/"1"/);
  });
});
