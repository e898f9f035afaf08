import { canonOfJsonValue } from '@tessera/protocol';
/**
 * `canon(x)` of docs/PROTOCOL.md: JSON with object keys sorted recursively and no whitespace, so equal
 * values always give equal bytes (used wherever bytes are hashed, signed or compared).
 */
export function canon(value: unknown): string {
  // Plain JSON data: the same text as the recursive form below, written by the engine (faster).
  const fast = canonOfJsonValue(value);
  if (fast !== undefined) return fast;
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canon: cannot encode ${typeof value}`);
    return text;
  }
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canon(item))).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canon((value as Record<string, unknown>)[key])}`).join(',')}}`;
}
