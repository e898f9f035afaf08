/**
 * The pull begun during a join (docs/PROTOCOL.md §5 "Sync", issue 14): a device that has signed in
 * but is not trusted yet may read the item ciphertexts, so it asks for the first page as soon as it
 * has a session and holds the answer, as received, while its join runs (the recovery key's circle,
 * wraps and link; an approval's wait for the user). Nothing in it is opened before the join has the
 * vault key and has verified it against the verified circle; from then on (`preopen`) it is opened
 * while the join's last steps are in flight, held in memory only. The first sync round takes it as
 * the first page of its pull once the device is trusted, and it goes through exactly the checks of
 * any page, in the same order (sync.ts `pull`: head, epoch, open under the verified epoch's key,
 * record, replay), taking the early outcome of an item in the place of opening it.
 * The round then asks for what came after it, so changes made meanwhile are still pulled.
 *
 * Bounded: one page of at most `LIMITS.maxPullLimit` items per keychain object, what one request of
 * an ordinary pull holds. Anything unexpected (a server that refuses pending pulls, an error, another
 * session, a cursor that moved, an item of another epoch than the round's circle) drops it and the
 * round asks the server as it always did.
 */
import { LIMITS } from '@tessera/protocol';
import type { VaultRecord } from '../types.js';
import { constantTimeEqual } from './bytes.js';
import type { ResponseOf } from './client.js';
import type { Keychain } from './keychain.js';
import { latestClock, openServerCopy, recordHashOfPlaintext, type ServerItem } from './server-copy.js';
import type { KeychainState } from './state.js';

type ItemsPage = ResponseOf<'items'>;

/** One item of the held page opened early: what the pull would compute, or the error it would throw. */
export type EarlyItem = { record: VaultRecord; h: string; m: string } | { error: unknown };

/** The held page opened with a verified vault key while the join's last steps ran (`preopen`). */
interface Preopened {
  accountId: string;
  epoch: number;
  vk: Uint8Array;
  /** By item object of the held page; null when the page was not read. */
  done: Promise<Map<ServerItem, EarlyItem> | null>;
}

interface Prefetch {
  accountId: string;
  deviceId: string;
  session: string;
  /** The page after version 0, as received; null when it was refused or failed. */
  page: Promise<ItemsPage | null>;
  /** Begun by `preopen` once the join verified the vault key against the circle. */
  opened?: Preopened;
  /** Once the round took the page: the request for what follows it (`since` = its highest version). */
  next?: { since: number; page: Promise<ItemsPage> };
}

const prefetches = new WeakMap<Keychain, Prefetch>();
/** Pages taken by a round with what `preopen` opened of them. */
const openedPages = new WeakMap<ItemsPage, Preopened & { results: Map<ServerItem, EarlyItem> }>();


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
    const taken = { ...page, more: true };
    const opened = held.opened;
    if (!opened) return taken;
    // The opening begun during the join ends before the pull reads the page (it yields between
    // slices, so it may still be running); its results are for this page object only.
    return opened.done.then((results) => {
      if (results) openedPages.set(taken, { ...opened, results });
      return taken;
    });
  });
}

/** Items opened per slice of `preopen`'s work, between which the event loop runs (I/O of the join). */
const SLICE = 16;

/**
 * Opens the held page with the join's vault key while the join's last steps (the add-device link,
 * the state write, the round's circle check) are in flight: pure CPU over the page and the key,
 * nothing is stored, shown or applied. Call only with a key the join has verified against the
 * verified circle (`checkVaultKeyMatchesCircle`). The pull (sync.ts) takes each item's outcome
 * in the place of opening it, after every check that precedes the opening in its loop and before
 * the ones that follow (replay, against this device's stored state); a refused item is refused
 * there, with the same error, so a tampered page fails the round as before and changes nothing.
 */
export function preopen(keychain: Keychain, epoch: number, vk: Uint8Array): void {
  const state = keychain.state;
  const held = prefetches.get(keychain);
  if (!state || !held || held.next || !sameSession(held, state)) return;
  if (held.opened?.epoch === epoch && constantTimeEqual(held.opened.vk, vk)) return;
  const key = vk.slice();
  const accountId = state.accountId;
  held.opened = {
    accountId,
    epoch,
    vk: key,
    done: held.page.then((page) => (page ? openAll(accountId, page, epoch, key) : null)).catch(() => null),
  };
}

/** The opening `preopen` began for this keychain's held page, once it ends (for tests); null if none. */
export function preopening(keychain: Keychain): Promise<void> | null {
  const opened = prefetches.get(keychain)?.opened;
  return opened ? opened.done.then(() => undefined) : null;
}

async function openAll(
  accountId: string,
  page: ItemsPage,
  epoch: number,
  vk: Uint8Array,
): Promise<Map<ServerItem, EarlyItem>> {
  const results = new Map<ServerItem, EarlyItem>();
  let n = 0;
  for (const item of page.items) {
    // Items of another epoch make the round drop the page (`takePrefetched`).
    if (item.epoch !== epoch) continue;
    try {
      const { record, text, bytes } = openServerCopy(accountId, item, vk);
      results.set(item, { record, h: recordHashOfPlaintext(record, text, bytes), m: latestClock(record) });
    } catch (error) {
      results.set(item, { error });
    }
    if (++n % SLICE === 0) await nextTask();
  }
  return results;
}

/** Resolves in a later task, after pending I/O callbacks: `setImmediate` in Node, a message in browsers. */
function nextTask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (immediate) {
      immediate(resolve);
      return;
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * For the pull reading `page`: the early outcome of an item, if `preopen` opened it with the very key
 * this device now holds for its epoch (checked here, bytes equal), for the same account; else null
 * and the pull opens every item itself.
 */
export function preopenedOf(
  keychain: Keychain,
  state: KeychainState,
  page: ItemsPage,
): ((item: ServerItem) => EarlyItem | undefined) | null {
  const opened = openedPages.get(page);
  if (!opened) return null;
  openedPages.delete(page);
  if (opened.accountId !== state.accountId) return null;
  const vk = keychain.vaultKeyFor(opened.epoch);
  if (!vk || !constantTimeEqual(vk, opened.vk)) return null;
  return (item) => (item.epoch === opened.epoch ? opened.results.get(item) : undefined);
}

function sameSession(held: Prefetch, state: KeychainState): boolean {
  return (
    held.accountId === state.accountId && held.deviceId === state.deviceId && held.session === state.session
  );
}
