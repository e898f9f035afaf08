/**
 * Messages between the extension's parts. The site a code is for is always taken from the browser
 * (`sender.url`, or `tabs.get` under the `activeTab` grant of the toolbar button or the fill shortcut),
 * never from a message: a page cannot talk its way into another site's code.
 */
export type Request =
  /** Content script: this frame has `count` code fields (sets the badge). */
  | { type: 'fields'; count: number }
  /** Content script: the code for this frame's site, after a click on the fill button or the shortcut. */
  | { type: 'code' }
  /** Popup: fill entry `entryId` into tab `tabId`, binding it to that tab's site first if `bind`. */
  | { type: 'fill-tab'; tabId: number; entryId: string; bind: boolean }
  /**
   * An extension page (the popup): it saved the vault (an entry added, edited, deleted, or received
   * from the live feed). The background recounts the badges of open tabs. Refused from a page.
   */
  | { type: 'vault-saved' };

export type Reply =
  | { ok: true; site: string | null; matches: number }
  | { ok: true; site: string | null; code: string; label: string }
  | { ok: true; site: string | null; code: null; reason: 'none' | 'several' }
  | { ok: true; filled: boolean }
  | { ok: true; asked: number }
  | { ok: false; error: string };

/** Background → content script. */
export type ToContent =
  /** Fill `code` if this frame's origin is still `origin` (checked again here, against the page as it is now). */
  | { type: 'fill'; code: string; origin: string }
  /** The keyboard shortcut: ask for this frame's code and fill it. */
  | { type: 'fill-request' }
  /**
   * The vault or the lock changed: report this frame's code fields again (a `fields` request), so the
   * background counts them anew for the frame's site, which the browser names (`sender.url`).
   * Carries nothing: no site, no count, no code.
   */
  | { type: 'report' };
