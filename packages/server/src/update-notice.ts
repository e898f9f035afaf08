/**
 * The operational notice "a device must update": when a device with a live session is refused as
 * outdated (426), every device of the account is told once per device and minimum version, so the
 * user learns which one to update even if that device is rarely opened.
 */
import type { FastifyRequest } from 'fastify';
import { addNotice, lockAccount } from './accounts.js';
import type { ServerContext } from './context.js';
import { authenticate } from './sessions.js';

export async function noticeOutdatedDevice(
  ctx: ServerContext,
  request: FastifyRequest,
  client: { client: string; version: string },
): Promise<void> {
  if (!request.headers.authorization && !request.headers.cookie) return;
  let session;
  try {
    session = await authenticate(ctx, request, 'pending');
  } catch {
    return; // no live session: nobody to tell
  }
  const { accountId, deviceId } = session;
  const told = await ctx.db.transaction().execute(async (trx) => {
    await lockAccount(trx, accountId);
    const earlier = await trx
      .selectFrom('notices')
      .select('data')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'server')
      .orderBy('id', 'desc')
      .limit(50)
      .execute();
    const seen = earlier.some((n) => {
      const data = JSON.parse(n.data) as { deviceId?: string; minimumVersion?: string };
      return data.deviceId === deviceId && data.minimumVersion === ctx.minClientVersion;
    });
    if (seen) return false;
    const device = await trx
      .selectFrom('devices')
      .select('name')
      .where('id', '=', deviceId)
      .executeTakeFirst();
    await addNotice(trx, accountId, 'server', {
      reason: 'update-required',
      deviceId,
      minimumVersion: ctx.minClientVersion,
      message: `"${device?.name ?? deviceId}" runs ${client.client} ${client.version}; update it to ${ctx.minClientVersion} or later to keep it in sync.`,
    });
    return true;
  });
  if (told) await ctx.bus.publish([accountId]);
}
