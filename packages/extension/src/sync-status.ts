/// <reference types="chrome" />
/**
 * Names shared by the background sync and the popup: the alarm, the Web Lock that says who follows
 * the feed, and the outcome of the last background round (in `chrome.storage.session`: memory only,
 * and out of content scripts' reach).
 */

/** The alarm of the periodic background round. */
export const SYNC_ALARM = 'tessera-sync';
/** Minutes between background rounds (Chromium's shortest alarm period is half a minute). */
export const SYNC_PERIOD_MINUTES = 1;
/**
 * The Web Lock held by whichever context follows the live feed: an open popup holds it for as long
 * as it is open, and the background skips its round meanwhile (the popup's rounds already run).
 */
export const FOLLOW_LOCK = 'tessera-keychain-follow';
const STATUS_KEY = 'backgroundSync';

/** What the last background round did. */
export interface SyncStatus {
  /** When it ended (ms since the epoch). */
  at: number;
  /** Entries received that changed something here. */
  pulled: number;
  /** Entries the stored vault holds after it. */
  entries: number;
  /** Why it failed, in words; null when it worked. */
  error: string | null;
}

export async function lastBackgroundSync(): Promise<SyncStatus | null> {
  return ((await chrome.storage.session.get(STATUS_KEY))[STATUS_KEY] as SyncStatus | undefined) ?? null;
}

export async function recordBackgroundSync(status: SyncStatus): Promise<void> {
  await chrome.storage.session.set({ [STATUS_KEY]: status });
}
