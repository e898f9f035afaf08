/**
 * Live updates: listens to the change feed and runs a sync round whenever another device changed
 * something (and once on every (re)connection, to catch up). Reconnects with backoff; stops on
 * errors that retrying cannot fix (a forged or rolled-back server, a removed device, update required).
 */
import { KeychainError, type KeychainErrorCode } from './errors.js';
import { readFeed } from './feed.js';
import type { Keychain } from './keychain.js';
import { noteHeardItemHead, syncRound, type SyncResult } from './sync.js';
import { verificationDue, verifyBackup } from './verify-backup.js';

const FATAL: ReadonlySet<KeychainErrorCode> = new Set([
  'update-required',
  'not-signed-in',
  'not-trusted',
  // A spent approval run: a pending device must sign in again for a new code (§1.3).
  'code-mismatch',
  // An evicted join request (§10.1): nothing more will come.
  'join-removed',
  'circle-invalid',
  'circle-rollback',
  'server-rollback',
  'item-invalid',
  'item-replayed',
]);

/**
 * Longest wait between reconnection attempts: short enough that a device is back within a few
 * seconds of the server, and randomised (see nextBackoff) so devices do not all return at once.
 */
export const MAX_BACKOFF_MS = 5_000;

/** The wait after `current`: doubled, capped at MAX_BACKOFF_MS, then jittered down by up to a fifth. */
export function nextBackoff(current: number, random: () => number = Math.random): number {
  const capped = Math.min(current * 2, MAX_BACKOFF_MS);
  return Math.round(capped * (0.8 + 0.2 * random()));
}

export interface FollowOptions {
  signal: AbortSignal;
  onRound?: (result: SyncResult) => void;
  /**
   * Work that must not overlap a round, run after each one and before the next (the web app syncs
   * its shared folders here: folder flows refresh the circle as rounds do). Its errors count as the
   * round's.
   */
  afterRound?: () => Promise<void>;
  /** A transient error (server away); following goes on. */
  onError?: (err: Error) => void;
  onConnected?: () => void;
  /**
   * Called once, at the start, with a function that asks this loop for a round: at once when none
   * runs, else one more after the running one (requests meanwhile are one). An app pushes a local
   * edit through it without closing and reopening the feed; it does nothing once the loop ended.
   */
  bindRound?: (requestRound: () => void) => void;
}

/** Follows the feed until `signal` aborts; rejects on a fatal error. */
export async function follow(keychain: Keychain, options: FollowOptions): Promise<void> {
  // A round's fatal error also ends the feed read, which would otherwise stay open until it drops.
  const stop = new AbortController();
  const forward = () => stop.abort();
  options.signal.addEventListener('abort', forward, { once: true });
  if (options.signal.aborted) stop.abort();
  const rounds = serialRounds(keychain, { ...options, signal: stop.signal }, forward);
  options.bindRound?.(rounds.request);
  let lastEventId: string | null = null;
  let backoff = 500;
  try {
    while (!stop.signal.aborted) {
      try {
        lastEventId = await readFeed({
          client: keychain.client(),
          signal: stop.signal,
          lastEventId,
          onOpen: () => {
            backoff = 500;
            options.onConnected?.();
            rounds.request();
          },
          onEvent: (event) => {
            if (event.type === 'items') noteHeardItemHead(keychain, (event.data as { head?: unknown })?.head);
            if (event.type !== 'message') rounds.request();
          },
        });
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof KeychainError && FATAL.has(err.code)) throw err;
        options.onError?.(err as Error);
      }
      await rounds.idle();
      if (rounds.fatal) throw rounds.fatal;
      await sleep(backoff, stop.signal);
      backoff = nextBackoff(backoff);
    }
    await rounds.idle();
    if (rounds.fatal) throw rounds.fatal;
  } finally {
    options.signal.removeEventListener('abort', forward);
  }
}

/** Runs at most one round at a time; a request during a round triggers exactly one more. */
function serialRounds(keychain: Keychain, options: FollowOptions, onFatal: () => void) {
  let running: Promise<void> | null = null;
  let again = false;
  const state = { fatal: null as Error | null };
  const runOnce = async () => {
    try {
      // Not `onRound?.(await syncRound())`: optional call skips evaluating its argument.
      const result = await syncRound(keychain);
      options.onRound?.(result);
      if (keychain.state?.status === 'trusted' && verificationDue(keychain)) await verifyBackup(keychain);
      await options.afterRound?.();
    } catch (err) {
      if (err instanceof KeychainError && FATAL.has(err.code)) {
        state.fatal = err;
        onFatal();
      } else options.onError?.(err as Error);
    }
  };
  const request = (): void => {
    again = true;
    if (running || state.fatal) return;
    running = (async () => {
      while (again && !state.fatal && !options.signal.aborted) {
        again = false;
        await runOnce();
      }
    })().finally(() => {
      running = null;
      // A request that arrived after the loop's last check but before this point is not lost.
      if (again && !state.fatal && !options.signal.aborted) request();
    });
  };
  return {
    get fatal() {
      return state.fatal;
    },
    request,
    async idle() {
      while (running) await running;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
