/** Items: paged pull since a version, and all-or-nothing pushes compared-and-swapped per item (§3, §4). */
import type { FastifyInstance } from 'fastify';
import type { CompiledQuery, InferResult, Kysely } from 'kysely';
import { LIMITS, type PushItem } from '@tessera/protocol';
import { DEFAULTS } from '../config.js';
import type { ServerContext } from '../context.js';
import type { MainDatabase } from '../db/tables.js';
import { appendEvent } from '../events.js';
import { HttpError } from '../http-error.js';
import type { ItemsPage } from '../item-tail.js';
import { refusal, type PushOutcome } from '../push-outcome.js';
import { pushOnPostgres } from '../push-postgres.js';
import { ReadCoalescer } from '../read-coalescer.js';
import { handle } from '../route.js';
import type { FeedHub } from './feed.js';

/**
 * A pending device (signed in with the password, not yet in the circle) may read the ciphertexts, so
 * that a restore pulls them while it joins (PROTOCOL §5 "Sync"), but never a copy sealed under an
 * epoch older than the circle's: a removed device holds those keys, and with the password alone it
 * could otherwise fetch what the removal has not yet re-encrypted (SECURITY.md "What a pending
 * session reads"). The whole page is refused (403) rather than filtered: a page with gaps would move
 * the reader's cursor past the items left out. The epoch is read after the page, so it is at least
 * the one current when the page was read.
 */
async function refuseOldEpochsToPending(ctx: ServerContext, accountId: string, page: ItemsPage) {
  if (page.items.length === 0) return;
  const account = await ctx.db
    .selectFrom('accounts')
    .select('circle_epoch')
    .where('id', '=', accountId)
    .executeTakeFirst();
  const circle = account?.circle_epoch ?? 0;
  if (page.items.some((item) => item.epoch < circle)) {
    throw new HttpError(
      403,
      'forbidden',
      'Some items are still sealed under an older key epoch; a device that is not trusted yet may pull them only once they are re-encrypted.',
    );
  }
}

/** Rows per multi-row statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 100;

/** Limits that need no database: 413/422 before any work. */
function checkPushShape(items: PushItem[]): void {
  if (items.length > LIMITS.maxItemsPerPush) {
    throw new HttpError(
      413,
      'too-large',
      `Push at most ${LIMITS.maxItemsPerPush} items at a time (got ${items.length}).`,
    );
  }
  const seen = new Set<string>();
  for (const item of items) {
    if (item.ciphertext.length > LIMITS.maxCiphertextChars) {
      throw new HttpError(
        413,
        'too-large',
        `Item ${item.id}: ciphertext is longer than ${LIMITS.maxCiphertextChars} characters.`,
      );
    }
    if (seen.has(item.id))
      throw new HttpError(422, 'bad-request', `Item ${item.id} appears twice in one push.`);
    seen.add(item.id);
  }
}

/**
 * The pull's one statement: the account's head and the page after `since`, from one snapshot.
 * Exported for bench/bare-peer.mjs, whose bare twin must send the same SQL.
 */
export function pullQuery(db: Kysely<MainDatabase>, since: number, accountId: string, limit: number) {
  return db
    .selectFrom('accounts')
    .leftJoin('items', (join) =>
      join.onRef('items.account_id', '=', 'accounts.id').on('items.version', '>', since),
    )
    .select([
      'accounts.item_head',
      'items.id',
      'items.version',
      'items.epoch',
      'items.ciphertext',
      'items.deleted',
    ])
    .where('accounts.id', '=', accountId)
    .orderBy('items.version')
    .limit(limit);
}

type PullRow = InferResult<ReturnType<typeof pullQuery>>[number];

/**
 * The pull compiled once: building and compiling the query each time was a tenth of a pull's CPU
 * (bench/FINDINGS.md). Only the parameters change per request; their order is checked here, once,
 * so a change to `pullQuery` that moves them fails at start rather than binding the wrong values.
 */
function compiledPull(db: Kysely<MainDatabase>) {
  const probe = [-7, 'probe-account', -9] as const;
  const compiled: CompiledQuery<PullRow> = pullQuery(db, ...probe).compile();
  if (compiled.parameters.length !== 3 || compiled.parameters.some((p, i) => p !== probe[i]))
    throw new Error('the pull query no longer takes (since, account, limit) in this order');
  return (on: Kysely<MainDatabase>, since: number, accountId: string, limit: number) =>
    on.executeQuery<PullRow>({ ...compiled, parameters: [since, accountId, limit] });
}

export function itemRoutes(app: FastifyInstance, ctx: ServerContext, hub: FeedHub): void {
  const pull = compiledPull(ctx.db);
  const pulls = new ReadCoalescer<ItemsPage>();
  handle(app, ctx, 'items', async ({ session, query }) => {
    const page = await readPage(session.accountId, query);
    if (session.deviceStatus !== 'trusted') await refuseOldEpochsToPending(ctx, session.accountId, page);
    return page;
  });

  async function readPage(accountId: string, query: { since?: number; limit?: number; atLeast?: number }) {
    const since = query.since ?? 0;
    const limit = query.limit ?? LIMITS.defaultPullLimit;
    // A client that says which head it must at least see can be answered from the account's recent
    // changes as announced here (item-tail.ts); without that hint (older clients) this process could
    // serve a head older than one the client got from another process's push, so it reads.
    if (query.atLeast !== undefined) {
      const page = hub.itemsFromTail(accountId, since, limit, query.atLeast);
      if (page) {
        ctx.metrics.pullsFromMemory.inc();
        return page;
      }
    }
    // The devices of an account pull the same page at once when it changes: requests that arrive
    // before the read starts share it (read-coalescer.ts says why that is never stale).
    const { result, joined } = pulls.run(`${accountId}\u0000${since}\u0000${limit}`, (started) =>
      ctx.db.connection().execute(async (conn) => {
        started();
        // One statement, so the head and the page come from one snapshot; the head is never below
        // a version in the page (a client refuses a head lower than a version it has seen).
        const { rows } = await pull(conn, since, accountId, limit + 1);
        const head = rows[0]?.item_head ?? 0;
        if (rows.length === 1 && rows[0]!.id === null) rows.length = 0;
        const more = rows.length > limit;
        const page = more ? rows.slice(0, limit) : rows;
        return {
          items: page.map((r) => ({
            id: r.id!,
            version: r.version!,
            epoch: r.epoch!,
            ciphertext: r.ciphertext!,
            deleted: r.deleted === 1,
          })),
          head,
          more,
        };
      }),
    );
    if (joined) ctx.metrics.pullsJoined.inc();
    return result;
  }

  handle(
    app,
    ctx,
    'push',
    async ({ session, body }) => {
      const { items } = body;
      const accountId = session.accountId;
      try {
        checkPushShape(items);
      } catch (err) {
        ctx.metrics.pushes.inc({ outcome: 'refused' });
        throw err;
      }
      const now = Date.now();
      const outcome =
        ctx.dialect === 'postgres'
          ? await pushOnPostgres({ db: ctx.db, accountId, items, now, maxLive: LIMITS.maxLiveItems })
          : await pushInTransaction(ctx.db, accountId, items, now);
      if (outcome.kind === 'conflict') {
        ctx.metrics.pushes.inc({ outcome: 'conflict' });
        ctx.metrics.conflicts.inc(outcome.conflicts.length);
        throw new HttpError(
          409,
          'conflict',
          'Some items changed on the server since their base version; pull, merge and retry.',
          {
            conflicts: outcome.conflicts,
          },
        );
      }
      if (outcome.kind !== 'ok') throw refusal(outcome);
      ctx.metrics.pushes.inc({ outcome: 'ok' });
      ctx.metrics.itemsPushed.inc(items.length);
      await ctx.bus.publish([accountId]);
      const first = outcome.head - items.length;
      return { versions: items.map((it, i) => ({ id: it.id, version: first + i + 1 })), head: outcome.head };
    },
    { bodyLimit: DEFAULTS.pushBodyLimit },
  );
}

/**
 * A push as a transaction of separate statements (SQLite, where a statement is an in-process call).
 * PostgreSQL runs the same rules in one stored-function call (push-postgres.ts).
 */
async function pushInTransaction(
  db: Kysely<MainDatabase>,
  accountId: string,
  items: PushItem[],
  now: number,
): Promise<PushOutcome> {
  return db
    .transaction()
    .execute(async (trx): Promise<PushOutcome> => {
      // Locks the account row and reserves this push's versions in one statement; a push that is
      // refused rolls back, reserving nothing.
      const account = await trx
        .updateTable('accounts')
        .set((eb) => ({ item_head: eb('item_head', '+', items.length) }))
        .where('id', '=', accountId)
        .returningAll()
        .executeTakeFirst();
      if (!account) throw new PushRefused({ kind: 'no-account' });
      const circle = account.circle_epoch;
      const tooNew = items.find((i) => i.epoch > (circle ?? 0));
      if (tooNew) throw new PushRefused({ kind: 'too-new', id: tooNew.id, epoch: tooNew.epoch, circle });
      // §7 monotonic epochs: after a rotation, nothing new is sealed under a key a removed device
      // may hold.
      const stale = items.find((i) => i.epoch < (circle ?? 0));
      if (stale) throw new PushRefused({ kind: 'stale', id: stale.id, epoch: stale.epoch, circle });
      const current = new Map<string, { version: number; deleted: number }>();
      for (let i = 0; i < items.length; i += CHUNK) {
        const ids = items.slice(i, i + CHUNK).map((it) => it.id);
        const rows = await trx
          .selectFrom('items')
          .select(['id', 'version', 'deleted'])
          .where('account_id', '=', accountId)
          .where('id', 'in', ids)
          .execute();
        for (const r of rows) current.set(r.id, r);
      }
      const conflicts = items
        .map((it) => ({ id: it.id, version: current.get(it.id)?.version ?? 0, base: it.baseVersion }))
        .filter((c) => c.version !== c.base)
        .map(({ id, version }) => ({ id, version }));
      if (conflicts.length > 0) throw new PushRefused({ kind: 'conflict', conflicts });
      let liveDelta = 0;
      for (const it of items) {
        const was = current.get(it.id);
        const wasLive = was !== undefined && was.deleted === 0;
        liveDelta += (it.deleted ? 0 : 1) - (wasLive ? 1 : 0);
      }
      if (liveDelta > 0) {
        const { live } = await trx
          .selectFrom('items')
          .select((eb) => eb.fn.countAll<number>().as('live'))
          .where('account_id', '=', accountId)
          .where('deleted', '=', 0)
          .executeTakeFirstOrThrow();
        if (Number(live) + liveDelta > LIMITS.maxLiveItems) throw new PushRefused({ kind: 'too-many' });
      }
      const first = account.item_head - items.length;
      const rows = items.map((it, i) => ({
        account_id: accountId,
        id: it.id,
        version: first + i + 1,
        epoch: it.epoch,
        ciphertext: it.ciphertext,
        deleted: it.deleted ? 1 : 0,
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('items')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['account_id', 'id']).doUpdateSet((eb) => ({
              version: eb.ref('excluded.version'),
              epoch: eb.ref('excluded.epoch'),
              ciphertext: eb.ref('excluded.ciphertext'),
              deleted: eb.ref('excluded.deleted'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      await appendEvent(trx, accountId, 'items', { head: account.item_head });
      return { kind: 'ok', head: account.item_head };
    })
    .catch((err: unknown) => {
      if (err instanceof PushRefused) return err.outcome;
      throw err;
    });
}

/** Thrown inside the push transaction so that a refused push rolls back its reserved versions. */
class PushRefused extends Error {
  constructor(readonly outcome: Exclude<PushOutcome, { kind: 'ok' }>) {
    super(`push refused: ${outcome.kind}`);
  }
}
