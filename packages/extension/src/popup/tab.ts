/// <reference types="chrome" />

/**
 * The tab the popup acts on: the active tab of its window. A popup opened as a page of its own
 * (`popup.html?tab=ID`, how the end-to-end tests drive it) acts on that tab instead.
 */
export async function targetTab(): Promise<chrome.tabs.Tab | null> {
  const given = new URLSearchParams(location.search).get('tab');
  if (given && /^\d+$/.test(given)) return chrome.tabs.get(Number(given));
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}
