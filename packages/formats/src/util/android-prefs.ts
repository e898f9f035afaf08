import { XMLParser } from 'fast-xml-parser';
import { damaged, tooLarge, type FormatContext } from './errors.js';
import { LIMITS } from './limits.js';

/**
 * Android SharedPreferences files (`shared_prefs/*.xml`): a `<map>` of typed values, each with a
 * `name` attribute. Several apps keep their tokens there (Authy, FreeOTP, TOTP Authenticator,
 * Battle.net), so reading the map is shared; each reader then looks at its own keys.
 *
 *   <map>
 *     <string name="key">text</string>
 *     <int name="key" value="1" />   (also long, float, boolean)
 *     <set name="key"><string>a</string></set>
 *   </map>
 */
export interface PrefValue {
  type: 'string' | 'int' | 'long' | 'float' | 'boolean' | 'set';
  /** The string value, or the `value` attribute; sets join nothing and use `items`. */
  value: string;
  items?: string[];
}

const VALUE_TAGS = ['string', 'int', 'long', 'float', 'boolean', 'set'] as const;

/** Most preferences in one file; real files hold a few dozen. */
const MAX_PREFS = 10_000;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  alwaysCreateTextNode: true,
  processEntities: true,
  htmlEntities: false,
  // Shared prefs nest three levels (map > set > string); anything deeper is not this format.
  maxNestedTags: 8,
  isArray: (tagName) => (VALUE_TAGS as readonly string[]).includes(tagName),
});

/** Cheap check used by detect(): an Android preferences file that names `key`. */
export function looksLikePrefs(text: string | null, key: string): boolean {
  if (text === null) return false;
  const head = text.slice(0, 512).trimStart();
  if (!head.startsWith('<?xml') && !head.startsWith('<map')) return false;
  return text.includes(`name="${key}"`);
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const t = (node as Record<string, unknown>)['#text'];
    return typeof t === 'string' ? t : '';
  }
  return '';
}

/**
 * Parses a SharedPreferences XML file into a name → value map. Refuses DOCTYPE declarations
 * (entity expansion is not part of this format) and files over the size cap.
 */
export function parsePrefs(ctx: FormatContext, text: string): Map<string, PrefValue> {
  if (text.length > LIMITS.maxFileBytes) throw tooLarge(ctx, `file larger than ${LIMITS.maxFileBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw damaged(ctx, 'XML with a DOCTYPE declaration is not an Android preferences file');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw damaged(ctx, `invalid XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const map = doc['map'];
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw damaged(ctx, 'expected an Android preferences file (a <map> root element)');
  }
  const out = new Map<string, PrefValue>();
  for (const type of VALUE_TAGS) {
    const nodes = (map as Record<string, unknown>)[type];
    if (!Array.isArray(nodes)) continue;
    for (const node of nodes) {
      if (out.size >= MAX_PREFS) throw tooLarge(ctx, `more than ${MAX_PREFS} preferences`);
      if (!node || typeof node !== 'object') continue;
      const attrs = node as Record<string, unknown>;
      const name = attrs['@_name'];
      if (typeof name !== 'string') continue;
      if (type === 'string') out.set(name, { type, value: textOf(node) });
      else if (type === 'set') {
        const inner = attrs['string'];
        const items = Array.isArray(inner) ? inner.map(textOf) : [];
        out.set(name, { type, value: '', items });
      } else {
        const v = attrs['@_value'];
        out.set(name, { type, value: typeof v === 'string' ? v : '' });
      }
    }
  }
  return out;
}

/** The string preference `key`, or a `damaged` error naming it. */
export function requireStringPref(ctx: FormatContext, prefs: Map<string, PrefValue>, key: string): string {
  const v = prefs.get(key);
  if (!v || v.type !== 'string') throw damaged(ctx, `the preference ${key} is missing`, { field: key });
  return v.value;
}
