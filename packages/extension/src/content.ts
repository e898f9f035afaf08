/// <reference types="chrome" />
import { CANDIDATES } from './detect.js';
import { startFill } from './content-fill.js';

/**
 * Runs in every http(s) page, so the path of a page without a code field (most pages) is as small
 * as it can be: one CSS query for a field that may be one (`CANDIDATES`: attributes only, never
 * the page's text), and an observer for such a field added later. Only when one is there does the
 * fill side start (`content-fill.ts`: the real check of each field, the extension's messaging and
 * the button). It stays in this one file: a second file loaded on demand would have to be a
 * web-accessible resource, which any page could fetch to learn that Tessera is installed.
 */
let fill: ReturnType<typeof startFill> | null = null;

function look(): void {
  if (document.querySelector(CANDIDATES) !== null) (fill ??= startFill()).scan();
}

look();
// Sign-in pages often add the code field after the password step: look again when a field that may
// be one appears (the same one query, on the added nodes only).
let pending = false;
new MutationObserver((records) => {
  if (pending) return;
  const addedInput = records.some((r) =>
    [...r.addedNodes].some(
      (n) => n instanceof Element && (n.matches(CANDIDATES) || n.querySelector(CANDIDATES) !== null),
    ),
  );
  if (!addedInput) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    look();
  }, 100);
}).observe(document.documentElement, { childList: true, subtree: true });
