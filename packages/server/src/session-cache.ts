/**
 * A short-lived, per-process cache of session lookups keyed by the token's SHA-256, so a busy
 * device's pulls cost one database query instead of two.
 *
 * The trade-off is bounded staleness, and revocation stays effective:
 * - this process forgets an account's sessions before a sign-out, device approval or removal, or
 *   account deletion answers (`EventBus.revokeSessions`), so the next request here sees the change;
 * - other processes forget them when the revocation's NOTIFY arrives (milliseconds); if that
 *   notification is lost (the LISTEN connection is down), an entry still lives at most `ttlMs`,
 *   and the bus forgets everything when it reconnects;
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
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every revocation: a lookup begun in an older generation is not stored. */
  private generationCount = 0;

  /** `ttlMs` 0 disables the cache; `maxEntries` bounds memory (oldest entries go first). */
  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  /** Read before the database lookup and pass to `store`. */
  get generation(): number {
    return this.generationCount;
  }

  get(tokenHash: string, now: number): CachedSession | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (now - entry.storedAt >= this.options.ttlMs) {
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
    this.entries.set(tokenHash, { session, storedAt: now });
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
