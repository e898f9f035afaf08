/**
 * `canon(x)`: JSON with object keys sorted recursively and no whitespace (docs/PROTOCOL.md, notation).
 * Used wherever bytes are hashed, signed or encrypted so every client produces identical bytes.
 */
export function canon(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const inner = (value as Record<string, unknown>)[key];
      // JSON.stringify drops undefined members; drop them here too so hashes match after a round trip.
      if (inner !== undefined) out[key] = sortKeys(inner);
    }
    return out;
  }
  return value;
}
