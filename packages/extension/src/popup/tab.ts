/// <reference types="chrome" />

/**
 * The tab the popup acts on: the active tab of its window. The extension has no `tabs` permission:
 * the tab's address (`url`) is there only under the `activeTab` grant of the toolbar button that
 * opened the popup; without it the tab has no address and the popup offers no site. A popup opened
 * as a page of its own (`popup.html?tab=ID`, how the end-to-end tests drive it after pressing the
 * toolbar button on that tab) acts on that tab instead, with the same rule.
 */
export async function targetTab(): Promise<chrome.tabs.Tab | null> {
  const given = new URLSearchParams(location.search).get('tab');
  if (given && /^\d+$/.test(given)) return chrome.tabs.get(Number(given));
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}
