/// <reference types="chrome" />
import type { Reply, Request } from './messages.js';
import { siteOf } from './site.js';
import {
  codesForSite,
  isLocked,
  lockVault,
  onVaultSaved,
  openVault,
  touch,
  vaultProblem,
} from './vault-access.js';
import { recountBadges, recountOnLockChange, sendToTab, setBadge } from './badges.js';
import { LOCK_ALARM } from './lock-settings.js';
import { backgroundSync, ensureSyncAlarm } from './background-sync.js';
import { SYNC_ALARM } from './sync-status.js';
import { entryLabel, VaultError } from '@tessera/vault';

/**
 * The extension's background: the only part that opens the vault for pages. A content script gets
 * a code only for the site of the frame it runs in, as the browser reports it.
 */
chrome.runtime.onMessage.addListener((message: Request, sender, sendResponse: (reply: Reply) => void) => {
  handle(message, sender).then(sendResponse, (err: unknown) =>
    sendResponse({ ok: false, error: vaultProblem(err) }),
  );
  return true; // the reply is sent asynchronously
});

// The idle lock: the alarm is set on each use (vault-access.ts `touch`) and fires after the idle time.
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === LOCK_ALARM) void lockVault();
  if (alarm.name === SYNC_ALARM) void backgroundSync();
});

// Badges of tabs already open follow the vault (a save here: a fill's binding, the background
// round; or one the popup reports with `vault-saved`) and the lock (badges.ts).
onVaultSaved(() => void recountBadges().catch(() => undefined));
recountOnLockChange();

// Every time the background starts (install, browser start, woken by an event): the periodic
// round's alarm is there (background-sync.ts).
void ensureSyncAlarm();

chrome.commands.onCommand.addListener((command) => {
  if (command !== 'fill-code') return;
  // The shortcut grants `activeTab` for this tab; its id is all this needs (the content script asks
  // for its own site's code, which the browser names in `sender.url`).
  void chrome.tabs.query({ active: true, currentWindow: true }).then(([tab]) => {
    if (tab?.id !== undefined) void sendToTab(tab.id, { type: 'fill-request' });
  });
});

async function handle(message: Request, sender: chrome.runtime.MessageSender): Promise<Reply> {
  if (sender.id !== chrome.runtime.id) return { ok: false, error: 'refused' };
  const fromPage = sender.tab !== undefined && !sender.url?.startsWith(chrome.runtime.getURL(''));
  switch (message.type) {
    case 'fields': {
      const site = siteOf(sender.url);
      // Locked: the page is offered nothing (no badge, no fill button) until Tessera is unlocked.
      const vault = await openVault().catch((err: unknown) => {
        if (isLocked(err)) return null;
        throw err;
      });
      if (!vault) {
        if (sender.tab?.id !== undefined && sender.frameId === 0) await setBadge(sender.tab.id, 0);
        return { ok: false, error: vaultProblem(new VaultError('passphrase-required', 'locked')) };
      }
      const matches = codesForSite(vault, site).length;
      if (sender.tab?.id !== undefined && sender.frameId === 0) await setBadge(sender.tab.id, matches);
      return { ok: true, site, matches };
    }
    case 'code': {
      const site = siteOf(sender.url);
      const codes = codesForSite(await openVault(), site);
      await touch();
      if (codes.length === 1)
        return { ok: true, site, code: codes[0]!.code, label: entryLabel(codes[0]!.entry) };
      return { ok: true, site, code: null, reason: codes.length === 0 ? 'none' : 'several' };
    }
    case 'fill-tab': {
      // Only the extension's own pages (the popup) may fill a tab by choice; pages only get their own site's code.
      if (fromPage) return { ok: false, error: 'refused' };
      return fillTab(message);
    }
    case 'vault-saved': {
      // The popup saved the vault: recount the open tabs' badges (a page cannot ask for this).
      if (fromPage) return { ok: false, error: 'refused' };
      return { ok: true, asked: await recountBadges() };
    }
  }
}

/**
 * The popup's fill: the user picked the entry; the site is the tab's, read now. Its address is
 * readable only under the `activeTab` grant of the toolbar button that opened the popup (no `tabs`
 * permission): without it there is no site, and nothing is filled.
 */
async function fillTab({
  tabId,
  entryId,
  bind,
}: {
  tabId: number;
  entryId: string;
  bind: boolean;
}): Promise<Reply> {
  const tab = await chrome.tabs.get(tabId);
  const site = siteOf(tab.url);
  if (!site) return { ok: false, error: 'This page is not a web site, so no code is filled here.' };
  const vault = await openVault();
  await touch();
  const entry = vault.get(entryId);
  if (!entry) return { ok: false, error: 'That entry is gone.' };
  if (bind && !(entry.sites ?? []).includes(site)) {
    await vault.update(entryId, { sites: [...(entry.sites ?? []), site] });
  }
  const match = codesForSite(vault, site).find((c) => c.entry.id === entryId);
  if (!match) return { ok: false, error: `${entryLabel(entry)} is not bound to ${site}.` };
  // No badge set here: a binding's save recounts the open tabs from their own reports (badges.ts),
  // so a count stands only on a page whose code field reported, which answers the next recount.
  const filled = await sendToTab(tabId, { type: 'fill', code: match.code, origin: new URL(tab.url!).origin });
  return { ok: true, filled };
}
