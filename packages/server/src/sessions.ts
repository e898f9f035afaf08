/**
 * Sessions: 32 random bytes given to the client once, stored only as SHA-256; one device each;
 * sliding expiry; revoked on sign-out and when their device is removed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { SESSION_COOKIE } from '@tessera/protocol';
import { randomB64u, sha256Hex } from './bytes.js';
import { DEFAULTS } from './config.js';
import type { ServerContext, Session } from './context.js';
import type { MainDatabase } from './db/tables.js';
import { HttpError } from './http-error.js';
import type { CachedSession } from './session-cache.js';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Creates a session for the device and returns its token (the only time it exists in clear). */
export async function createSession(
  db: Kysely<MainDatabase> | Transaction<MainDatabase>,
  accountId: string,
  deviceId: string,
  now = Date.now(),
): Promise<string> {
  const token = randomB64u(32);
  await db
    .insertInto('sessions')
    .values({
      token_hash: sha256Hex(token),
      account_id: accountId,
      device_id: deviceId,
      created_at: now,
      expires_at: now + DEFAULTS.sessionTtlMs,
      last_used_at: now,
    })
    .execute();
  return token;
}

/**
 * The web app's cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS. Written as
 * the header itself (byte for byte what @fastify/cookie wrote): a cookie plugin ran two hooks on
 * every request for the three routes that set or clear this one cookie (bench/FINDINGS.md).
 */
export function sessionCookieHeader(token: string, secure: boolean): string {
  const attributes = secure ? 'HttpOnly; Secure; SameSite=Strict' : 'HttpOnly; SameSite=Strict';
  return `${SESSION_COOKIE}=${token}; Max-Age=${Math.floor(DEFAULTS.sessionTtlMs / 1000)}; Path=/; ${attributes}`;
}

/** The header that removes the cookie (empty value, expired). */
export function clearedSessionCookieHeader(secure: boolean): string {
  const attributes = secure ? 'HttpOnly; Secure; SameSite=Strict' : 'HttpOnly; SameSite=Strict';
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${attributes}`;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.header('set-cookie', sessionCookieHeader(token, request.protocol === 'https'));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', clearedSessionCookieHeader(request.protocol === 'https'));
}

/**
 * The session cookie's value in a Cookie header, read only by requests that authenticate: the
 * first `tessera_session` pair wins, name and value trimmed, percent-decoded when it decodes (as
 * the `cookie` package parses); undefined when there is none.
 */
export function sessionCookieValue(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (!value.includes('%')) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

function tokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m || !TOKEN.test(m[1]!))
      throw new HttpError(401, 'unauthorized', 'The Authorization header must be "Bearer <session token>".');
    return m[1]!;
  }
  const cookie = sessionCookieValue(request.headers.cookie);
  if (cookie !== undefined) return TOKEN.test(cookie) ? cookie : null;
  return null;
}

/** Resolves the caller's session; 401 without a live one, 403 when `trusted` is needed and the device is pending. */
export async function authenticate(
  ctx: ServerContext,
  request: FastifyRequest,
  need: 'pending' | 'trusted',
): Promise<Session> {
  const token = tokenOf(request);
  if (!token) throw new HttpError(401, 'unauthorized', 'Sign in first: this request needs a session.');
  const tokenHash = sha256Hex(token);
  const now = ctx.clock();
  const session = ctx.sessionCache.get(tokenHash, now) ?? (await lookUpSession(ctx, tokenHash, now));
  if (session && session.status === 'removed' && session.expiresAt > now) {
    // Only an evicted join request keeps sessions on a removed device (circle.ts deletes the
    // sessions of a removed trusted device): docs/PROTOCOL.md §10.
    throw new HttpError(
      401,
      'join-removed',
      'This request to join was removed by a trusted device; sign in again to ask anew.',
    );
  }
  if (session && now - session.createdAt >= ctx.sessionAbsoluteLifetimeMs) {
    // However often it slid, a session ends this long after sign-in (PROTOCOL §10.3).
    throw new HttpError(
      401,
      'session-expired',
      'Signed out: this session reached its maximum lifetime; sign in again.',
    );
  }
  if (!session || session.expiresAt <= now || session.status === 'removed') {
    throw new HttpError(401, 'unauthorized', 'This session has expired or was revoked; sign in again.');
  }
  if (need === 'trusted' && session.status !== 'trusted') {
    throw new HttpError(
      403,
      'forbidden',
      'This device is not trusted yet: approve it from a trusted device or restore with the PIN or recovery key.',
    );
  }
  if (now - session.lastUsedAt >= DEFAULTS.sessionTouchIntervalMs) {
    // At most hourly per session: sliding expiry and the device's last-seen time cost no write
    // on ordinary requests. The cached copy moves with them so other requests don't touch again.
    session.lastUsedAt = now;
    session.expiresAt = now + DEFAULTS.sessionTtlMs;
    await ctx.db
      .updateTable('sessions')
      .set({ last_used_at: now, expires_at: session.expiresAt })
      .where('token_hash', '=', tokenHash)
      .execute();
    await ctx.db
      .updateTable('devices')
      .set({ last_seen_at: now })
      .where('id', '=', session.deviceId)
      .execute();
  }
  return {
    tokenHash,
    accountId: session.accountId,
    deviceId: session.deviceId,
    deviceStatus: session.status,
  };
}

/** The session and its device's status from the database, stored in the cache (`SessionCache`). */
async function lookUpSession(
  ctx: ServerContext,
  tokenHash: string,
  now: number,
): Promise<CachedSession | undefined> {
  const generation = ctx.sessionCache.generation;
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('devices', 'devices.id', 'sessions.device_id')
    .select([
      'sessions.account_id',
      'sessions.device_id',
      'sessions.expires_at',
      'sessions.last_used_at',
      'sessions.created_at',
      'devices.status',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const session: CachedSession = {
    accountId: row.account_id,
    deviceId: row.device_id,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdAt: Number(row.created_at),
    status: row.status,
  };
  if (session.status !== 'removed') ctx.sessionCache.store(tokenHash, session, generation, now);
  return session;
}
