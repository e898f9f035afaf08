/**
 * A short-lived, per-process cache of session lookups keyed by the token's SHA-256, so a busy
 * device's pulls cost one database query instead of two.
 *
 * The trade-off is bounded staleness, and revocation stays effective:
 * - this process forgets an account's sessions before a sign-out, device approval or removal, or
 *   account deletion answers (`EventBus.revokeSessions`), so the next request here sees the change;
 * - other processes forget them when the revocation's NOTIFY arrives (milliseconds). An entry
 *   stored while the bus hears every revocation (PostgreSQL with its LISTEN connection up) lives
 *   `heardTtlMs` while that lasts; losing the connection empties the cache at once, and from then
 *   until it is back entries live only `ttlMs`, which also bounds an entry where revocations are
 *   never heard (SQLite files shared by processes). A connection that dies without the client
 *   noticing is the case `heardTtlMs` bounds. Fewer look-ups matter on PostgreSQL, where each is a
 *   network round trip (bench/FINDINGS.md);
 * - a lookup that raced a revocation is not stored (the generation check below), so an entry can
 *   never outlive a revocation that committed after its database read began;
 * - expiry is checked on every hit against the cached `expiresAt`.
 */
import { ALL_ACCOUNTS } from './events.js';

export interface CachedSession {
  accountId: string;
  deviceId: string;
  expiresAt: number;
  lastUsedAt: number;
  /** Sign-in time: the absolute lifetime counts from here (PROTOCOL §10.3). */
  createdAt: number;
  status: 'pending' | 'trusted' | 'removed';
}

interface Entry {
  session: CachedSession;
  storedAt: number;
  /** Stored while every revocation reached this process (see `heard`). */
  heard: boolean;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every revocation: a lookup begun in an older generation is not stored. */
  private generationCount = 0;

  /**
   * `ttlMs` 0 disables the cache; `maxEntries` bounds memory (oldest entries go first).
   * `heardTtlMs` (default `ttlMs`) applies while `heard()` says revocations reach this process.
   */
  constructor(
    private readonly options: {
      ttlMs: number;
      maxEntries: number;
      heardTtlMs?: number;
      heard?: () => boolean;
    },
  ) {}

  private heardNow(): boolean {
    return this.options.heard?.() ?? false;
  }

  /** Read before the database lookup and pass to `store`. */
  get generation(): number {
    return this.generationCount;
  }

  get(tokenHash: string, now: number): CachedSession | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    const ttl =
      entry.heard && this.heardNow() ? (this.options.heardTtlMs ?? this.options.ttlMs) : this.options.ttlMs;
    if (now - entry.storedAt >= ttl) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.session;
  }

  /** Stores a lookup made in `generation`, unless a revocation happened since. */
  store(tokenHash: string, session: CachedSession, generation: number, now: number): void {
    if (this.options.ttlMs <= 0 || generation !== this.generationCount) return;
    if (this.entries.size >= this.options.maxEntries && !this.entries.has(tokenHash))
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { session, storedAt: now, heard: this.heardNow() });
  }

  /** Forgets every session of the account (ALL_ACCOUNTS: every session). */
  revoke(accountId: string): void {
    this.generationCount++;
    if (accountId === ALL_ACCOUNTS) {
      this.entries.clear();
      return;
    }
    // Revocations are rare and the map is bounded: a scan beats keeping a second index in sync.
    for (const [tokenHash, entry] of this.entries)
      if (entry.session.accountId === accountId) this.entries.delete(tokenHash);
  }
}
