/**
 * Issuer icons in the browser: the icon index and the icons themselves come from this origin's
 * `/icons/` (emitted by the build, scripts/icons-plugin.ts), never from a third party. Nothing of
 * it is in the first download: the index is fetched after the codes show, then only the icons the
 * entries use. Both go into the Cache Storage the service worker answers `/icons/` from, put there
 * by the page itself, so a first visit works offline afterwards even before the worker controls it.
 */
import { useEffect, useState } from 'preact/hooks';
import { createIconMatcher, parseIconIndex, resolveIcon, type IconMatcher } from '@tessera/vault';

/** The cache the service worker's `/icons/` route reads (vite.config.ts `runtimeCaching`). */
export const ICON_CACHE = 'tessera-icons';

let base = '/icons/';
let useCache = true;
let loading: Promise<IconMatcher | null> | null = null;
let loaded: IconMatcher | null | undefined;
const listeners = new Set<(matcher: IconMatcher | null) => void>();
const warmed = new Set<string>();

/**
 * Where the icon files are, for a page not served by the keychain server (the extension's popup,
 * whose icons are packaged in the extension). `cache: false` reads them straight from there: files
 * of the extension itself need no copy in Cache Storage to work offline.
 */
export function setIconBase({ url, cache = true }: { url: string; cache?: boolean }): void {
  base = url.endsWith('/') ? url : `${url}/`;
  useCache = cache;
}

/** The URL of one icon's SVG. */
export function iconUrl({ slug }: { slug: string }): string {
  return `${base}${slug}.svg`;
}

async function openCache(): Promise<Cache | null> {
  try {
    return 'caches' in globalThis ? await caches.open(ICON_CACHE) : null;
  } catch {
    return null; // storage refused (private mode): the icons still load, uncached
  }
}

/** `url` from the icon cache, else from the network (and then kept in the cache). */
async function cachedFetch(url: string): Promise<Response> {
  if (!useCache) return fetch(url);
  const cache = await openCache();
  const hit = await cache?.match(url);
  if (hit) return hit;
  const response = await fetch(url);
  if (response.ok && cache) await cache.put(url, response.clone()).catch(() => undefined);
  return response;
}

/**
 * The icon matcher, once the index has loaded; null when it cannot be had (offline and never
 * cached), in which case every entry shows its lettered tile and the next call tries again.
 */
export function loadIconMatcher(): Promise<IconMatcher | null> {
  loading ??= cachedFetch(`${base}index.json?v=${__APP_VERSION__}`)
    .then((response) => {
      if (!response.ok) throw new Error(`icon index: HTTP ${response.status}`);
      return response.json();
    })
    .then((json) => createIconMatcher({ index: parseIconIndex({ json }) }))
    .catch(() => {
      loading = null;
      return null;
    })
    .then((matcher) => {
      loaded = matcher;
      for (const listener of listeners) listener(matcher);
      return matcher;
    });
  return loading;
}

/**
 * The matcher for a component: undefined while the index loads (show a blank tile, not a letter
 * that would flip to an icon), then the matcher or null. Loading starts after the first paint, or,
 * with `load: false`, when the page calls `loadIconMatcher` itself (the extension's popup does once
 * its codes show, so the index never competes with them).
 */
export function useIconMatcher({ load = true }: { load?: boolean } = {}): IconMatcher | null | undefined {
  const [matcher, setMatcher] = useState<IconMatcher | null | undefined>(loaded);
  useEffect(() => {
    listeners.add(setMatcher);
    if (loaded) setMatcher(loaded);
    else if (load) void loadIconMatcher();
    return () => void listeners.delete(setMatcher);
  }, []);
  return matcher;
}

/**
 * Puts the icons `entries` show into the icon cache, a few at a time, so they show offline even for
 * rows never scrolled into view. Only those icons: never the whole set.
 */
export async function warmIcons({
  entries,
  matcher,
}: {
  entries: readonly { issuer: string; account: string; icon?: string; sites?: string[] }[];
  matcher: IconMatcher;
}): Promise<void> {
  const urls = new Set<string>();
  for (const entry of entries) {
    const view = resolveIcon({ entry, matcher });
    if (view.kind === 'icon') urls.add(iconUrl(view));
  }
  const todo = [...urls].filter((url) => !warmed.has(url));
  for (const url of todo) warmed.add(url);
  const next = async (): Promise<void> => {
    const url = todo.shift();
    if (url === undefined) return;
    await cachedFetch(url).catch(() => warmed.delete(url));
    return next();
  };
  await Promise.all([next(), next(), next(), next()]);
}
