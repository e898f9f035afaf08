// Restore snapshots end to end (docs/PROTOCOL.md §3.1, keychain/snapshot-sync.ts): a trusted device
// writes one at the end of a round, a restoring device reads it during its join and opens it in its
// first round, then pulls what came after it per item. The real server (SQLite and PostgreSQL)
// behind the tampering proxy plays the attacker: every snapshot it alters, moves, replays or makes
// from an old epoch's key is refused whole, and the restore completes per item with the right result.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canon, LABELS, LIMITS, SNAPSHOT_PADDING_BYTES } from '@tessera/protocol';
import {
  b64u,
  fromB64u,
  recoverWithRecoveryKey,
  removeDevice,
  sealSnapshot,
  signInToRecover,
  signup,
  snapshotKey,
  syncRound,
  utf8,
} from '../../src/keychain/index.js';
import { seal } from '../../src/keychain/primitives.js';
import { totpEntry } from '../fixtures.js';
import { ADMIN_URL, admin } from '../realms/realm-harness.js';
import { device, entryLines, proxiedAccount, pullsThrough, type Json } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;
type Snap = { epoch: number; head: number; ciphertext: string };

const unlimited = { limit: 10_000, windowMs: 60_000, freeAttempts: 10_000, baseDelayMs: 0, maxDelayMs: 0 };

describe.each(['sqlite', 'postgres'] as const)('restore snapshots (%s)', (backend) => {
  let account: Awaited<ReturnType<typeof proxiedAccount>>;
  const proxy = () => account.proxy;
  const a = () => account.a;
  const email = `snapshot-${backend}@example.com`;
  const password = 'correct horse battery staple';
  const recoveryKeys: string[] = [];
  let dbName: string | null = null;

  beforeAll(async () => {
    let database: string | undefined;
    if (backend === 'postgres') {
      dbName = `tessera_snapshot_test_${randomUUID().replace(/-/g, '')}`;
      await admin(`CREATE DATABASE ${dbName}`);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${dbName}`;
      database = url.toString();
    }
    account = await proxiedAccount({
      email,
      password,
      entries: 40,
      keepRecoveryKey: async (rk) => void recoveryKeys.push(rk),
      // Every test restores a few devices by recovery key: more than an attacker's guesses may.
      server: {
        ...(database ? { database } : {}),
        rateLimits: {
          signInAccount: unlimited,
          signInAddress: unlimited,
          recoveryAccount: unlimited,
          recoveryAddress: unlimited,
        },
      },
    });
  });

  afterAll(async () => {
    await account?.close();
    if (dbName) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  const stored = (): Promise<Snap> => a().keychain.client().call('snapshot') as Promise<Snap>;
  const isSnapshotRead = (r: { method: string; path: string; session: string | null }) =>
    r.method === 'GET' &&
    r.path.startsWith('/v1/snapshot') &&
    r.session !== a().keychain.requireState().session;
  const pullsOf = (session: string) => pullsThrough(proxy(), session);
  const entriesOf = entryLines;

  /** A new device restores by recovery key, served `snapshot` (when given) instead of the server's. */
  async function restore(
    name: string,
    options: { snapshot?: Snap; beforeRound?: (d: Device) => Promise<void> } = {},
  ) {
    proxy().intercept = options.snapshot
      ? (r) => (isSnapshotRead(r) ? Promise.resolve({ status: 200, body: options.snapshot as Json }) : null)
      : null;
    try {
      const d = await device();
      await signInToRecover(d.keychain, { server: proxy().url, email, password, deviceName: name });
      await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
      await options.beforeRound?.(d);
      await syncRound(d.keychain);
      return { d, session: d.keychain.requireState().session };
    } finally {
      proxy().intercept = null;
    }
  }

  /** The restore ended exactly where A is: the same entries, synced map and cursor. */
  function sameAsA(d: Device) {
    expect(entriesOf(d)).toEqual(entriesOf(a()));
    expect(d.keychain.requireTrusted().synced).toEqual(a().keychain.requireTrusted().synced);
    expect(d.keychain.requireTrusted().cursor).toBe(a().keychain.requireTrusted().cursor);
  }

  /** Nothing of the snapshot was applied: the round pulled every item from the start. */
  async function refusedRestore(name: string, snapshot: Snap, beforeRound?: (d: Device) => Promise<void>) {
    const { d, session } = await restore(name, { snapshot, ...(beforeRound ? { beforeRound } : {}) });
    expect(pullsOf(session)).toContain(0);
    sameAsA(d);
  }

  let added = 100;
  async function changeOnA(tag: string) {
    const [first, second] = a().vault.entries();
    await a().vault.rename(first!.id, { issuer: `Changed ${tag}` });
    await a().vault.remove(second!.id);
    await a().vault.add(totpEntry(added++, { issuer: `Added ${tag}` }));
    await syncRound(a().keychain);
  }

  /** A key holder's snapshot of any content, sealed as the format says (what only VK can make). */
  function sealRaw(plain: unknown, at: { epoch: number; head: number }): Snap {
    const state = a().keychain.requireTrusted();
    const vk = a().keychain.vaultKeyFor(at.epoch)!;
    const bytes = utf8(canon(plain));
    const padded = new Uint8Array(
      Math.ceil((bytes.length + 1) / SNAPSHOT_PADDING_BYTES) * SNAPSHOT_PADDING_BYTES,
    );
    padded.set(bytes);
    padded[bytes.length] = 0x80;
    const aad = utf8(`${LABELS.snapshot}|${state.accountId}|${at.epoch}|${at.head}`);
    return { ...at, ciphertext: b64u(seal(snapshotKey(vk), padded, aad)) };
  }

  /** A's records as a snapshot's items, at A's head, for crafting. */
  function itemsOfA() {
    const state = a().keychain.requireTrusted();
    return a()
      .vault.records()
      .map((record) => ({ id: record.entry.id, version: state.synced[record.entry.id]!.v, record }));
  }

  it("A's first round wrote a snapshot; a restore opens it, then pulls the changes made after it, ending like a per-item restore", async () => {
    const first = await stored();
    expect(first.epoch).toBe(1);
    expect(first.head).toBe(40);
    await changeOnA('S1');
    // Three versions later: not yet worth a new snapshot (max(16, items / 8)).
    expect((await stored()).head).toBe(40);

    const { d, session } = await restore('S1');
    // The join read the snapshot and the page after its head; the round never pulled from 0.
    expect(pullsOf(session)[0]).toBe(40);
    expect(pullsOf(session)).not.toContain(0);
    sameAsA(d);

    // The same restore per item (a server without snapshots) ends in the very same state.
    proxy().snapshots = false;
    try {
      const { d: p, session: perItem } = await restore('P1');
      expect(pullsOf(perItem)[0]).toBe(0);
      expect(entriesOf(p)).toEqual(entriesOf(d));
      expect(p.keychain.requireTrusted().synced).toEqual(d.keychain.requireTrusted().synced);
      expect(p.keychain.requireTrusted().cursor).toBe(d.keychain.requireTrusted().cursor);
    } finally {
      proxy().snapshots = true;
    }
  });

  it('refuses a snapshot with a flipped bit, and restores per item', async () => {
    const snap = await stored();
    const bytes = fromB64u(snap.ciphertext);
    bytes[60] = bytes[60]! ^ 1;
    await refusedRestore('T-bit', { ...snap, ciphertext: b64u(bytes) });
  });

  it("refuses another account's snapshot", async () => {
    const b = await device();
    for (let n = 0; n < 3; n++) await b.vault.add(totpEntry(200 + n));
    await signup(b.keychain, {
      server: proxy().url,
      email: `other-${backend}@example.com`,
      password,
      deviceName: 'B',
      keepRecoveryKey: async () => undefined,
    });
    await syncRound(b.keychain);
    const theirs = (await b.keychain.client().call('snapshot')) as Snap;
    expect(theirs.head).toBe(3);
    await refusedRestore('T-other', theirs);
    // Relabelled with this account's head, it still does not open (the account is bound).
    await refusedRestore('T-other2', { ...theirs, head: (await stored()).head });
  });

  it('refuses a snapshot holding a version above its head, an id twice, or a record of another entry', async () => {
    const head = a().keychain.requireTrusted().cursor;
    const items = itemsOfA();
    const at = { epoch: 1, head };
    const above = items.map((it, i) => (i === 0 ? { ...it, version: head + 1 } : it));
    await refusedRestore('T-above', sealRaw({ v: 1, head, items: above }, at));
    const twice = [...items, { ...items[1]!, version: 1 }];
    await refusedRestore('T-twice', sealRaw({ v: 1, head, items: twice }, at));
    const moved = items.map((it, i) => (i === 0 ? { ...it, record: items[1]!.record } : it));
    await refusedRestore('T-moved', sealRaw({ v: 1, head, items: moved }, at));
    // The crafting itself is sound: the same items untouched restore from the snapshot.
    const { d, session } = await restore('T-sound', { snapshot: sealRaw({ v: 1, head, items }, at) });
    expect(pullsOf(session)).not.toContain(0);
    sameAsA(d);
  });

  it('refuses an oversized answer without opening it', async () => {
    const snap = await stored();
    await refusedRestore('T-huge', { ...snap, ciphertext: 'A'.repeat(LIMITS.maxSnapshotChars + 1) });
  });

  it('an older snapshot replayed after a newer one: the later items are pulled after it', async () => {
    const older = await stored();
    for (const entry of a().vault.entries().slice(0, 16))
      await a().vault.rename(entry.id, { account: 'renamed' });
    await syncRound(a().keychain);
    const newer = await stored();
    expect(newer.head).toBe(a().keychain.requireTrusted().cursor);
    expect(newer.head).toBeGreaterThan(older.head);
    const { d, session } = await restore('T-older', { snapshot: older });
    expect(pullsOf(session)[0]).toBe(older.head);
    expect(pullsOf(session)).not.toContain(0);
    sameAsA(d);
  });

  it("refuses, after a removal, a snapshot sealed under the old epoch's key (the removed device's)", async () => {
    const { d: r } = await restore('R');
    const removedVk = r.keychain.currentVaultKey();
    expect(removedVk.epoch).toBe(1);
    const rState = r.keychain.requireTrusted();
    const oldSnapshot = (head: number): Snap => ({
      epoch: 1,
      head,
      ciphertext: sealSnapshot({
        accountId: rState.accountId,
        epoch: 1,
        head,
        vk: removedVk.vk,
        items: r.vault.records().map((record) => ({
          id: record.entry.id,
          version: rState.synced[record.entry.id]!.v,
          record,
        })),
      })!,
    });
    await removeDevice(a().keychain, rState.deviceId, {
      keepRecoveryKey: async (rk) => void recoveryKeys.push(rk),
    });
    await syncRound(a().keychain);
    const current = await stored();
    expect(current.epoch).toBe(2);
    const head = a().keychain.requireTrusted().cursor;

    // Served as it is (epoch 1), and relabelled as the current epoch (the AEAD binds the epoch).
    await refusedRestore('T-epoch1', oldSnapshot(rState.cursor));
    await refusedRestore('T-epoch2', { ...oldSnapshot(head), epoch: 2 });
    // Even a device that holds the old epoch's key opens only the current epoch's snapshot.
    const oldKey = a().keychain.requireTrusted().vaultKeys['1']!;
    await refusedRestore('T-epoch-held', oldSnapshot(head), async (d) => {
      d.keychain.requireState().vaultKeys['1'] = oldKey;
      await d.keychain.save();
    });
  });
});
