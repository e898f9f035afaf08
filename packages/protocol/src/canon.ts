/**
 * `canon(x)` of docs/PROTOCOL.md: JSON with object keys sorted recursively (by UTF-16 code units,
 * like `Array.prototype.sort`) and no whitespace. Used wherever bytes are hashed or signed, so the
 * client and the server must produce the same string for the same value.
 */
export function canon(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canon: non-finite number');
    if (value === undefined) throw new TypeError('canon: undefined has no JSON form');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canon(v)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
