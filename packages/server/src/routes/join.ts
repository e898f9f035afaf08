/**
 * The approval relay of docs/PROTOCOL.md §1.3: the pending device and a trusted device exchange CPace
 * messages through the server, which stores them as opaque strings (size-capped by the schema), one
 * write per slot, for as long as the join request may be approved. A `fail` slot ends the attempt:
 * nothing more is accepted for that device, and the circle refuses to add it by approval.
 *
 * Reads may wait for news (long polling): with `wait` and `seen`, the answer is held until the attempt
 * no longer has `seen` slots, the device's status changes, the wait (at most JOIN_WAIT_MAX_MS) ends,
 * the caller goes or the server shuts down. Writes wake the waiters through the event bus, so a slot
 * written by another process (PostgreSQL NOTIFY) wakes them as one written here does.
 */
import type { FastifyInstance } from 'fastify';
import { JOIN_REQUEST_TTL_MS, JOIN_WAIT_MAX_MS, type JoinSlot } from '@tessera/protocol';
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

/**
 * Reads that may wait at once per account in one process; a read beyond them answers at once, which
 * its client treats like any answer with nothing new (it asks again after its short poll interval).
 */
export const JOIN_WAITERS_PER_ACCOUNT = 8;

function mayAccess(session: Session, deviceId: string, writer: 'self' | 'trusted' | 'either'): boolean {
  const self = session.deviceId === deviceId;
  const trusted = session.deviceStatus === 'trusted';
  return writer === 'self' ? self : writer === 'trusted' ? trusted : self || trusted;
}

export function joinRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  options: { waitMaxMs?: number } = {},
): void {
  const waitMaxMs = options.waitMaxMs ?? JOIN_WAIT_MAX_MS;
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

  /** Ends every waiting read (each answers with what it has): on shutdown, so none holds the exit. */
  const endings = new Set<() => void>();
  const waiters = new Map<string, number>();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const end of [...endings]) end();
  });

  const readAttempt = async (accountId: string, deviceId: string) => {
    const [rows, device] = await Promise.all([
      ctx.db
        .selectFrom('join_messages')
        .select(['slot', 'body'])
        .where('account_id', '=', accountId)
        .where('device_id', '=', deviceId)
        .orderBy('created_at')
        .execute(),
      ctx.db
        .selectFrom('devices')
        .select('status')
        .where('id', '=', deviceId)
        .where('account_id', '=', accountId)
        .executeTakeFirst(),
    ]);
    return { rows, status: device?.status ?? null };
  };

  handle(app, ctx, 'joinMessages', async ({ session, query, reply }) => {
    if (!mayAccess(session, query.deviceId, 'either')) {
      throw forbidden('Only the joining device itself or a trusted device reads a join attempt.');
    }
    const { accountId } = session;
    const answer = ({ rows }: { rows: { slot: string; body: string }[] }) => ({
      messages: rows.map((r) => ({ slot: r.slot as JoinSlot, body: r.body })),
    });
    const waitMs = Math.min(query.wait ?? 0, waitMaxMs);
    const held = waiters.get(accountId) ?? 0;
    if (waitMs === 0 || query.seen === undefined || closing || held >= JOIN_WAITERS_PER_ACCOUNT) {
      return answer(await readAttempt(accountId, query.deviceId));
    }
    waiters.set(accountId, held + 1);
    ctx.metrics.joinWaiting.inc();
    let woken = false;
    let over = false;
    let resume = () => {};
    const wake = () => {
      woken = true;
      resume();
    };
    const end = () => {
      over = true;
      wake();
    };
    // Subscribed before the first read: a slot written between that read and a later subscription
    // would go unheard until the wait ends.
    const unsubscribe = ctx.bus.subscribe(accountId, wake);
    const timer = setTimeout(end, waitMs);
    endings.add(end);
    // The answer's 'close' before it is sent: the caller went.
    reply.raw.on('close', end);
    try {
      let current = await readAttempt(accountId, query.deviceId);
      const status = current.status;
      while (!over && current.rows.length === query.seen && current.status === status) {
        if (!woken) await new Promise<void>((resolve) => (resume = resolve));
        woken = false;
        // A wait that ended (time, caller, shutdown) answers with its last read: the caller looks again.
        if (over) break;
        current = await readAttempt(accountId, query.deviceId);
      }
      return answer(current);
    } finally {
      clearTimeout(timer);
      endings.delete(end);
      reply.raw.off('close', end);
      unsubscribe();
      ctx.metrics.joinWaiting.dec();
      const left = (waiters.get(accountId) ?? 1) - 1;
      if (left > 0) waiters.set(accountId, left);
      else waiters.delete(accountId);
    }
  });
}
