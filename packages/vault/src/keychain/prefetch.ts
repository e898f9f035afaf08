/**
 * The pull begun during a join (docs/PROTOCOL.md §5 "Sync", issue 14): a device that has signed in
 * but is not trusted yet may read the item ciphertexts, so it asks for the first page as soon as it
 * has a session and holds the answer, as received, while its join runs (the recovery key's circle,
 * wraps and link; an approval's wait for the user). Nothing in it is opened here: the first sync round
 * takes it as the first page of its pull once the device is trusted, and it goes through exactly the
 * checks of any page (sync.ts `pull`: open under the verified epoch's key, record, replay, head).
 * The round then asks for what came after it, so changes made meanwhile are still pulled.
 *
 * Bounded: one page of at most `LIMITS.maxPullLimit` items per keychain object, what one request of
 * an ordinary pull holds. Anything unexpected (a server that refuses pending pulls, an error, another
 * session, a cursor that moved, an item of another epoch than the round's circle) drops it and the
 * round asks the server as it always did.
 */
import { LIMITS } from '@tessera/protocol';
import type { ResponseOf } from './client.js';
import type { Keychain } from './keychain.js';
import type { KeychainState } from './state.js';

type ItemsPage = ResponseOf<'items'>;

interface Prefetch {
  accountId: string;
  deviceId: string;
  session: string;
  /** The page after version 0, as received; null when it was refused or failed. */
  page: Promise<ItemsPage | null>;
  /** Once the round took the page: the request for what follows it (`since` = its highest version). */
  next?: { since: number; page: Promise<ItemsPage> };
}

const prefetches = new WeakMap<Keychain, Prefetch>();

/**
 * Starts reading the first page of items with this pending device's session, unless a read of this
 * session is already held. For a device that has never pulled (cursor 0); a no-op otherwise.
 */
export function startPrefetch(keychain: Keychain): void {
  const state = keychain.state;
  if (state?.status !== 'pending' || state.cursor !== 0) return;
  const held = prefetches.get(keychain);
  if (held && sameSession(held, state)) return;
  const page = keychain
    .client()
    .call('items', { query: { since: 0, limit: LIMITS.maxPullLimit } })
    // A server that answers 403 to a pending device (before protocol 2.x allowed it), a network
    // error: the round pulls as it always did.
    .catch(() => null);
  prefetches.set(keychain, {
    accountId: state.accountId,
    deviceId: state.deviceId,
    session: state.session,
    page,
  });
}

/**
 * The page a trusted device's pull asks for at `since`, from what was read during the join, or null
 * to ask the server. `request(since, atLeast)` is the pull's own request. Called by the pull only
 * (after `requireTrusted`), so the page is opened only with the vault key the join verified against
 * the circle. `epoch` is the round's circle epoch: a page holding any other epoch (the keychain was
 * rotated since it was read) is not used, so that copies an honest server held before a rotation are
 * never refused as a removed device's.
 */
export function takePrefetched(
  keychain: Keychain,
  state: KeychainState,
  since: number,
  request: (since: number, atLeast: number) => Promise<ItemsPage>,
): Promise<ItemsPage> | null {
  const held = prefetches.get(keychain);
  if (!held) return null;
  if (!sameSession(held, state) || since !== (held.next?.since ?? 0)) {
    prefetches.delete(keychain);
    return null;
  }
  if (held.next) {
    prefetches.delete(keychain);
    return held.next.page;
  }
  const epoch = state.circle?.epoch;
  return held.page.then((page) => {
    if (!page || page.items.length === 0 || page.items.some((item) => item.epoch !== epoch)) {
      prefetches.delete(keychain);
      return request(since, 0);
    }
    let last = since;
    for (const item of page.items) last = Math.max(last, item.version);
    // Asked now, beside the round's circle check: what changed after the page was read.
    const next = request(last, page.head);
    next.catch(() => undefined);
    held.next = { since: last, page: next };
    // `more`: the pull goes on to the request above rather than stopping after this page.
    return { ...page, more: true };
  });
}

function sameSession(held: Prefetch, state: KeychainState): boolean {
  return (
    held.accountId === state.accountId && held.deviceId === state.deviceId && held.session === state.session
  );
}
