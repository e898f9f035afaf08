/**
 * Rate limits stored in the database, so every server process shares them. A hit is counted before
 * the work it guards (an OPAQUE client learns of a wrong password before the server does), and
 * `release` gives it back when the attempt succeeds.
 */
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { RateLimitRule } from './config.js';
import type { RateLimitsTable } from './db/tables.js';
import { HttpError } from './http-error.js';

/** Any database with the `rate_limits` table (the keychain's, a realm's). */
export interface RateLimitDatabase {
  rate_limits: RateLimitsTable;
}

export interface RateKey {
  key: string;
  rule: RateLimitRule;
}

/**
 * Counts one hit on every key, or none if any key refuses (then throws 429 with the longest wait).
 * Runs in one transaction; the first statement writes, so concurrent callers queue on the row lock.
 */
export async function consume<T extends RateLimitDatabase>(
  database: Kysely<T>,
  keys: RateKey[],
  now = Date.now(),
): Promise<void> {
  const db = database as unknown as Kysely<RateLimitDatabase>;
  const waitMs = await db.transaction().execute((trx) => countHits(trx, keys, now));
  if (waitMs > 0) throw rateLimited(waitMs);
}

/**
 * `consume`'s work inside the caller's transaction (a sign-in counts its hit in the transaction that
 * stores the attempt: one commit, not two). Returns the wait in ms when a key refuses (nothing is
 * counted then; throw `rateLimited(wait)` after the transaction), else 0 with the hits counted.
 */
export async function countHits<T extends RateLimitDatabase>(
  transaction: Transaction<T>,
  keys: RateKey[],
  now = Date.now(),
): Promise<number> {
  const trx = transaction as unknown as Transaction<RateLimitDatabase>;
  const rows = [];
  for (const { key, rule } of keys) {
    await trx
      .insertInto('rate_limits')
      .values({ key, window_start: now, count: 0, blocked_until: 0 })
      .onConflict((oc) => oc.column('key').doUpdateSet({ count: sql`rate_limits.count` }))
      .execute();
    const row = await trx
      .selectFrom('rate_limits')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (now - row.window_start >= rule.windowMs)
      Object.assign(row, { window_start: now, count: 0, blocked_until: 0 });
    rows.push({ row, rule });
  }
  let wait = 0;
  for (const { row, rule } of rows) {
    if (row.blocked_until > now) wait = Math.max(wait, row.blocked_until - now);
    if (row.count >= rule.limit) wait = Math.max(wait, row.window_start + rule.windowMs - now);
  }
  if (wait > 0) return wait;
  for (const { row, rule } of rows) {
    const count = row.count + 1;
    const over = count - rule.freeAttempts;
    const blocked =
      over > 0 ? now + Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.min(over - 1, 30)) : 0;
    await trx
      .updateTable('rate_limits')
      .set({ window_start: row.window_start, count, blocked_until: blocked })
      .where('key', '=', row.key)
      .execute();
  }
  return 0;
}

/** The 429 of a refused hit, `waitMs` from now. */
export function rateLimited(waitMs: number): HttpError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(429, 'rate-limited', `Too many attempts; try again in ${retryAfter} seconds.`, {
    retryAfter,
  });
}

/** Gives back one hit on each key (a successful attempt is not a failure) and lifts any back-off. */
export async function release<T extends RateLimitDatabase>(
  database: Kysely<T>,
  keys: string[],
): Promise<void> {
  const db = database as unknown as Kysely<RateLimitDatabase>;
  if (keys.length === 0) return;
  await db
    .updateTable('rate_limits')
    .set({ count: sql`CASE WHEN count > 0 THEN count - 1 ELSE 0 END`, blocked_until: 0 })
    .where('key', 'in', keys)
    .execute();
}

/** The per-address request limit of a server's HTTP face (keychain server and realm alike). */
export async function registerHttpRateLimit(
  app: FastifyInstance,
  limit: { max: number; windowMs: number },
): Promise<void> {
  const { default: rateLimit } = await import('@fastify/rate-limit');
  await app.register(rateLimit, {
    global: true,
    // The web app's files and icons are cheap reads a page makes dozens of: counted, they spent the
    // budget of every browser behind one address. The limit guards the API.
    allowList: (request) => isStaticRead(request.method, request.url),
    max: limit.max,
    timeWindow: limit.windowMs,
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      retryAfter: Math.ceil(context.ttl / 1000),
      message: `Too many requests from this address; try again in ${Math.ceil(context.ttl / 1000)} seconds.`,
    }),
  });
}

/** A GET or HEAD outside the API (`/v1`, and the embedded realm's `/realm/`): a static file. */
export function isStaticRead(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return !(url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?') || url.startsWith('/realm/'));
}
