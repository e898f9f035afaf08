/**
 * Periodic housekeeping of each process: finalise expired escrow attempts (and tell devices), and
 * drop expired sign-ins, sessions, old events and stale rate-limit rows. Safe to run in every
 * process at once: each change is one conditional statement.
 */
import { JOIN_REQUEST_TTL_MS } from '@tessera/protocol';
import { DEFAULTS } from './config.js';
import type { ServerContext } from './context.js';
import { reportEscrowEvents } from './routes/escrow.js';

export async function runMaintenance(ctx: ServerContext, now = Date.now()): Promise<void> {
  const escrowEvents = await ctx.escrow.sweep(now);
  for (const [accountId, events] of escrowEvents) await reportEscrowEvents(ctx, accountId, events);
  await ctx.db.deleteFrom('logins').where('expires_at', '<', now).execute();
  await ctx.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  await ctx.db
    .deleteFrom('shares')
    .where('expires_at', '<=', Math.floor(now / 1000))
    .execute();
  // Approval messages live as long as their join request may be approved (§1.3).
  await ctx.db
    .deleteFrom('join_messages')
    .where('created_at', '<', now - JOIN_REQUEST_TTL_MS)
    .execute();
  await ctx.db
    .deleteFrom('events')
    .where('created_at', '<', now - DEFAULTS.eventRetentionMs)
    .execute();
  const longestWindow = Math.max(...Object.values(ctx.rateLimits).map((r) => r.windowMs + r.maxDelayMs));
  await ctx.db
    .deleteFrom('rate_limits')
    .where('window_start', '<', now - longestWindow)
    .execute();
}

/** Starts the timer; returns the function that stops it. */
export function startMaintenance(
  ctx: ServerContext,
  intervalMs: number = DEFAULTS.maintenanceIntervalMs,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runMaintenance(ctx)
      .catch((err) => ctx.log.warn({ err }, 'maintenance failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
