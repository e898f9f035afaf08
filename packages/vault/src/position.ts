/**
 * Position keys of the manual order (docs/PROTOCOL.md §3, `entry.position`): strings that sort in
 * list order by plain code-unit comparison. A key is a fraction in base 62 written after the point
 * (digits `0-9A-Za-z`, in ASCII order) that never ends in `0`, so between any two distinct keys
 * there is always another. Moving one entry therefore writes that entry only, and two devices that
 * move different entries at the same time both keep their move after the merge.
 */

/** The digits in ascending code-unit order, so string order is numeric order. */
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = DIGITS.length;

/**
 * Longest key this code makes before it re-spreads a group instead (`Vault.move`): repeated moves
 * into one narrowing gap grow a key by about one digit per five moves.
 */
export const POSITION_SPREAD_AT = 40;

/** Longest key accepted from another device; longer is a bug or hostile input. */
export const MAX_POSITION_LENGTH = 256;

const KEY = /^[0-9A-Za-z]*[1-9A-Za-z]$/;

/** Whether `value` is a well-formed position key. */
export function isPositionKey(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_POSITION_LENGTH && KEY.test(value);
}

function digit(key: string, i: number): number {
  return i < key.length ? DIGITS.indexOf(key[i]!) : 0;
}

/**
 * A key strictly between `lower` and `upper` (null: the start, or the end, of the list). Throws
 * when `lower >= upper`; callers give neighbours of a sorted list with distinct keys.
 */
export function positionBetween({ lower, upper }: { lower: string | null; upper: string | null }): string {
  if (lower !== null && !isPositionKey(lower)) throw new Error(`positionBetween: bad key ${lower}`);
  if (upper !== null && !isPositionKey(upper)) throw new Error(`positionBetween: bad key ${upper}`);
  if (lower !== null && upper !== null && lower >= upper)
    throw new Error('positionBetween: lower must sort before upper');
  if (upper === null) return after(lower ?? '');
  return between(lower ?? '', upper);
}

/**
 * After `key` (towards the end): raise the first digit that can be raised, dropping what follows.
 * Appending one entry at a time keeps keys short: 30 one-digit keys, then 31 per extra digit.
 */
function after(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const d = digit(key, i);
    if (d < BASE - 1) return key.slice(0, i) + DIGITS[d + 1]!;
  }
  // Empty (the first key of a list) or all `z`: one digit more, in the middle of its range.
  return key + DIGITS[BASE / 2]!;
}

/** The midpoint of two digit strings, `lower < upper` (lower may be empty: zero). */
function between(lower: string, upper: string): string {
  // A shared prefix stays; the midpoint is found in what follows it.
  let n = 0;
  while (n < upper.length && digit(lower, n) === digit(upper, n)) n++;
  const prefix = upper.slice(0, n);
  const lo = digit(lower, n);
  const hi = digit(upper, n);
  if (hi - lo > 1) return prefix + DIGITS[Math.floor((lo + hi) / 2)]!;
  // Adjacent digits: `upper` cut after this digit is still above `lower` when more of it follows.
  if (n + 1 < upper.length) return upper.slice(0, n + 1);
  // Otherwise keep lower's digit and go one place deeper, above the rest of lower.
  return prefix + DIGITS[lo]! + after(lower.slice(n + 1));
}

/**
 * `count` ascending keys strictly between `lower` and `upper`, evenly spread at the fewest digits
 * that leave room for them (about log62(count) + 1): what an import of many entries, or a
 * re-spread of a worn-out group, writes. One key is `positionBetween`'s.
 */
export function positionsBetween({
  lower,
  upper,
  count,
}: {
  lower: string | null;
  upper: string | null;
  count: number;
}): string[] {
  if (count <= 0) return [];
  if (count === 1) return [positionBetween({ lower, upper })];
  if (lower !== null && upper !== null && lower >= upper)
    throw new Error('positionsBetween: lower must sort before upper');
  for (let width = 1; ; width++) {
    // The bounds as integers of `width` digits: lower rounded down, upper rounded up. Every integer
    // strictly between is strictly between the keys (neither key ends in 0).
    const low = lower === null ? 0n : toInteger(lower, width);
    const full = BigInt(BASE) ** BigInt(width);
    const high = upper === null ? full : toInteger(upper, width) + (upper.length > width ? 1n : 0n);
    const room = high - low - 1n;
    if (room < BigInt(count)) continue;
    const keys: string[] = [];
    const step = high - low;
    for (let i = 1; i <= count; i++) {
      keys.push(fromInteger(low + (step * BigInt(i)) / BigInt(count + 1), width));
    }
    return keys;
  }
}

/** The first `width` digits of `key` as an integer (missing digits are zeros). */
function toInteger(key: string, width: number): bigint {
  let value = 0n;
  for (let i = 0; i < width; i++) value = value * BigInt(BASE) + BigInt(digit(key, i));
  return value;
}

/** `value` as `width` digits, trailing zeros dropped (the same fraction, as a valid key). */
function fromInteger(value: bigint, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = DIGITS[Number(value % BigInt(BASE))]! + out;
    value /= BigInt(BASE);
  }
  return out.replace(/0+$/, '');
}
