/**
 * `canon(x)` of docs/PROTOCOL.md: JSON with object keys sorted recursively (by UTF-16 code units,
 * like `Array.prototype.sort`) and no whitespace. Used wherever bytes are hashed or signed, so the
 * client and the server must produce the same string for the same value.
 */
export function canon(value: unknown): string {
  return canonOfJsonValue(value) ?? slowCanon(value);
}

function slowCanon(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canon: non-finite number');
    if (value === undefined) throw new TypeError('canon: undefined has no JSON form');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => slowCanon(v)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${slowCanon((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * `canon(value)` written by the engine's JSON.stringify, for plain JSON data (strings, booleans,
 * null, finite numbers, plain objects and dense arrays): objects whose keys are not in order are
 * copied with sorted keys first. Several times faster than joining the pieces by hand (issue 14: a
 * restore hashes 1,000 records, and records parsed from canonical JSON need no copy at all).
 * Undefined for anything else (class instances, `toJSON`, undefined, holes, functions, non-finite
 * numbers, keys whose order an object cannot keep): the callers' own recursive form decides those.
 */
export function canonOfJsonValue(value: unknown): string | undefined {
  const form = sorted(value, 0);
  return form === NOT_PLAIN ? undefined : JSON.stringify(form);
}

const NOT_PLAIN: unique symbol = Symbol('not plain JSON');
const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
/** Deeper values are left to the recursive form, which fails the same way it always did. */
const MAX_DEPTH = 64;

/** `value` itself when JSON.stringify already writes it canonically, else such a copy, or NOT_PLAIN. */
function sorted(value: unknown, depth: number): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : NOT_PLAIN;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (depth > MAX_DEPTH) return NOT_PLAIN;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === ARRAY_PROTO) {
    const list = value as unknown[];
    let copy: unknown[] | null = null;
    for (let i = 0; i < list.length; i++) {
      // JSON.stringify writes a hole as null; the recursive form does not: left to it.
      if (!(i in list)) return NOT_PLAIN;
      const item = sorted(list[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      if (item !== list[i]) (copy ??= list.slice())[i] = item;
    }
    return copy ?? list;
  }
  if (proto !== OBJECT_PROTO && proto !== null) return NOT_PLAIN;
  const record = value as Record<string, unknown>;
  let inOrder = true;
  let children: Map<string, unknown> | null = null;
  let previous: string | undefined;
  // for...in (own keys only, the same ones in the same order as Object.keys) rather than an
  // Object.keys array: an object already in order, as every record parsed from canonical JSON is,
  // is then checked without allocating anything (issue 14: a restore hashes 1,000 records).
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    if (previous !== undefined && !(previous < key)) inOrder = false;
    previous = key;
    if (child === undefined) {
      inOrder = false; // dropped, as canon drops it
      continue;
    }
    const form = sorted(child, depth + 1);
    if (form === NOT_PLAIN) return NOT_PLAIN;
    if (form !== child) (children ??= new Map()).set(key, form);
  }
  return inOrder && children === null ? record : sortedCopy(record, children);
}

/**
 * `record` with its keys sorted (undefined values dropped, `children`'s forms in place of theirs),
 * or NOT_PLAIN. A function of its own: the closure below would otherwise make `sorted` allocate a
 * context on every call, for every value of every record hashed (issue 14).
 */
function sortedCopy(
  record: Record<string, unknown>,
  children: Map<string, unknown> | null,
): Record<string, unknown> | typeof NOT_PLAIN {
  // A prototype-less copy, so a "__proto__" key is an own property as in the original.
  const copy = Object.create(null) as Record<string, unknown>;
  const order = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  for (const key of order) copy[key] = children?.has(key) ? children.get(key) : record[key];
  // Integer-like keys ("10", "9") enumerate numerically whatever the insertion order.
  const written = Object.keys(copy);
  for (let i = 0; i < order.length; i++) if (written[i] !== order[i]) return NOT_PLAIN;
  return copy;
}
