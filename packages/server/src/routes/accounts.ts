/** Meta, OPAQUE registration and sign-in, sign-out and account deletion. */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import type { FastifyInstance } from 'fastify';
import {
  ESCROW_RECIPIENT,
  LABELS,
  PROTOCOL_VERSION,
  RECOVERY_RECIPIENT,
  type NewDevice,
  type Wrap,
} from '@tessera/protocol';
import { addNotice, endSessionsAndEvictPending, lockAccount } from '../accounts.js';
import { randomB64u } from '../bytes.js';
import { DEFAULTS } from '../config.js';
import type { ServerContext } from '../context.js';
import { isUniqueViolation } from '../db/errors.js';
import type { MainDatabase } from '../db/tables.js';
import { appendEvent } from '../events.js';
import { HttpError, badRequest, forbidden, notFound } from '../http-error.js';
import { verifySignature } from '../signatures.js';
import { accountLimitKey, recoveryKeysOf, signInKeys } from '../credential-limits.js';
import { consume, countHits, rateLimited, release } from '../rate-limit.js';
import { handle } from '../route.js';
import { checkRegistrationRecord, withClientMessage } from '../opaque-messages.js';
import { clearSessionCookie, createSession, setSessionCookie } from '../sessions.js';
import { readCircle, readWraps } from './circle.js';
import type { Insertable, Transaction } from 'kysely';

const emailTaken = () =>
  new HttpError(409, 'email-taken', 'An account with this email already exists; sign in instead.');

/** Emails are compared case-insensitively; the normalised form is the OPAQUE user identifier. */
const normalizeEmail = (email: string) => email.trim().toLowerCase();

async function insertDevice(
  trx: Transaction<MainDatabase>,
  accountId: string,
  device: NewDevice,
  now: number,
): Promise<string> {
  const id = randomUUID();
  const row: Insertable<MainDatabase['devices']> = {
    id,
    account_id: accountId,
    name: device.name,
    enc_pub: device.encPub,
    sign_pub: device.signPub,
    nonce: device.nonce,
    status: 'pending',
    created_at: now,
    last_seen_at: now,
  };
  await trx.insertInto('devices').values(row).execute();
  return id;
}

export function accountRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'meta', async () => ({
    serverVersion: ctx.serverVersion,
    protocolVersion: PROTOCOL_VERSION,
    minClientVersion: ctx.minClientVersion,
    opaquePublicKey: ctx.opaquePublicKey,
    escrowOpaquePublicKey: ctx.escrow.publicKey(),
    escrowRealms: ctx.escrowRealms,
    signInFold: true,
    time: Date.now(),
  }));

  handle(app, ctx, 'registerStart', async ({ body, request }) => {
    const email = normalizeEmail(body.email);
    // The OPRF key of an email is fixed (derived from the server setup and the email), so answering
    // a registration for an existing account would evaluate its password's OPRF: with one sign-in
    // start, each call would test one password guess. So registration counts against the sign-in
    // limits, and an existing email is refused before any evaluation. That says the email is taken,
    // which a sign-up must say anyway (register/finish always did); see SECURITY.md.
    await consume(ctx.db, signInKeys({ ctx, ip: request.ip, email }));
    const taken = await ctx.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    if (taken) throw emailTaken();
    const { registrationResponse } = withClientMessage('registrationRequest', () =>
      opaque.server.createRegistrationResponse({
        serverSetup: ctx.opaqueServerSetup,
        userIdentifier: email,
        registrationRequest: body.registrationRequest,
      }),
    );
    return { registrationResponse };
  });

  handle(app, ctx, 'registerFinish', async ({ body, request, reply }) => {
    const email = normalizeEmail(body.email);
    checkRegistrationRecord(ctx.opaqueServerSetup, email, body.registrationRecord);
    const now = Date.now();
    const accountId = randomUUID();
    try {
      const { deviceId, session } = await ctx.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('accounts')
          .values({
            id: accountId,
            email,
            opaque_record: body.registrationRecord,
            created_at: now,
            item_head: 0,
            circle_seq: null,
            circle_hash: null,
            circle_epoch: null,
          })
          .execute();
        const deviceId = await insertDevice(trx, accountId, body.device, now);
        return { deviceId, session: await createSession(trx, accountId, deviceId, now) };
      });
      // A completed sign-up is not a failed attempt: give back the hit of its register/start.
      await release(
        ctx.db,
        signInKeys({ ctx, ip: request.ip, email }).map((k) => k.key),
      );
      setSessionCookie(request, reply, session);
      return { accountId, deviceId, session };
    } catch (err) {
      if (isUniqueViolation(err)) throw emailTaken();
      throw err;
    }
  });

  // One write transaction for the attempt: the rate-limit hit and the stored login state commit
  // together (SQLite's synchronous=FULL pays an fsync per commit; issue 14). The hit is still
  // counted before the OPAQUE evaluation, and kept when the client's message is malformed.
  handle(app, ctx, 'loginStart', async ({ body, request }) => {
    const email = normalizeEmail(body.email);
    const keys = signInKeys({ ctx, ip: request.ip, email });
    const loginId = randomB64u(16);
    const outcome = await ctx.db.transaction().execute(async (trx) => {
      const wait = await countHits(trx, keys);
      if (wait > 0) return { refused: rateLimited(wait) };
      const account = await trx
        .selectFrom('accounts')
        .select(['id', 'opaque_record'])
        .where('email', '=', email)
        .executeTakeFirst();
      let started: ReturnType<typeof opaque.server.startLogin>;
      try {
        // With no record, serenity answers with a fake one derived from the setup and the identifier, so
        // an unknown email looks exactly like a known one with a wrong password (RFC 9807 §10.9).
        started = withClientMessage('startLoginRequest', () =>
          opaque.server.startLogin({
            serverSetup: ctx.opaqueServerSetup,
            userIdentifier: email,
            registrationRecord: account?.opaque_record ?? null,
            startLoginRequest: body.startLoginRequest,
          }),
        );
      } catch (err) {
        return { refused: err };
      }
      await trx
        .insertInto('logins')
        .values({
          id: loginId,
          account_id: account?.id ?? null,
          server_state: started.serverLoginState,
          rate_keys: JSON.stringify(keys.map((k) => k.key)),
          expires_at: Date.now() + DEFAULTS.loginTtlMs,
        })
        .execute();
      return { loginResponse: started.loginResponse };
    });
    if ('refused' in outcome) {
      if (outcome.refused instanceof HttpError && outcome.refused.status === 429)
        ctx.metrics.signIns.inc({ outcome: 'rate-limited' });
      throw outcome.refused;
    }
    ctx.metrics.signIns.inc({ outcome: 'started' });
    return { loginId, loginResponse: outcome.loginResponse };
  });

  // One write transaction (issue 14): the attempt's single use, the proof, the rate-limit hits given
  // back, the device and session, and (with `include.wraps`) the recovery-wrap fetch's hit. A refusal
  // is returned from it, not thrown, so the attempt's deletion commits whatever the outcome; an
  // unexpected error rolls it back and deletes it apart.
  handle(app, ctx, 'loginFinish', async ({ body, request, reply }) => {
    if ((body.device === undefined) === (body.deviceId === undefined)) {
      throw badRequest('Send exactly one of device (to join as a new device) or deviceId (to resume one).');
    }
    let outcome:
      | { refused: HttpError }
      | {
          accountId: string;
          deviceId: string;
          deviceStatus: 'pending' | 'trusted' | 'removed';
          session: string;
          wraps?: { wraps: Wrap[] };
        };
    const include = body.include ?? {};
    try {
      outcome = await ctx.db.transaction().execute(async (trx) => {
        // Single use: the attempt is gone whatever the outcome.
        const login = await trx
          .deleteFrom('logins')
          .where('id', '=', body.loginId)
          .returningAll()
          .executeTakeFirst();
        if (!login || login.expires_at < Date.now()) {
          return {
            refused: new HttpError(
              401,
              'login-expired',
              'This sign-in attempt expired or was already used; start again.',
            ),
          };
        }
        let proven: boolean;
        try {
          opaque.server.finishLogin({
            serverLoginState: login.server_state,
            finishLoginRequest: body.finishLoginRequest,
          });
          proven = true;
        } catch {
          proven = false;
        }
        // An unknown email (no account) always fails, like a wrong password.
        if (!proven || !login.account_id) {
          ctx.metrics.signIns.inc({ outcome: 'failed' });
          return { refused: new HttpError(401, 'invalid-credentials', 'The email or password is wrong.') };
        }
        const accountId = login.account_id;
        const now = Date.now();
        const account = await lockAccount(trx, accountId);
        await release<MainDatabase>(trx, JSON.parse(login.rate_keys) as string[]);
        let deviceId: string;
        let deviceStatus: 'pending' | 'trusted' | 'removed';
        if (body.deviceId !== undefined) {
          const device = await trx
            .selectFrom('devices')
            .select(['id', 'status', 'sign_pub'])
            .where('id', '=', body.deviceId)
            .where('account_id', '=', accountId)
            .executeTakeFirst();
          if (!device) return { refused: notFound('No such device in this account; join as a new device.') };
          if (device.status === 'removed')
            return {
              refused: new HttpError(
                403,
                'device-removed',
                'This device was removed from the keychain; join again as a new device.',
              ),
            };
          // The password alone must not yield a session of an existing (possibly trusted) device.
          const proven =
            body.deviceProof !== undefined &&
            verifySignature({
              publicKey: device.sign_pub,
              message: `${LABELS.resume}|${body.loginId}|${device.id}`,
              signature: body.deviceProof,
            });
          if (!proven)
            return {
              refused: forbidden('Resuming a device needs deviceProof, its signature of this sign-in.'),
            };
          deviceId = device.id;
          deviceStatus = device.status;
          await trx.updateTable('devices').set({ last_seen_at: now }).where('id', '=', deviceId).execute();
        } else {
          deviceId = await insertDevice(trx, accountId, body.device!, now);
          deviceStatus = 'pending';
          await addNotice(
            trx,
            accountId,
            'device-join-requested',
            { deviceId, name: body.device!.name },
            now,
          );
          await appendEvent(trx, accountId, 'devices', {});
        }
        const session = await createSession(trx, accountId, deviceId, now);
        // §5 "Sign-in answers folded": the wraps `GET /v1/keys` would answer, counted against the
        // same limits as that request, in this commit. A limit that refuses leaves them out (nothing
        // counted); the client then asks apart, and is refused there as before.
        let wraps: { wraps: Wrap[] } | undefined;
        if (include.wraps === RECOVERY_RECIPIENT || include.wraps === ESCROW_RECIPIENT) {
          const keys = recoveryKeysOf({ ctx, ip: request.ip, accountId, email: account.email });
          if ((await countHits(trx, keys)) === 0) wraps = await readWraps(trx, accountId, include.wraps);
        }
        return { accountId, deviceId, deviceStatus, session, ...(wraps ? { wraps } : {}) };
      });
    } catch (err) {
      await ctx.db
        .deleteFrom('logins')
        .where('id', '=', body.loginId)
        .execute()
        .catch(() => undefined);
      throw err;
    }
    if ('refused' in outcome) throw outcome.refused;
    // The circle, read as `GET /v1/circle` reads it for this session; left out when that fails.
    const [, circle] = await Promise.all([
      body.device !== undefined ? ctx.bus.publish([outcome.accountId]) : null,
      include.circle ? readCircle(ctx.db, outcome.accountId, -1).catch(() => undefined) : undefined,
    ]);
    ctx.metrics.signIns.inc({ outcome: 'succeeded' });
    setSessionCookie(request, reply, outcome.session);
    return { ...outcome, ...(circle ? { circle } : {}) };
  });

  handle(app, ctx, 'logout', async ({ session, request, reply }) => {
    await ctx.db.deleteFrom('sessions').where('token_hash', '=', session.tokenHash).execute();
    await ctx.bus.revokeSessions(session.accountId);
    clearSessionCookie(request, reply);
  });

  // §10.4: a trusted device changes the password, proving the current one in the same exchange, so a
  // session token alone cannot take the account's sign-in over.
  handle(app, ctx, 'passwordStart', async ({ session, body, request }) => {
    const account = await ctx.db
      .selectFrom('accounts')
      .select(['email', 'opaque_record'])
      .where('id', '=', session.accountId)
      .executeTakeFirstOrThrow();
    const keys = signInKeys({ ctx, ip: request.ip, email: account.email });
    await consume(ctx.db, keys);
    const { serverLoginState, loginResponse } = withClientMessage('startLoginRequest', () =>
      opaque.server.startLogin({
        serverSetup: ctx.opaqueServerSetup,
        userIdentifier: account.email,
        registrationRecord: account.opaque_record,
        startLoginRequest: body.startLoginRequest,
      }),
    );
    const { registrationResponse } = withClientMessage('registrationRequest', () =>
      opaque.server.createRegistrationResponse({
        serverSetup: ctx.opaqueServerSetup,
        userIdentifier: account.email,
        registrationRequest: body.registrationRequest,
      }),
    );
    const loginId = randomB64u(16);
    await ctx.db
      .insertInto('logins')
      .values({
        id: loginId,
        account_id: session.accountId,
        server_state: serverLoginState,
        rate_keys: JSON.stringify(keys.map((k) => k.key)),
        expires_at: Date.now() + DEFAULTS.loginTtlMs,
      })
      .execute();
    return { loginId, loginResponse, registrationResponse };
  });

  handle(app, ctx, 'passwordFinish', async ({ session, body }) => {
    const { accountId } = session;
    const login = await ctx.db
      .deleteFrom('logins')
      .where('id', '=', body.loginId)
      .where('account_id', '=', accountId)
      .returningAll()
      .executeTakeFirst();
    if (!login || login.expires_at < Date.now()) {
      throw new HttpError(
        401,
        'login-expired',
        'This password change expired or was already used; start again.',
      );
    }
    try {
      opaque.server.finishLogin({
        serverLoginState: login.server_state,
        finishLoginRequest: body.finishLoginRequest,
      });
    } catch {
      throw new HttpError(
        401,
        'invalid-credentials',
        'The current password is wrong; the password was not changed.',
      );
    }
    await release(ctx.db, JSON.parse(login.rate_keys) as string[]);
    const now = Date.now();
    await ctx.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, accountId);
      checkRegistrationRecord(ctx.opaqueServerSetup, account.email, body.registrationRecord);
      await trx
        .updateTable('accounts')
        .set({ opaque_record: body.registrationRecord })
        .where('id', '=', accountId)
        .execute();
      // Pending devices joined with the old password: evicted, their sessions kept to be told so.
      const evicted = await endSessionsAndEvictPending(trx, accountId, { keepToken: session.tokenHash });
      await addNotice(trx, accountId, 'password-changed', { by: session.deviceId, evicted }, now);
      await appendEvent(trx, accountId, 'devices', {});
    });
    await ctx.bus.revokeSessions(accountId);
    await ctx.bus.publish([accountId]);
  });

  // §10.2: after a theft. Trusted devices sign in again with the password and their device key
  // (resume); pending devices are evicted and keep their session rows only to be told so.
  handle(app, ctx, 'lockAccount', async ({ session, request, reply }) => {
    const { accountId } = session;
    const now = Date.now();
    await ctx.db.transaction().execute(async (trx) => {
      await lockAccount(trx, accountId);
      const evicted = await endSessionsAndEvictPending(trx, accountId);
      await addNotice(trx, accountId, 'account-locked', { by: session.deviceId, evicted }, now);
      await appendEvent(trx, accountId, 'devices', {});
    });
    await ctx.bus.revokeSessions(accountId);
    await ctx.bus.publish([accountId]);
    clearSessionCookie(request, reply);
  });

  handle(app, ctx, 'deleteAccount', async ({ session, request, reply }) => {
    const { accountId } = session;
    // The escrow first: if the main delete then fails, the user retries and nothing testable is left.
    await ctx.escrow.deleteAccount(accountId);
    await ctx.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, accountId);
      for (const table of [
        'sessions',
        'logins',
        'wraps',
        'items',
        'circle_links',
        'notices',
        'events',
        'shares',
        'join_messages',
        'devices',
      ] as const) {
        await trx.deleteFrom(table).where('account_id', '=', accountId).execute();
      }
      await trx
        .deleteFrom('rate_limits')
        .where('key', 'in', [accountLimitKey(account.email), `recovery:account:${accountId}`])
        .execute();
      await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
    });
    await ctx.bus.revokeSessions(accountId);
    await ctx.bus.publish([accountId]);
    clearSessionCookie(request, reply);
  });
}
