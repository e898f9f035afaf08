// The 1,000-entry vaults of the benchmarks: entry n, a TOTP secret of its own.

/** Entry `n` (0 ≤ n < 32⁴): a distinct TOTP secret, issuer and account. */
export function entry(n) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const tail = [3, 2, 1, 0].map((i) => alphabet[Math.floor(n / 32 ** i) % 32]).join('');
  return {
    type: 'totp',
    secret: `JBSWY3DPEHPK${tail}`,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: null,
    issuer: `Service ${n}`,
    account: `user${n}@example.com`,
  };
}
