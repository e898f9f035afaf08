import { generateCode, normalizeEntry, type OtpEntry } from '@tessera/otp';
import { randomBytes } from './bytes.js';
import {
  clockSkewWarning,
  codeTime as codeTimeFor,
  measureServerClock,
  SERVER_CLOCK_META_KEY,
  serverClockFromMeta,
  type ServerClock,
} from './clock-skew.js';
import { DuplicateEntryError, VaultDamagedError, VaultError } from './errors.js';
import {
  openVaultFileAny,
  readVaultHeader,
  sealVaultFile,
  sealVaultFileWith,
  type KeyCustody,
  type PassphraseWrap,
  type VaultFileAead,
  type VaultHeader,
  type XChaChaAead,
} from './file-format.js';
import { HybridClock } from './hlc.js';
import { decodePayload, encodePayload } from './payload.js';
import { mergeRecords } from './merge.js';
import { deletedAt, inTrash, purgeRecord, restoreRecord, TRASH_MS } from './trash.js';
import { findEntries, findOneEntry } from './query.js';
import { positionBetween, positionsBetween, POSITION_SPREAD_AT } from './position.js';
import { sortEntries } from './sort.js';
import {
  createRecord,
  normalizeSites,
  CredentialIndex,
  deleteRecord,
  entryLabel,
  patchRecord,
  validateRecord,
  withCounter,
} from './record.js';
import type { VaultStorage } from './storage.js';
import type { ChangeListener, EntryPatch, MetaValue, VaultChange, VaultEntry, VaultRecord } from './types.js';

/** The storage key of a vault and how it is kept (written to the header). */
export interface VaultKey {
  key: Uint8Array;
  keyId: string;
  custody: KeyCustody;
  kdf?: PassphraseWrap;
}

/** Finds the key of an existing vault and makes the key of a new one (platform specific). */
export interface KeyProvider {
  /** The key for a vault whose header is `header`; throws a VaultError saying what is missing. */
  unlock(header: VaultHeader): Promise<VaultKey>;
  /** A fresh key, stored wherever this platform keeps keys; called on the first save only. */
  create(): Promise<VaultKey>;
}

export interface OpenVaultOptions {
  storage: VaultStorage;
  keys: KeyProvider;
  /** Clock for timestamps and HLCs; tests pass a fake. */
  now?: () => number;
  /** Appended to damage errors: how to recover on this platform (e.g. the restore command). */
  damageHint?: string;
  /** The vault file cipher; default @noble/ciphers (Node passes a native, byte-identical one). */
  aead?: XChaChaAead;
  /**
   * Writes the version-2 file sealed with this AEAD (browsers: `aes-256-gcm`, native through
   * WebCrypto). Without it, writes keep the version-1 layout (XChaCha20-Poly1305). Reads open both.
   */
  fileAead?: VaultFileAead;
}

/** What `check()` found. */
export interface VaultCheckReport {
  ok: boolean;
  generation: number;
  records: number;
  live: number;
  tombstones: number;
  problems: string[];
}

/** Options for entries being added. */
export interface AddOptions {
  deviceOnly?: boolean;
  tags?: string[];
  /** Sites where the browser extension may fill the code (see `VaultEntry.sites`). */
  sites?: string[];
}

/**
 * The local vault of one device: entries as mergeable records, plus a small `meta` section for the
 * keychain client. Every change is one locked read-modify-write of the whole encrypted file, so
 * several processes (or tabs) can share a vault; reads use the last loaded state (`refresh()` picks
 * up changes made elsewhere).
 */
export class Vault {
  private records_ = new Map<string, VaultRecord>();
  private meta_: Record<string, MetaValue> = {};
  private deviceId_: string;
  private clock: HybridClock;
  private generation_ = 0;
  /** The AEAD of the file last loaded or saved (null before either). */
  private fileAead_: VaultFileAead | null = null;
  /** The bytes last loaded or saved: a reload with identical bytes has nothing to do. */
  private loadedBytes: Uint8Array | null = null;
  private key: VaultKey | null = null;
  private readonly listeners = new Set<ChangeListener>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  private constructor(private readonly options: OpenVaultOptions) {
    this.now = options.now ?? Date.now;
    this.deviceId_ = newDeviceId();
    this.clock = new HybridClock(this.deviceId_, this.now);
  }

  /** Opens the vault in `storage` (an empty one if nothing is stored; created on the first change). */
  static async open(options: OpenVaultOptions): Promise<Vault> {
    const vault = new Vault(options);
    await vault.reload();
    return vault;
  }

  /**
   * Drops what this vault holds in memory (its key, entries, meta and change listeners), for a vault
   * its owner discards: an open that a lock overtook, or one on screen when the app locked. Not to be
   * used afterwards. The key's bytes are let go, not zeroed: the key provider that handed them out may
   * still hold the same array.
   */
  close(): void {
    this.key = null;
    this.records_ = new Map();
    this.meta_ = {};
    this.loadedBytes = null;
    this.listeners.clear();
  }

  /** Random id of this device in HLCs; kept in the vault file. */
  get deviceId(): string {
    return this.deviceId_;
  }

  /** Number of writes so far; 0 when nothing has been saved. */
  get generation(): number {
    return this.generation_;
  }

  /** Where the storage key is kept; null before the first save. */
  get custody(): KeyCustody | null {
    return this.key?.custody ?? null;
  }

  /** Live entries in the synced manual order, pinned first (`sortEntries` for the other orders). */
  entries(): VaultEntry[] {
    const live: VaultEntry[] = [];
    for (const record of this.records_.values()) if (!record.deleted) live.push(record.entry);
    return sortEntries({ entries: live, sort: 'manual' });
  }

  /** The live entry with this id. */
  get(id: string): VaultEntry | undefined {
    const record = this.records_.get(id);
    return record && !record.deleted ? record.entry : undefined;
  }

  /** Every record, tombstones included (what the sync engine pushes). */
  records(): VaultRecord[] {
    return [...this.records_.values()];
  }

  /** The record with this id, tombstone or not. */
  record(id: string): VaultRecord | undefined {
    return this.records_.get(id);
  }

  /** Live entries a query names (see `findEntries`). */
  find(query: string): VaultEntry[] {
    return findEntries(this.entries(), query);
  }

  /** The one live entry a query names; throws `not-found` or AmbiguousQueryError. */
  findOne(query: string): VaultEntry {
    return findOneEntry(this.entries(), query);
  }

  /** Adds one entry; throws DuplicateEntryError when the same credential is already there. */
  async add(entry: OtpEntry, options: AddOptions = {}): Promise<VaultEntry> {
    const { added, duplicates } = await this.addMany([entry], options);
    if (duplicates.length > 0) {
      const existing = this.findDuplicate(duplicates[0]!);
      throw new DuplicateEntryError(existing?.id ?? '', entryLabel(duplicates[0]!));
    }
    return added[0]!;
  }

  /**
   * Adds entries in one atomic write. Entries whose credential (type, secret, issuer, account) is
   * already in the vault, or earlier in the list, are returned as duplicates and not stored.
   * Every entry is validated first; an invalid one refuses the whole batch.
   */
  async addMany(
    entries: readonly (OtpEntry & { tags?: string[]; icon?: string })[],
    options: AddOptions = {},
  ): Promise<{ added: VaultEntry[]; duplicates: OtpEntry[] }> {
    const normalized = entries.map((entry) => ({
      entry: normalizeEntry(entry),
      tags: entry.tags ?? [],
      icon: entry.icon,
    }));
    const sites = options.sites && options.sites.length > 0 ? normalizeSites(options.sites) : undefined;
    return this.mutate(() => {
      const placed = this.placeUnpositioned();
      const stored = new CredentialIndex<OtpEntry>(this.entries());
      let order = this.entries().reduce((max, e) => Math.max(max, e.order), -1);
      // New entries go to the end of the manual order, after every key in use (trash included).
      let last: string | null = null;
      for (const record of this.records_.values()) {
        const p = record.entry.position;
        if (p !== undefined && (last === null || p > last)) last = p;
      }
      const positions = positionsBetween({ lower: last, upper: null, count: normalized.length });
      const added: VaultEntry[] = [];
      const duplicates: OtpEntry[] = [];
      for (const { entry, tags, icon } of normalized) {
        if (stored.find(entry)) {
          duplicates.push(entry);
          continue;
        }
        stored.add(entry);
        order += 1;
        const record = createRecord({
          entry,
          id: globalThis.crypto.randomUUID(),
          tags: [...tags, ...(options.tags ?? [])],
          deviceOnly: options.deviceOnly ?? false,
          ...(sites ? { sites } : {}),
          ...(icon !== undefined ? { icon } : {}),
          order,
          position: positions[added.length + duplicates.length]!,
          stamp: this.clock.tick(),
          now: this.now(),
        });
        this.records_.set(record.entry.id, record);
        added.push(record.entry);
      }
      return {
        result: { added, duplicates },
        changes: localChanges('records', [...placed, ...added.map((e) => e.id)]),
      };
    });
  }

  /** Changes display fields of an entry (issuer, account, tags, order, deviceOnly, extra). */
  async update(id: string, patch: EntryPatch): Promise<VaultEntry> {
    return this.mutate(() => {
      const record = this.liveRecord(id);
      const next = patchRecord(record, patch, this.clock.tick(), this.now());
      if (next === record) return { result: record.entry, changes: [] };
      this.records_.set(id, next);
      return { result: next.entry, changes: localChanges('records', [id]) };
    });
  }

  /** Pins an entry to the top of every list, or unpins it; synced with the entry (`VaultEntry.pinned`). */
  async setPinned(id: string, pinned: boolean): Promise<VaultEntry> {
    return this.update(id, { pinned });
  }

  /**
   * Moves an entry in the synced manual order: just before `before`, just after `after`, or to
   * the top or bottom of its group (pinned entries and the others are ordered separately). Writes
   * the moved entry only, except the first time (entries without a key get theirs, in the order
   * shown) and when a gap has become too narrow (the group gets fresh, evenly spread keys).
   */
  async move(options: {
    id: string;
    before?: string;
    after?: string;
    to?: 'top' | 'bottom';
  }): Promise<VaultEntry> {
    const { id } = options;
    return this.mutate(() => {
      const moving = this.liveRecord(id).entry;
      const placed = this.placeUnpositioned();
      const group = this.entries().filter((e) => Boolean(e.pinned) === Boolean(moving.pinned));
      const others = group.filter((e) => e.id !== id);
      const neighbour = options.before ?? options.after;
      let index: number;
      if (neighbour !== undefined) {
        if (neighbour === id) return { result: moving, changes: [] };
        const at = others.findIndex((e) => e.id === neighbour);
        if (at < 0) {
          const other = this.get(neighbour);
          if (!other) throw new VaultError('not-found', `no entry with id ${neighbour}`);
          const [yes, no] = moving.pinned ? [moving, other] : [other, moving];
          throw new VaultError(
            'invalid',
            `${entryLabel(yes)} is pinned and ${entryLabel(no)} is not: pinned entries are ordered among themselves (pin or unpin first)`,
          );
        }
        index = options.before !== undefined ? at : at + 1;
      } else {
        index = options.to === 'top' ? 0 : others.length;
      }
      const lower = others[index - 1]?.position ?? null;
      const upper = others[index]?.position ?? null;
      const updates = new Map<string, string>();
      const key = lower !== upper ? positionBetween({ lower, upper }) : null;
      if (key === null || key.length > POSITION_SPREAD_AT) {
        // Equal neighbours (two devices filled one gap at once) or a worn-out gap: re-spread the group.
        const order = [...others.slice(0, index), moving, ...others.slice(index)];
        const keys = positionsBetween({ lower: null, upper: null, count: order.length });
        order.forEach((e, i) => updates.set(e.id, keys[i]!));
      } else {
        updates.set(id, key);
      }
      const changed = new Set(placed);
      for (const [entryId, position] of updates) {
        const record = this.records_.get(entryId)!;
        const next = patchRecord(record, { position }, this.clock.tick(), this.now());
        if (next !== record) {
          this.records_.set(entryId, next);
          changed.add(entryId);
        }
      }
      return { result: this.records_.get(id)!.entry, changes: localChanges('records', [...changed]) };
    });
  }

  /**
   * How often each entry was copied or revealed on this device (entry id → count). Kept in the
   * local meta, never synced: the backup perimeter carries no usage history (docs/PROTOCOL.md §3).
   */
  uses(): Map<string, number> {
    return usesFromMeta(this.meta_[USES_META_KEY]);
  }

  /** Counts one copy or reveal of an entry for the "most used" order (`uses`). */
  async recordUse(id: string): Promise<void> {
    await this.mutate(() => {
      const uses = usesFromMeta(this.meta_[USES_META_KEY]);
      uses.set(id, (uses.get(id) ?? 0) + 1);
      // Entries deleted since are dropped here, so the map never outgrows the vault.
      const counts: Record<string, number> = {};
      for (const [entryId, count] of uses) if (this.get(entryId)) counts[entryId] = count;
      const keys = this.patchMeta({ [USES_META_KEY]: counts });
      return { result: undefined, changes: localChanges('meta', keys) };
    });
  }

  /**
   * Gives every live entry without a position key one, after the keyed ones, in the order shown
   * (old `order`, then name): the manual order of a vault from before position keys, written once.
   */
  private placeUnpositioned(): string[] {
    const entries = this.entries();
    const missing = entries.filter((e) => e.position === undefined);
    if (missing.length === 0) return [];
    let last: string | null = null;
    for (const record of this.records_.values()) {
      const p = record.entry.position;
      if (p !== undefined && (last === null || p > last)) last = p;
    }
    const keys = positionsBetween({ lower: last, upper: null, count: missing.length });
    missing.forEach((entry, i) => {
      const record = this.records_.get(entry.id)!;
      this.records_.set(entry.id, patchRecord(record, { position: keys[i]! }, this.clock.tick(), this.now()));
    });
    return missing.map((e) => e.id);
  }

  /** Renames an entry; omitted fields stay. */
  async rename(id: string, names: { issuer?: string; account?: string }): Promise<VaultEntry> {
    return this.update(id, { issuer: names.issuer, account: names.account });
  }

  /** Deletes an entry (a tombstone that syncs; see `merge.ts`). */
  async remove(id: string): Promise<void> {
    await this.mutate(() => {
      const record = this.liveRecord(id);
      this.records_.set(id, deleteRecord(record, this.clock.tick(), this.now()));
      return { result: undefined, changes: localChanges('records', [id]) };
    });
  }

  /** Entries in the trash (deleted, content kept for `TRASH_DAYS`), the most recently deleted first. */
  trash(): TrashedEntry[] {
    const out: TrashedEntry[] = [];
    for (const record of this.records_.values()) {
      if (inTrash(record)) out.push({ ...record.entry, deletedAt: deletedAt(record) });
    }
    return out.sort((a, b) => b.deletedAt - a.deletedAt);
  }

  /**
   * Brings an entry back from the trash (the `restored` clock, see trash.ts); throws `not-found`
   * when `id` is not in the trash (never deleted, or wiped), DuplicateEntryError when the same
   * credential was added again meanwhile.
   */
  async restore(id: string): Promise<VaultEntry> {
    return this.mutate(() => {
      const record = this.records_.get(id);
      if (!record || !inTrash(record))
        throw new VaultError('not-found', `no entry with id ${id} in the trash`);
      // The same credential may have been added again since; two live copies would only confuse.
      const existing = this.findDuplicate(record.entry);
      if (existing) throw new DuplicateEntryError(existing.id, entryLabel(record.entry));
      const next = restoreRecord(record, this.clock.tick(), this.now());
      this.records_.set(id, next);
      return { result: next.entry, changes: localChanges('records', [id]) };
    });
  }

  /**
   * Wipes the content of trashed entries, leaving bare tombstones: with `all`, every one ("Empty
   * trash"); otherwise those deleted at least `TRASH_DAYS` ago. Returns the ids wiped.
   */
  async purgeTrash(options: { all?: boolean } = {}): Promise<string[]> {
    const due = (record: VaultRecord, cutoff: number) =>
      inTrash(record) && (options.all === true || deletedAt(record) <= cutoff);
    // Sync rounds call this every time: skip the lock and re-read when nothing in view is due.
    const cutoffNow = this.now() - TRASH_MS;
    if (![...this.records_.values()].some((record) => due(record, cutoffNow))) return [];
    return this.mutate(() => {
      const cutoff = this.now() - TRASH_MS;
      const ids: string[] = [];
      for (const record of [...this.records_.values()]) {
        if (!due(record, cutoff)) continue;
        const wipe = this.clock.tick();
        this.records_.set(record.entry.id, purgeRecord(record, wipe, this.clock.tick()));
        ids.push(record.entry.id);
      }
      return { result: ids, changes: localChanges('records', ids) };
    });
  }

  /**
   * The next HOTP code of an entry. The advanced counter is saved before the code is returned, so
   * a code is never shown twice, even if the process dies right after (RFC 4226 §7.2 resynchronises
   * a server that is behind; nothing recovers a reused code).
   */
  async nextHotp(id: string): Promise<string> {
    return this.mutate(() => {
      const record = this.liveRecord(id);
      if (record.entry.type !== 'hotp')
        throw new VaultError('invalid', `${entryLabel(record.entry)} is not an HOTP entry`);
      const counter = record.entry.counter ?? 0;
      const code = generateCode({ entry: record.entry });
      this.records_.set(id, withCounter(record, counter + 1, this.clock.tick(), this.now()));
      return { result: code, changes: localChanges('records', [id]) };
    });
  }

  /**
   * Merges records from another device (the sync engine's pull) and optionally updates meta (e.g.
   * the cursor), in one atomic write. Records are validated first; any invalid one refuses the batch.
   */
  async applyRemote(
    records: readonly unknown[],
    options: { meta?: Record<string, MetaValue | undefined> } = {},
  ): Promise<{ changed: string[] }> {
    const incoming = records.map(validateRecord);
    return this.mutate(() => {
      const changed: string[] = [];
      // Fixed-width HLCs order as strings: observing the latest one of the batch observes them all.
      let latest = '';
      for (const remote of incoming) {
        for (const field in remote.clock) if (remote.clock[field]! > latest) latest = remote.clock[field]!;
        const local = this.records_.get(remote.entry.id);
        const merged = local ? mergeRecords(local, remote) : mergeRecords(remote, remote);
        // The merge returns `local` itself when the remote copy adds nothing to it.
        if (merged !== local && (!local || JSON.stringify(merged) !== JSON.stringify(local))) {
          this.records_.set(merged.entry.id, merged);
          changed.push(merged.entry.id);
        }
      }
      if (latest !== '') this.clock.observe(latest);
      const metaKeys = options.meta ? this.patchMeta(options.meta) : [];
      const changes: VaultChange[] =
        changed.length > 0 ? [{ kind: 'records', source: 'remote', ids: changed }] : [];
      return {
        result: { changed },
        changes: [...changes, ...localChanges('meta', metaKeys)],
        // What a pull stores the server already holds, and the local edits it merged with were
        // saved durably before: shown before the save completes, and saved with relaxed durability.
        early: true,
        relaxed: true,
      };
    });
  }

  /**
   * Rewrites the stored file when it is not in the layout `fileAead` asks for (an older version);
   * returns whether it did. Content, generation order and key stay as they are.
   */
  async upgradeFile(): Promise<boolean> {
    const want = this.options.fileAead;
    if (!want || this.generation_ === 0 || this.fileAead_ === want) return false;
    return this.mutate(() => {
      const stale = this.generation_ > 0 && this.fileAead_ !== want;
      return { result: stale, changes: [], save: stale };
    });
  }

  /** A copy of the meta section. */
  get meta(): Readonly<Record<string, MetaValue>> {
    return structuredClone(this.meta_);
  }

  /** Whether a meta key is set, without copying its value. */
  hasMeta(key: string): boolean {
    return this.meta_[key] !== undefined;
  }

  /** One meta value (a copy), or undefined. */
  getMeta(key: string): MetaValue | undefined {
    const value = this.meta_[key];
    return value === undefined ? undefined : structuredClone(value);
  }

  /** Sets one meta value; `undefined` deletes the key. */
  async setMeta(key: string, value: MetaValue | undefined): Promise<void> {
    await this.updateMeta({ [key]: value });
  }

  /** Sets several meta values in one write; `undefined` deletes a key. */
  async updateMeta(patch: Record<string, MetaValue | undefined>): Promise<void> {
    await this.mutate(() => {
      const keys = this.patchMeta(patch);
      return { result: undefined, changes: localChanges('meta', keys) };
    });
  }

  /** Stores the offset of the local clock from the keychain server's, measured by one request. */
  async recordServerTime(sample: {
    serverTime: number;
    sentAt: number;
    receivedAt: number;
  }): Promise<ServerClock> {
    const clock = measureServerClock(sample);
    await this.setMeta(SERVER_CLOCK_META_KEY, { ...clock });
    return clock;
  }

  /** The last measured server clock offset, or null. */
  serverClock(): ServerClock | null {
    return serverClockFromMeta(this.meta_[SERVER_CLOCK_META_KEY]);
  }

  /** A warning when the local clock is known to be off by more than a few seconds, else null. */
  clockWarning(): string | null {
    return clockSkewWarning(this.serverClock());
  }

  /** Unix seconds for codes: `explicit`, else the device clock corrected by the server offset (clock-skew.ts). */
  codeTime(opts: { deviceNowMs: number; explicit?: number }): number {
    return codeTimeFor({ clock: this.serverClock(), ...opts });
  }

  /**
   * Calls `listener` after every saved change (a pull's merge, `applyRemote`, while it is being saved;
   * see Mutation.early); returns the unsubscribe function.
   */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads storage; changes made by other processes are reported as `remote` changes. */
  async refresh(): Promise<void> {
    await this.serialize(() => this.reload());
  }

  /** Saves the vault under a new key (e.g. a passphrase was set or removed); returns the old key. */
  async rekey(key: VaultKey): Promise<VaultKey | null> {
    return this.mutate(() => {
      const old = this.key;
      this.key = key;
      return { result: old, changes: [], save: true };
    });
  }

  /** Deep validation of every record and of the meta section. */
  check(): VaultCheckReport {
    const problems: string[] = [];
    let live = 0;
    for (const [id, record] of this.records_) {
      try {
        validateRecord(record);
        if (record.entry.id !== id) problems.push(`record ${id}: stored under another id`);
      } catch (err) {
        problems.push((err as Error).message);
      }
      if (!record.deleted) live += 1;
    }
    return {
      ok: problems.length === 0,
      generation: this.generation_,
      records: this.records_.size,
      live,
      tombstones: this.records_.size - live,
      problems,
    };
  }

  private liveRecord(id: string): VaultRecord {
    const record = this.records_.get(id);
    if (!record || record.deleted) throw new VaultError('not-found', `no entry with id ${id}`);
    return record;
  }

  /** The live entry holding the same credential as `entry` (type, secret, issuer, account), if any. */
  findDuplicate(entry: OtpEntry): VaultEntry | undefined {
    return new CredentialIndex(this.entries()).find(entry);
  }

  private patchMeta(patch: Record<string, MetaValue | undefined>): string[] {
    const changed: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (JSON.stringify(this.meta_[key]) === JSON.stringify(value)) continue;
      if (value === undefined) delete this.meta_[key];
      else this.meta_[key] = structuredClone(value);
      changed.push(key);
    }
    return changed;
  }

  /** Runs `task` after every earlier operation of this Vault object. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * One locked read-modify-write: reload what other processes saved, let `fn` edit the in-memory
   * state, save if it changed anything, then tell listeners. If `fn` or the save fails, the
   * in-memory state goes back to what storage holds.
   */
  private mutate<T>(fn: () => Mutation<T>): Promise<T> {
    return this.serialize(async () => {
      const release = await this.options.storage.lock();
      let outcome: Mutation<T>;
      let shown = false;
      try {
        await this.reload();
        // Meta values are replaced, never edited in place (patchMeta), so a shallow copy restores them.
        const before = { records: new Map(this.records_), meta: { ...this.meta_ }, key: this.key };
        try {
          outcome = fn();
          const save = outcome.save ?? outcome.changes.length > 0;
          if (save && outcome.early) {
            // Listeners see the new state while it is being saved (see Mutation.early).
            for (const change of outcome.changes) this.emit(change);
            shown = true;
          }
          if (save) await this.persist(outcome.relaxed ? 'relaxed' : 'strict');
        } catch (err) {
          this.records_ = before.records;
          this.meta_ = before.meta;
          this.key = before.key;
          // What was shown early goes back to what storage holds, as a change from storage.
          if (shown) for (const change of outcome!.changes) this.emit({ ...change, source: 'remote' });
          throw err;
        }
      } finally {
        await release();
      }
      if (!shown) for (const change of outcome.changes) this.emit(change);
      return outcome.result;
    });
  }

  private async persist(durability: 'strict' | 'relaxed' = 'strict'): Promise<void> {
    const key = this.key ?? (await this.options.keys.create());
    const payload = encodePayload({
      deviceId: this.deviceId_,
      hlc: this.clock.current(),
      records: [...this.records_.values()],
      meta: this.meta_,
    });
    const header: VaultHeader = {
      generation: this.generation_ + 1,
      keyId: key.keyId,
      custody: key.custody,
      ...(key.kdf ? { kdf: key.kdf } : {}),
      writtenAt: this.now(),
    };
    const cipher = this.options.fileAead;
    const bytes = cipher
      ? await sealVaultFileWith({ key: key.key, header, payload, cipher, aead: this.options.aead })
      : sealVaultFile({ key: key.key, header, payload, aead: this.options.aead });
    await this.options.storage.save(bytes, { durability });
    this.key = key;
    this.generation_ = header.generation;
    this.fileAead_ = cipher ?? 'xchacha20-poly1305';
    this.loadedBytes = bytes;
  }

  /** Loads storage if it changed since the last load or save. */
  private async reload(): Promise<void> {
    const bytes = await this.options.storage.load();
    if (bytes === null) return;
    if (this.loadedBytes && sameBytes(bytes, this.loadedBytes)) return;
    const first = this.loadedBytes === null && this.generation_ === 0;
    const label = this.options.storage.label;
    try {
      const { header, aead } = readVaultHeader(bytes, label);
      const key =
        this.key && this.key.keyId === header.keyId ? this.key : await this.options.keys.unlock(header);
      const payload = decodePayload(
        await openVaultFileAny({ key: key.key, bytes, file: label, aead: this.options.aead }),
        label,
      );
      const previous = this.records_;
      const previousMeta = JSON.stringify(this.meta_);
      this.records_ = new Map(payload.records.map((r) => [r.entry.id, r]));
      this.meta_ = payload.meta;
      this.deviceId_ = payload.deviceId;
      this.clock = new HybridClock(payload.deviceId, this.now, payload.hlc);
      this.generation_ = header.generation;
      this.key = key;
      this.fileAead_ = aead;
      this.loadedBytes = bytes;
      if (!first) this.emitReloadChanges(previous, previousMeta);
    } catch (err) {
      if (err instanceof VaultDamagedError && this.options.damageHint) {
        throw new VaultDamagedError(`${err.reason}; ${this.options.damageHint}`, err.file);
      }
      throw err;
    }
  }

  private emitReloadChanges(previous: Map<string, VaultRecord>, previousMeta: string): void {
    const ids: string[] = [];
    for (const [id, record] of this.records_) {
      const old = previous.get(id);
      if (!old || JSON.stringify(old) !== JSON.stringify(record)) ids.push(id);
    }
    for (const id of previous.keys()) if (!this.records_.has(id)) ids.push(id);
    if (ids.length > 0) this.emit({ kind: 'records', source: 'remote', ids });
    if (JSON.stringify(this.meta_) !== previousMeta) this.emit({ kind: 'meta', source: 'remote', ids: [] });
  }

  private emit(change: VaultChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A failing listener must not undo a saved change or starve the other listeners.
      }
    }
  }
}

/** An entry in the trash and when it was deleted (Unix milliseconds). */
export interface TrashedEntry extends VaultEntry {
  deletedAt: number;
}

/** What a mutation returns: its result, the changes to announce, and whether to save (default: if anything changed). */
interface Mutation<T> {
  result: T;
  changes: VaultChange[];
  save?: boolean;
  /**
   * Announce the changes before the save completes rather than after. Only for changes that are
   * not lost if the save fails (a pull: the server holds them, and the cursor is saved with them);
   * a failed save announces them again, with the state back to what storage holds, and throws.
   */
  early?: boolean;
  /** Save with relaxed durability (storage may acknowledge before the bytes reach the disk). */
  relaxed?: boolean;
}

/** Meta key of the per-device use counts (`Vault.uses`). */
export const USES_META_KEY = 'uses';

function usesFromMeta(value: MetaValue | undefined): Map<string, number> {
  const uses = new Map<string, number>();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [id, count] of Object.entries(value))
      if (typeof count === 'number' && Number.isSafeInteger(count) && count > 0) uses.set(id, count);
  }
  return uses;
}

function localChanges(kind: VaultChange['kind'], ids: string[]): VaultChange[] {
  return ids.length > 0 ? [{ kind, source: 'local', ids }] : [];
}

function newDeviceId(): string {
  return Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Byte equality; word by word where both views allow, as every write first re-reads the whole file. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 ? a.length >>> 2 : 0;
  const wa = new Uint32Array(a.buffer, a.byteOffset, words);
  const wb = new Uint32Array(b.buffer, b.byteOffset, words);
  for (let i = 0; i < words; i++) if (wa[i] !== wb[i]) return false;
  for (let i = words * 4; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
