/** Notices: list, and the one kind a client posts itself (backup-mismatch). */
import type { FastifyInstance } from 'fastify';
import { LIMITS, canon } from '@tessera/protocol';
import { addNotice, lockAccount, noticeFromRow } from '../accounts.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { handle } from '../route.js';

export function noticeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'notices', async ({ session, query }) => {
    // A device not yet approved gets no notices of the keychain it is asking to join (issue 18).
    if (session.deviceStatus !== 'trusted') return { notices: [] };
    const rows = await ctx.db
      .selectFrom('notices')
      .select(['id', 'kind', 'data', 'created_at'])
      .where('account_id', '=', session.accountId)
      .where('id', '>', query.since ?? 0)
      .orderBy('id')
      .limit(LIMITS.maxNoticesPerPage)
      .execute();
    return { notices: rows.map(noticeFromRow) };
  });

  handle(app, ctx, 'noticePost', async ({ session, body }) => {
    if (new TextEncoder().encode(canon(body.data)).length > LIMITS.maxNoticeDataBytes) {
      throw new HttpError(413, 'too-large', `Notice data may be at most ${LIMITS.maxNoticeDataBytes} bytes.`);
    }
    const notice = await ctx.db.transaction().execute(async (trx) => {
      await lockAccount(trx, session.accountId);
      return addNotice(trx, session.accountId, body.kind, { ...body.data, deviceId: session.deviceId });
    });
    await ctx.bus.publish([session.accountId]);
    return { notice };
  });
}
