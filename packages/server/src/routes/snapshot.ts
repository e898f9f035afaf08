/**
 * The restore snapshot (docs/PROTOCOL.md §3.1): the whole vault's server copy sealed by a trusted
 * device in one AEAD, that a restoring device opens instead of every item. The server keeps one per
 * account, only for the circle's current epoch, and never lets a stale writer replace a newer one.
 */
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import { LIMITS } from '@tessera/protocol';
import { lockAccount } from '../accounts.js';
import type { ServerContext } from '../context.js';
import type { MainDatabase } from '../db/tables.js';
import { HttpError } from '../http-error.js';
import { handle } from '../route.js';

/** The PUT body may hold the largest snapshot and its JSON fields; a larger one is answered 413 by the route. */
const SNAPSHOT_BODY_LIMIT = 2 * LIMITS.maxSnapshotChars + 4096;

/** Forgets the account's snapshot: its epoch is no longer the circle's (a rotation, §7). Call after `lockAccount`. */
export async function dropSnapshot(trx: Transaction<MainDatabase>, accountId: string): Promise<void> {
  await trx.deleteFrom('snapshots').where('account_id', '=', accountId).execute();
  await trx.updateTable('accounts').set({ snapshot_head: 0 }).where('id', '=', accountId).execute();
}

export function snapshotRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(
    app,
    ctx,
    'snapshotPut',
    async ({ session, body }) => {
      const { epoch, head, ciphertext } = body;
      if (ciphertext.length > LIMITS.maxSnapshotChars) {
        throw new HttpError(
          413,
          'too-large',
          `A snapshot's ciphertext is at most ${LIMITS.maxSnapshotChars} characters (got ${ciphertext.length}).`,
        );
      }
      const accountId = session.accountId;
      await ctx.db.transaction().execute(async (trx) => {
        const account = await lockAccount(trx, accountId);
        const circle = account.circle_epoch ?? 0;
        if (epoch < circle) {
          throw new HttpError(
            409,
            'epoch-stale',
            `The snapshot is sealed under key epoch ${epoch}, older than the circle's (${circle}).`,
          );
        }
        if (epoch > circle)
          throw new HttpError(422, 'bad-request', `Epoch ${epoch} is ahead of the circle (${circle}).`);
        if (head > account.item_head) {
          throw new HttpError(
            422,
            'bad-request',
            `The snapshot's head ${head} is above the account's item head (${account.item_head}).`,
          );
        }
        const stored = await trx
          .selectFrom('snapshots')
          .select(['epoch', 'head'])
          .where('account_id', '=', accountId)
          .executeTakeFirst();
        // A snapshot of an older epoch is stale whatever its head (a rotation drops it anyway).
        if (stored && stored.epoch === circle && head < stored.head) {
          throw new HttpError(
            422,
            'bad-request',
            `A snapshot of a later head (${stored.head}) is already stored; this one (${head}) is older.`,
          );
        }
        const row = { epoch, head, ciphertext, device_id: session.deviceId, created_at: Date.now() };
        await trx
          .insertInto('snapshots')
          .values({ account_id: accountId, ...row })
          .onConflict((oc) => oc.column('account_id').doUpdateSet(row))
          .execute();
        await trx.updateTable('accounts').set({ snapshot_head: head }).where('id', '=', accountId).execute();
      });
    },
    { bodyLimit: SNAPSHOT_BODY_LIMIT },
  );

  handle(app, ctx, 'snapshot', async ({ session }) => {
    // One statement: the snapshot and the circle's epoch from one database snapshot.
    const row = await ctx.db
      .selectFrom('snapshots')
      .innerJoin('accounts', 'accounts.id', 'snapshots.account_id')
      .select(['snapshots.epoch', 'snapshots.head', 'snapshots.ciphertext', 'accounts.circle_epoch'])
      .where('snapshots.account_id', '=', session.accountId)
      .executeTakeFirst();
    // One of an older epoch than the circle's is never served: a removed device may hold its key
    // (the same rule as a pending device's pull, SECURITY.md "What a pending session reads").
    if (!row || row.epoch < (row.circle_epoch ?? 0))
      throw new HttpError(404, 'not-found', 'No restore snapshot is stored for the current key epoch.');
    return { epoch: row.epoch, head: row.head, ciphertext: row.ciphertext };
  });
}
