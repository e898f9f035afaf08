/**
 * Issuer icons: which icon of the Simple Icons set (CC0) an entry shows, or a lettered tile.
 *
 * The set itself is not here: the web build emits an index (slug, title, brand colour, aliases) and
 * one SVG per icon as static files, and a client fetches the index and only the icons its entries
 * use. This module is the one place that matches an entry to an icon, so the web app and the
 * extension agree. An entry's `icon` field (synced, last-writer-wins like tags) overrides the match:
 * `"none"` asks for the lettered tile, `"simple-icons/<slug>"` for that icon.
 */
import { VaultError } from './errors.js';

/** The `icon` value that asks for the lettered tile instead of any icon. */
export const ICON_NONE = 'none';
/** The icon set `icon` values name; other sets may follow under their own prefix. */
export const ICON_SET = 'simple-icons';
/** Longest `icon` value a record may carry (longer is refused on edit, ignored from other devices). */
export const MAX_ICON_LENGTH = 100;

const SLUG = /^[a-z0-9_]{1,64}$/;
const HEX = /^[0-9A-Fa-f]{6}$/;

/** One icon of the set, as the index lists it. */
export interface IconInfo {
  /** File name without `.svg`, e.g. `github`. */
  slug: string;
  /** The brand's name, e.g. `GitHub`. */
  title: string;
  /** Brand colour, six hex digits without `#`. */
  hex: string;
  /** Other names the brand goes by (e.g. `Twitter` for X). */
  aliases: string[];
}

/** The icon index the web build emits as `icons/index.json`. */
export interface IconIndex {
  set: typeof ICON_SET;
  /** Version of the set the files come from. */
  version: string;
  icons: IconInfo[];
}

/** What an entry shows: an icon of the set, or a tile with a letter on a colour from the name. */
export type IconView =
  | { kind: 'icon'; slug: string; title: string; hex: string }
  | { kind: 'letter'; letter: string; hue: number };

/** An entry's `icon` field read: automatic, none, or one icon of the set. */
export type IconChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'icon'; slug: string };

/** The `icon` value that picks the icon `slug`. */
export function iconChoiceOf({ slug }: { slug: string }): string {
  if (!SLUG.test(slug))
    throw new VaultError('invalid', `icon: ${JSON.stringify(slug.slice(0, 80))} is not an icon name`);
  return `${ICON_SET}/${slug}`;
}

/**
 * Reads an entry's `icon` field. Values this version does not know (another set, from a newer
 * device) read as automatic, so they are kept and synced but never break the display.
 */
export function parseIconChoice({ icon }: { icon?: string | undefined }): IconChoice {
  if (icon === undefined) return { kind: 'auto' };
  if (icon === ICON_NONE) return { kind: 'none' };
  const prefix = `${ICON_SET}/`;
  if (icon.startsWith(prefix) && SLUG.test(icon.slice(prefix.length)))
    return { kind: 'icon', slug: icon.slice(prefix.length) };
  return { kind: 'auto' };
}

/** Checks an `icon` value set by an edit: `"none"` or `"simple-icons/<slug>"`; throws VaultError. */
export function checkIconValue(value: unknown): string {
  if (typeof value !== 'string' || parseIconChoice({ icon: value }).kind === 'auto') {
    throw new VaultError('invalid', `icon: must be "${ICON_NONE}" or "${ICON_SET}/<name>"`);
  }
  return value;
}

/**
 * The key names are compared by: letters and digits only, lower case, accents dropped, `+` and `&`
 * spelled out as Simple Icons does in its slugs.
 */
export function iconKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\+/g, 'plus')
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Names people put in issuers for a brand whose icon carries another name. Only brands whose names
 * differ; spelling, case and punctuation are handled by `iconKey`. A target missing from the set
 * (a brand that asked Simple Icons to remove its icon, such as Amazon Web Services) gives the tile.
 */
const ALIASES: Readonly<Record<string, string>> = {
  googlemail: 'gmail',
  gsuite: 'google',
  googleworkspace: 'google',
  aws: 'amazonwebservices',
  amazonwebservices: 'amazonwebservices',
  fb: 'facebook',
  ig: 'instagram',
  psn: 'playstation',
  playstationnetwork: 'playstation',
  xboxlive: 'xbox',
  battlenet: 'battledotnet',
  blizzard: 'battledotnet',
  electronicarts: 'ea',
  ubisoftconnect: 'ubisoft',
  protonmail: 'protonmail',
  proton: 'proton',
  npmjs: 'npm',
  ycombinator: 'ycombinator',
  hackernews: 'ycombinator',
};

/** Words that end issuers without naming a different brand ("Google Account", "Apple ID", "X Corp"). */
const TRAILING_WORDS = new Set([
  'account',
  'accounts',
  'login',
  'signin',
  'sso',
  'id',
  '2fa',
  'mfa',
  'otp',
  'inc',
  'llc',
  'ltd',
  'corp',
  'corporation',
  'gmbh',
  'ag',
]);

/** Second-level labels under which a country's registrable domains sit (`example.co.uk`). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or', 'go']);

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Names to look up for a site: the registrable part spelled as a slug (`battle.net` → `battledotnet`)
 * and its name label (`accounts.google.com` → `google`). A close guess at the registrable domain,
 * without the Public Suffix List, which only the extension needs in full.
 */
function siteKeys(site: string): string[] {
  const labels = site.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length < 2) return [];
  const take = labels.length >= 3 && SECOND_LEVEL.has(labels[labels.length - 2]!) ? 3 : 2;
  const registrable = labels.slice(-take);
  return [registrable.join('dot'), registrable[0]!];
}

/** Names to look up for an issuer, most exact first. */
function issuerKeys(issuer: string): string[] {
  const text = issuer.trim();
  if (HOST.test(text.toLowerCase())) return siteKeys(text);
  const keys = [iconKey(text)];
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  while (words.length > 1 && TRAILING_WORDS.has(words[words.length - 1]!)) {
    words.pop();
    keys.push(iconKey(words.join('')));
  }
  return keys;
}

/** Looks entries up in one icon index; made once per index with `createIconMatcher`. */
export interface IconMatcher {
  readonly index: IconIndex;
  /** The icon with this slug, if the set has it. */
  get(slug: string): IconInfo | undefined;
  /** The icon matched by issuer, then by sites; undefined when none matches. */
  match(entry: { issuer: string; sites?: readonly string[] | undefined }): IconInfo | undefined;
  /** Icons whose name or alias contains `query`, best first (name starts with it, then shorter names). */
  search(options: { query: string; limit?: number }): IconInfo[];
}

/** Builds the lookup tables of `index`: slugs first, then titles, then aliases, first one wins. */
export function createIconMatcher({ index }: { index: IconIndex }): IconMatcher {
  const bySlug = new Map(index.icons.map((icon) => [icon.slug, icon]));
  const byKey = new Map<string, IconInfo>();
  const claim = (key: string, icon: IconInfo) => {
    if (key && !byKey.has(key)) byKey.set(key, icon);
  };
  for (const icon of index.icons) claim(icon.slug, icon);
  for (const icon of index.icons) claim(iconKey(icon.title), icon);
  for (const icon of index.icons) for (const alias of icon.aliases) claim(iconKey(alias), icon);

  const lookup = (key: string): IconInfo | undefined => {
    const aliased = ALIASES[key];
    return aliased !== undefined ? bySlug.get(aliased) : byKey.get(key);
  };
  const first = (keys: string[]) => {
    for (const key of keys) {
      const icon = key ? lookup(key) : undefined;
      if (icon) return icon;
    }
    return undefined;
  };

  return {
    index,
    get: (slug) => bySlug.get(slug),
    match({ issuer, sites }) {
      return first(issuerKeys(issuer)) ?? first((sites ?? []).flatMap(siteKeys));
    },
    search({ query, limit = 12 }) {
      const q = iconKey(query);
      if (!q) return [];
      const scored: { icon: IconInfo; score: number }[] = [];
      for (const icon of index.icons) {
        const title = iconKey(icon.title);
        const score = title.startsWith(q)
          ? 0
          : title.includes(q) || icon.slug.includes(q)
            ? 1
            : icon.aliases.some((a) => iconKey(a).includes(q))
              ? 2
              : -1;
        if (score >= 0) scored.push({ icon, score });
      }
      scored.sort((a, b) => a.score - b.score || a.icon.title.length - b.icon.title.length);
      return scored.slice(0, limit).map((s) => s.icon);
    },
  };
}

/**
 * What an entry shows: its chosen icon, the lettered tile if it chose none, else the icon its issuer
 * or sites match. Without a matcher (the index not loaded, or offline and never cached) a chosen or
 * matched icon cannot be known, so the tile shows.
 */
export function resolveIcon({
  entry,
  matcher,
}: {
  entry: {
    issuer: string;
    account: string;
    icon?: string | undefined;
    sites?: readonly string[] | undefined;
  };
  matcher: IconMatcher | null;
}): IconView {
  const choice = parseIconChoice(entry);
  const icon =
    choice.kind === 'none' || !matcher
      ? undefined
      : choice.kind === 'icon'
        ? matcher.get(choice.slug)
        : matcher.match(entry);
  if (icon) return { kind: 'icon', slug: icon.slug, title: icon.title, hex: icon.hex };
  return letterTile(entry);
}

/** The lettered tile: the first letter or digit of the issuer (else the account), a hue from the name. */
export function letterTile({ issuer, account }: { issuer: string; account: string }): {
  kind: 'letter';
  letter: string;
  hue: number;
} {
  const name = issuer.trim() || account.trim();
  const letter = name.match(/[\p{L}\p{N}]/u)?.[0]?.toLocaleUpperCase() ?? '?';
  // FNV-1a over the compared form, so "GitHub" and "github" get one colour.
  let hash = 0x811c9dc5;
  for (const char of iconKey(name) || name) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return { kind: 'letter', letter, hue: hash % 360 };
}

/** An icon as Simple Icons' data file (`data/simple-icons.json`) describes it; the fields used here. */
export interface SimpleIconsDataEntry {
  title: string;
  slug: string;
  hex: string;
  aliases?: { aka?: string[]; dup?: { title: string }[]; loc?: Record<string, string> };
}

/**
 * The icon index document the web build serves as `icons/index.json`, from Simple Icons' data file:
 * one row `[slug, title, hex, ...aliases]` per icon, about a tenth of the size of the SVGs.
 */
export function iconIndexDocument({
  data,
  version,
}: {
  data: readonly SimpleIconsDataEntry[];
  version: string;
}): {
  set: typeof ICON_SET;
  version: string;
  icons: string[][];
} {
  const icons = data.map((icon) => {
    const aliases = [
      ...(icon.aliases?.aka ?? []),
      ...(icon.aliases?.dup ?? []).map((d) => d.title),
      ...Object.values(icon.aliases?.loc ?? {}),
    ];
    return [icon.slug, icon.title, icon.hex, ...new Set(aliases)];
  });
  return { set: ICON_SET, version, icons };
}

/**
 * Reads an icon index as served (`{set, version, icons: [[slug, title, hex, ...aliases]]}`), keeping
 * only well-formed icons: the slug becomes a URL path and the colour a style value, so neither may
 * carry anything else. Throws VaultError when the document is not an index at all.
 */
export function parseIconIndex({ json }: { json: unknown }): IconIndex {
  const doc = json as { set?: unknown; version?: unknown; icons?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || doc.set !== ICON_SET || !Array.isArray(doc.icons)) {
    throw new VaultError('invalid', 'icon index: not a Simple Icons index');
  }
  const icons: IconInfo[] = [];
  for (const row of doc.icons as unknown[]) {
    if (!Array.isArray(row) || row.length < 3 || !row.every((x) => typeof x === 'string')) continue;
    const [slug, title, hex, ...aliases] = row as string[];
    if (SLUG.test(slug!) && HEX.test(hex!) && title!.length > 0)
      icons.push({ slug: slug!, title: title!, hex: hex!.toUpperCase(), aliases });
  }
  return { set: ICON_SET, version: typeof doc.version === 'string' ? doc.version : '', icons };
}
