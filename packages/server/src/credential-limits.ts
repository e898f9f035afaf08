/**
 * The rate-limit keys of every route that touches a credential. Sign-in, registration, PIN proofs
 * and fetching the recovery, escrow or passkey wraps all count against the same per-account and
 * per-address sign-in limits, so an attacker cannot move to another route once one is exhausted;
 * recovery attempts also count against their own, tighter limits.
 */
import { sha256Hex } from './bytes.js';
import type { ServerContext } from './context.js';
import type { RateKey } from './rate-limit.js';

/** Per-account key of the credential limits: by email, so an unknown email is limited like a known one. */
export const accountLimitKey = (email: string) => `signin:account:${sha256Hex(email)}`;

/** Keys of a sign-in or registration attempt for the normalised `email` from address `ip`. */
export function signInKeys(options: { ctx: ServerContext; ip: string; email: string }): RateKey[] {
  const { ctx, ip, email } = options;
  return [
    { key: accountLimitKey(email), rule: ctx.rateLimits.signInAccount },
    { key: `signin:address:${ip}`, rule: ctx.rateLimits.signInAddress },
  ];
}

/**
 * Keys of a recovery attempt (a PIN proof, fetching the recovery, escrow or passkey wraps) by a
 * session of `accountId` from `ip`: the recovery limits plus the shared sign-in limits.
 */
export async function recoveryKeys(options: {
  ctx: ServerContext;
  ip: string;
  accountId: string;
}): Promise<RateKey[]> {
  const { ctx, accountId } = options;
  const account = await ctx.db
    .selectFrom('accounts')
    .select('email')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return recoveryKeysOf({ ...options, email: account?.email ?? null });
}

/** `recoveryKeys` with the account's email known (read in the caller's transaction). */
export function recoveryKeysOf(options: {
  ctx: ServerContext;
  ip: string;
  accountId: string;
  email: string | null;
}): RateKey[] {
  const { ctx, ip, accountId, email } = options;
  return [
    { key: `recovery:account:${accountId}`, rule: ctx.rateLimits.recoveryAccount },
    { key: `recovery:address:${ip}`, rule: ctx.rateLimits.recoveryAddress },
    ...(email !== null ? signInKeys({ ctx, ip, email }) : []),
  ];
}
