/** The escrow routes: PIN registration, PIN proof (rate-limited, counted), status (docs/PROTOCOL.md §4). */
import type { FastifyInstance } from 'fastify';
import { addNotice, lockAccount } from '../accounts.js';
import { fromB64u } from '../bytes.js';
import type { ServerContext } from '../context.js';
import type { EscrowEvents } from '../escrow/escrow.js';
import { HttpError } from '../http-error.js';
import { recoveryKeys } from '../credential-limits.js';
import { consume, release } from '../rate-limit.js';
import { handle } from '../route.js';

const destroyedError = () =>
  new HttpError(
    410,
    'escrow-destroyed',
    'Too many wrong PINs: the PIN escrow was destroyed. Use the recovery key or a trusted device.',
  );
const notEnabled = () => new HttpError(404, 'escrow-not-enabled', 'No keychain PIN is set for this account.');

/** Tells every device of the account about failed attempts and destruction (notices + feed). */
export async function reportEscrowEvents(
  ctx: ServerContext,
  accountId: string,
  events: EscrowEvents,
): Promise<void> {
  if (events.failed.length === 0 && !events.destroyed) return;
  ctx.metrics.escrowAttempts.inc({ outcome: 'failed' }, events.failed.length);
  if (events.destroyed) ctx.metrics.escrowAttempts.inc({ outcome: 'destroyed' });
  ctx.metrics.restores.inc({ path: 'pin', outcome: 'failure' }, events.failed.length);
  const done = await ctx.db.transaction().execute(async (trx) => {
    const exists = await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!exists) return false;
    await lockAccount(trx, accountId);
    for (const attemptsLeft of events.failed)
      await addNotice(trx, accountId, 'pin-attempt-failed', { attemptsLeft });
    if (events.destroyed) await addNotice(trx, accountId, 'escrow-destroyed', {});
    return true;
  });
  if (done) await ctx.bus.publish([accountId]);
}

export function escrowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'escrowRegisterStart', async ({ session, body }) => ({
    registrationResponse: ctx.escrow.registrationResponse(session.accountId, body.registrationRequest),
  }));

  handle(app, ctx, 'escrowRegisterFinish', async ({ session, body }) => {
    await ctx.escrow.register(session.accountId, body.registrationRecord, fromB64u(body.escrowKey));
  });

  handle(app, ctx, 'escrowLoginStart', async ({ session, body, request }) => {
    const keys = await recoveryKeys({ ctx, accountId: session.accountId, ip: request.ip });
    try {
      await consume(ctx.db, keys);
    } catch (err) {
      ctx.metrics.escrowAttempts.inc({ outcome: 'refused' });
      throw err;
    }
    const result = await ctx.escrow.loginStart(session.accountId, body.startLoginRequest);
    if (result.kind === 'not-enabled') throw notEnabled();
    await reportEscrowEvents(ctx, session.accountId, result.events);
    if (result.kind === 'destroyed') throw destroyedError();
    ctx.metrics.escrowAttempts.inc({ outcome: 'started' });
    return {
      attemptId: result.attemptId,
      loginResponse: result.loginResponse,
      attemptsLeft: result.attemptsLeft,
    };
  });

  handle(app, ctx, 'escrowLoginFinish', async ({ session, body, request }) => {
    const result = await ctx.escrow.loginFinish(session.accountId, body.attemptId, body.finishLoginRequest);
    switch (result.kind) {
      case 'not-enabled':
        throw notEnabled();
      case 'destroyed':
        throw destroyedError();
      case 'expired':
        await reportEscrowEvents(ctx, session.accountId, result.events);
        throw new HttpError(
          410,
          'attempt-expired',
          'This PIN attempt is over (too old or already used); start again.',
        );
      case 'incorrect':
        await reportEscrowEvents(ctx, session.accountId, result.events);
        throw new HttpError(401, 'pin-incorrect', 'The PIN proof failed.', {
          attemptsLeft: result.events.failed[0] ?? 0,
        });
      case 'released':
        await release(
          ctx.db,
          (await recoveryKeys({ ctx, accountId: session.accountId, ip: request.ip })).map((k) => k.key),
        );
        ctx.metrics.escrowAttempts.inc({ outcome: 'succeeded' });
        return { sealedEscrowKey: result.sealedEscrowKey };
    }
  });

  // Realms know no accounts: the device that asked them tells the account (a self-reported notice,
  // limited like PIN attempts so it cannot flood the devices).
  handle(app, ctx, 'realmPinReport', async ({ session, body, request }) => {
    await consume(ctx.db, await recoveryKeys({ ctx, accountId: session.accountId, ip: request.ip }));
    await reportEscrowEvents(ctx, session.accountId, {
      failed: body.outcome === 'wrong' ? [body.attemptsLeft] : [],
      destroyed: body.outcome === 'destroyed' || body.attemptsLeft === 0,
    });
  });

  handle(app, ctx, 'escrowStatus', async ({ session }) => ctx.escrow.status(session.accountId));
}
