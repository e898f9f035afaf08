import { getDomain } from 'tldts';
import { currentCode, type VaultEntry } from '@tessera/vault';

/**
 * Everything here needs the Public Suffix List (a few hundred KB of JavaScript): the popup loads this
 * module only when its tab is a web page (`popup/Popup.tsx`), the background when a page asks.
 *
 * The site a page belongs to: its registrable domain (eTLD+1 by the Public Suffix List, via tldts),
 * so `login.bank.example` and `bank.example` are one site and `bank-example.com` is another. Only
 * http(s) pages have a site; a look-alike domain is simply a different site.
 */
export function siteOf(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return getDomain(parsed.hostname, { allowPrivateDomains: true }) ?? null;
}

/**
 * Entries bound to `site`. A binding names a registrable domain; one stored as a longer host name
 * (from a CLI `--site login.bank.example`) binds the site it belongs to.
 */
export function entriesForSite(entries: readonly VaultEntry[], site: string | null): VaultEntry[] {
  if (!site) return [];
  return entries.filter((entry) => (entry.sites ?? []).some((bound) => siteOfHost(bound) === site));
}

function siteOfHost(host: string): string | null {
  return getDomain(host, { allowPrivateDomains: true }) ?? null;
}

/** The entries bound to `site`, each with its current code (HOTP entries excluded: filling one would spend a counter). */
export function siteCodes(
  entries: readonly VaultEntry[],
  site: string | null,
  now = Date.now(),
): { entry: VaultEntry; code: string; secondsLeft: number | null }[] {
  return entriesForSite(entries, site)
    .filter((entry) => entry.type !== 'hotp')
    .map((entry) => {
      const { code, secondsLeft } = currentCode(entry, Math.floor(now / 1000));
      return { entry, code: code ?? '', secondsLeft };
    });
}
