// The restore snapshot's format (docs/PROTOCOL.md §3.1, keychain/snapshot.ts): sealed in one AEAD
// under HKDF(VK, "tessera/v2/snapshot") with account, epoch and head bound, padded to 64 KiB; opening
// refuses anything else whole, and checks each record as an item's (id = entry id) besides what
// only a snapshot can get wrong (its head, a version above it, an id twice).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canon, LABELS, LIMITS, SNAPSHOT_PADDING_BYTES } from '@tessera/protocol';
import {
  b64u,
  fromB64u,
  KeychainError,
  newVaultKey,
  openSnapshot,
  sealSnapshot,
  snapshotKey,
  utf8,
  type SnapshotItem,
} from '../../src/keychain/index.js';
import { seal } from '../../src/keychain/primitives.js';

const record = (id: string, extra = '') => ({
  v: 1 as const,
  entry: {
    id,
    type: 'totp',
    secret: 'JBSWY3DPEHPK3PXP',
    issuer: `Issuer ${extra}`,
    account: 'a@example.com',
  },
  clock: { issuer: '1700000000000:0000:dev' },
  deleted: false,
});
const items = (n: number): SnapshotItem[] =>
  Array.from({ length: n }, (_, i) => {
    const id = randomUUID();
    return { id, version: i + 1, record: record(id, String(i)) };
  });

const ctx = { accountId: randomUUID(), epoch: 3, head: 10 };

/** Seals any plaintext the way a snapshot is sealed: what a key holder gone wrong could write. */
function sealRaw(vk: Uint8Array, plain: unknown, at = ctx): string {
  const bytes = utf8(canon(plain));
  const padded = new Uint8Array(
    Math.ceil((bytes.length + 1) / SNAPSHOT_PADDING_BYTES) * SNAPSHOT_PADDING_BYTES,
  );
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  return b64u(
    seal(snapshotKey(vk), padded, utf8(`${LABELS.snapshot}|${at.accountId}|${at.epoch}|${at.head}`)),
  );
}

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeychainError);
    expect((err as KeychainError).code).toBe('snapshot-invalid');
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('restore snapshot format', () => {
  const vk = newVaultKey();

  it('round-trips, padded to a multiple of 64 KiB', () => {
    const all = items(10);
    const ciphertext = sealSnapshot({ ...ctx, vk, items: all })!;
    expect((fromB64u(ciphertext).length - 40) % SNAPSHOT_PADDING_BYTES).toBe(0);
    expect(openSnapshot({ ...ctx, vk, ciphertext })).toEqual(all);
    // The same items in a snapshot of another size class only when the records outgrow 64 KiB.
    expect(fromB64u(sealSnapshot({ ...ctx, vk, items: all.slice(0, 1) })!).length).toBe(
      fromB64u(ciphertext).length,
    );
  });

  it('refuses another account, epoch, head or key, and a flipped bit', () => {
    const ciphertext = sealSnapshot({ ...ctx, vk, items: items(3) })!;
    refused(() => openSnapshot({ ...ctx, accountId: randomUUID(), vk, ciphertext }));
    refused(() => openSnapshot({ ...ctx, epoch: 4, vk, ciphertext }));
    refused(() => openSnapshot({ ...ctx, head: 11, vk, ciphertext }));
    refused(() => openSnapshot({ ...ctx, vk: newVaultKey(), ciphertext }));
    const bytes = fromB64u(ciphertext);
    bytes[100] = bytes[100]! ^ 1;
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: b64u(bytes) }));
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: 'not base64url!' }));
  });

  it('refuses a head inside that is not the bound one, a version above the head or below 1, an id twice', () => {
    const all = items(3);
    expect(
      refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 9, items: all }) })),
    ).toMatch(/names head 9/);
    const above = all.map((it, i) => (i === 1 ? { ...it, version: 11 } : it));
    expect(
      refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: above }) })),
    ).toMatch(/version 11/);
    const zero = all.map((it, i) => (i === 1 ? { ...it, version: 0 } : it));
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: zero }) }));
    const twice = [...all, { ...all[0]!, version: 9 }];
    expect(
      refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: twice }) })),
    ).toMatch(/twice/);
    // Accepted as sealed when every check holds (the crafted path itself is sound).
    expect(openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: all }) })).toEqual(
      all,
    );
  });

  it("refuses a record whose entry id is not the item's, or that is not a version 1 record", () => {
    const all = items(2);
    const moved = [all[0]!, { ...all[1]!, record: record(all[0]!.id) }];
    expect(
      refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: moved }) })),
    ).toMatch(/with entry/);
    const v2 = [all[0]!, { ...all[1]!, record: { ...all[1]!.record, v: 2 } }];
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 1, head: 10, items: v2 }) }));
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: sealRaw(vk, { v: 2, head: 10, items: all }) }));
  });

  it('refuses an oversized answer without opening it, and writes none that would be one', () => {
    refused(() => openSnapshot({ ...ctx, vk, ciphertext: 'A'.repeat(LIMITS.maxSnapshotChars + 1) }));
    const big = items(5000).map((it) => ({ ...it, record: record(it.id, 'x'.repeat(1400)) }));
    expect(sealSnapshot({ ...ctx, head: 5000, vk, items: big })).toBeNull();
  });
});
