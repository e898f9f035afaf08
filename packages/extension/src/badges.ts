/// <reference types="chrome" />
import type { ToContent } from './messages.js';
import { isLocked, openVault } from './vault-access.js';
import { UNLOCKED_KEY } from './lock-settings.js';

/**
 * The toolbar badge: per tab, the number of entries bound to the site of the tab's page that can
 * fill its code field. A count is set only from a content script's own report (`fields`), whose
 * site the browser names (`sender.url`): the background never reads a tab's address for it.
 *
 * The counts of tabs already open are kept true after the vault changes (a save in any context:
 * the popup's add or edit, an entry from the live feed or the background round, a fill's binding)
 * and when Tessera locks or unlocks: the background asks every tab (by id, which needs no
 * permission) to report its code fields again, and counts each report for its frame's site.
 * Locked, every tab's badge is cleared first, so none keeps a count while nothing can be filled.
 */

export async function setBadge(tabId: number, matches: number): Promise<void> {
  await chrome.action.setBadgeText({ tabId, text: matches > 0 ? String(matches) : '' });
  await chrome.action.setBadgeBackgroundColor({ tabId, color: '#2f5bd3' });
}

export async function sendToTab(tabId: number, message: ToContent): Promise<boolean> {
  try {
    return (await chrome.tabs.sendMessage(tabId, message)) === true;
  } catch {
    return false; // no content script listening in that tab (a browser page, or a page with no code field)
  }
}

/**
 * Recounts every open tab's badge: resolves with the number of tabs asked once they are asked, not
 * answered (a page the browser froze answers when it wakes; its report is counted then, against
 * the vault as it is then).
 */
async function recount(): Promise<number> {
  const vault = await openVault().catch((err: unknown) => {
    if (isLocked(err)) return null;
    throw err;
  });
  const tabs = (await chrome.tabs.query({})).flatMap((tab) => (tab.id === undefined ? [] : [tab.id]));
  // This context's copy of the vault may predate the save that called for the recount.
  if (vault) await vault.refresh();
  // Locked: cleared here, not left to the pages' reports, which a frozen page would not send.
  else await Promise.all(tabs.map((tabId) => setBadge(tabId, 0).catch(() => undefined)));
  // Locked, the reports are refused too: that hides the fill buttons the pages show.
  for (const tabId of tabs) void sendToTab(tabId, { type: 'report' });
  return tabs.length;
}

/** A recount not started yet: requests made meanwhile (a burst of saves) share it. */
let next: Promise<number> | null = null;
let last: Promise<unknown> = Promise.resolve();

/**
 * Recounts the badges of open tabs after what happened before this call; resolves when the tabs
 * are asked. Recounts run one at a time, and a burst of requests makes one more recount.
 */
export function recountBadges(): Promise<number> {
  if (next) return next;
  const run = last
    // A task later: the lock's other listeners (this context forgets its open vault) run first.
    .then(() => new Promise((resolve) => setTimeout(resolve, 0)))
    .then(() => {
      next = null;
      return recount();
    });
  next = run;
  last = run.catch(() => undefined);
  return run;
}

/** Locked or unlocked, from any context (the popup, the idle alarm): the badges follow. */
export function recountOnLockChange(): void {
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'session' && UNLOCKED_KEY in changes) void recountBadges().catch(() => undefined);
  });
}
