/**
 * t-of-n splitting with the audited `shamir-secret-sharing` package (GF(256), a share is the secret's
 * length plus one byte). The package needs t ≥ 2; with t = 1 every realm holds the value itself.
 */
import { combine, split } from 'shamir-secret-sharing';

export async function splitT(secret: Uint8Array, n: number, t: number): Promise<Uint8Array[]> {
  if (t === 1) return Array.from({ length: n }, () => Uint8Array.from(secret));
  return split(secret, n, t);
}

/**
 * The first combination of t shares whose result passes `check`, and the indexes used; null if
 * none does. Trying every t-subset (at most C(n, t), n ≤ 16) lets a lying realm be outvoted.
 */
export async function combineChecked(
  shares: Uint8Array[],
  t: number,
  check: (value: Uint8Array) => boolean,
): Promise<{ value: Uint8Array; used: number[] } | null> {
  for (const used of subsets(shares.length, t)) {
    const picked = used.map((i) => shares[i]!);
    let value: Uint8Array;
    try {
      value = t === 1 ? picked[0]! : await combine(picked);
    } catch {
      continue; // a forged share can break the encoding (duplicate x, other length)
    }
    if (check(value)) return { value, used };
  }
  return null;
}

function* subsets(n: number, t: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === t) {
    yield prefix;
    return;
  }
  for (let i = start; i <= n - (t - prefix.length); i++) yield* subsets(n, t, i + 1, [...prefix, i]);
}
