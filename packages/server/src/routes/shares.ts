/**
 * Time-limited code links (docs/PROTOCOL.md §9): the server keeps the sealed codes of a link until its
 * window ends and hands them to whoever has the id. It cannot open them: the key is in the link's
 * fragment, which browsers never send.
 */
import type { FastifyInstance } from 'fastify';
import { LIMITS } from '@tessera/protocol';
import type { ServerContext } from '../context.js';
import { HttpError, notFound } from '../http-error.js';
import { consume } from '../rate-limit.js';
import { handle } from '../route.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const gone = () => new HttpError(410, 'share-expired', 'This code link has expired; ask for a new one.');

export function shareRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'sharePost', async ({ session, body }) => {
    const now = nowSeconds();
    if (body.expiresAt <= now || body.expiresAt > now + LIMITS.maxShareSeconds + 60) {
      throw new HttpError(
        422,
        'bad-request',
        `expiresAt must be in the next ${LIMITS.maxShareSeconds / 60} minutes.`,
      );
    }
    await ctx.db.transaction().execute(async (trx) => {
      const { open } = await trx
        .selectFrom('shares')
        .select((eb) => eb.fn.countAll<number>().as('open'))
        .where('account_id', '=', session.accountId)
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      if (Number(open) >= LIMITS.maxOpenShares)
        throw new HttpError(
          422,
          'too-many-items',
          `At most ${LIMITS.maxOpenShares} code links may be open at once; withdraw one or wait for one to expire.`,
        );
      await trx
        .insertInto('shares')
        .values({
          id: body.id,
          account_id: session.accountId,
          ciphertext: body.ciphertext,
          expires_at: body.expiresAt,
          created_at: Date.now(),
        })
        .execute();
    });
    return { id: body.id, expiresAt: body.expiresAt };
  });

  handle(app, ctx, 'shareGet', async ({ query, request }) => {
    // Ids are 128 random bits; the limit keeps a scan of the id space from costing the database much.
    await consume(ctx.db, [{ key: `share:address:${request.ip}`, rule: ctx.rateLimits.signInAddress }]);
    const row = await ctx.db
      .selectFrom('shares')
      .select(['ciphertext', 'expires_at'])
      .where('id', '=', query.id)
      .executeTakeFirst();
    if (!row) throw notFound('No such code link: it was withdrawn, or it expired and was deleted.');
    if (Number(row.expires_at) <= nowSeconds()) {
      await ctx.db.deleteFrom('shares').where('id', '=', query.id).execute();
      throw gone();
    }
    return { ciphertext: row.ciphertext, expiresAt: Number(row.expires_at) };
  });

  handle(app, ctx, 'shareDelete', async ({ session, query }) => {
    await ctx.db
      .deleteFrom('shares')
      .where('id', '=', query.id)
      .where('account_id', '=', session.accountId)
      .execute();
  });
}
