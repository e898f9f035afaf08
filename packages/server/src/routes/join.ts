/**
 * The approval relay of docs/PROTOCOL.md §1.3: the pending device and a trusted device exchange CPace
 * messages through the server, which stores them as opaque strings (size-capped by the schema), one
 * write per slot, for as long as the join request may be approved. A `fail` slot ends the attempt:
 * nothing more is accepted for that device, and the circle refuses to add it by approval.
 */
import type { FastifyInstance } from 'fastify';
import { JOIN_REQUEST_TTL_MS, type JoinSlot } from '@tessera/protocol';
import { lockAccount } from '../accounts.js';
import type { ServerContext, Session } from '../context.js';
import { isUniqueViolation } from '../db/errors.js';
import { appendEvent } from '../events.js';
import { HttpError, forbidden, notFound } from '../http-error.js';
import { handle } from '../route.js';

/** Who may write each slot: the pending device itself, a trusted device, or either. */
const WRITER: Record<JoinSlot, 'self' | 'trusted' | 'either'> = {
  a: 'self',
  'confirm-a': 'self',
  b: 'trusted',
  sealed: 'trusted',
  fail: 'either',
};

function mayAccess(session: Session, deviceId: string, writer: 'self' | 'trusted' | 'either'): boolean {
  const self = session.deviceId === deviceId;
  const trusted = session.deviceStatus === 'trusted';
  return writer === 'self' ? self : writer === 'trusted' ? trusted : self || trusted;
}

export function joinRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'joinMessagePost', async ({ session, body }) => {
    if (!mayAccess(session, body.deviceId, WRITER[body.slot])) {
      throw forbidden(
        WRITER[body.slot] === 'self'
          ? `Only the joining device writes slot "${body.slot}".`
          : `Only a trusted device writes slot "${body.slot}".`,
      );
    }
    const now = Date.now();
    await ctx.db.transaction().execute(async (trx) => {
      await lockAccount(trx, session.accountId);
      const device = await trx
        .selectFrom('devices')
        .select(['status', 'created_at'])
        .where('id', '=', body.deviceId)
        .where('account_id', '=', session.accountId)
        .executeTakeFirst();
      // The sealed delivery follows the add-device link, so its device is already trusted by then.
      const live = device?.status === 'pending' || (body.slot === 'sealed' && device?.status === 'trusted');
      if (!device || !live) throw notFound('No device of this account is waiting to join with this id.');
      if (now - device.created_at > JOIN_REQUEST_TTL_MS) {
        throw new HttpError(
          410,
          'join-request-expired',
          'This join request is older than 10 minutes; sign in again on the new device.',
        );
      }
      const failed = await trx
        .selectFrom('join_messages')
        .select('slot')
        .where('device_id', '=', body.deviceId)
        .where('slot', '=', 'fail')
        .executeTakeFirst();
      if (failed) {
        throw new HttpError(
          409,
          'join-failed',
          'This join attempt has ended (the code did not match); start again on the new device.',
        );
      }
      try {
        await trx
          .insertInto('join_messages')
          .values({
            device_id: body.deviceId,
            slot: body.slot,
            account_id: session.accountId,
            body: body.body,
            created_at: now,
          })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err))
          throw new HttpError(
            409,
            'join-slot-taken',
            `Slot "${body.slot}" of this join attempt was already written.`,
          );
        throw err;
      }
      await appendEvent(trx, session.accountId, 'devices', {});
    });
    await ctx.bus.publish([session.accountId]);
  });

  handle(app, ctx, 'joinMessages', async ({ session, query }) => {
    if (!mayAccess(session, query.deviceId, 'either')) {
      throw forbidden('Only the joining device itself or a trusted device reads a join attempt.');
    }
    const rows = await ctx.db
      .selectFrom('join_messages')
      .select(['slot', 'body'])
      .where('account_id', '=', session.accountId)
      .where('device_id', '=', query.deviceId)
      .orderBy('created_at')
      .execute();
    return { messages: rows.map((r) => ({ slot: r.slot as JoinSlot, body: r.body })) };
  });
}
