import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode } from '@tessera/otp';
import { findLeaks } from './leaks.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP';
const LABEL = 'Savings Bank (alice@example.com)';

/** `inner` embedded after `offset` random bytes, in a stored value encoded as `encoding`. */
function planted(inner: Buffer, encoding: 'base64' | 'base64url' | 'hex' | 'raw', offset: number): Buffer {
  const value = Buffer.concat([randomBytes(offset), inner, randomBytes(7)]);
  const text = encoding === 'raw' ? value : Buffer.from(value.toString(encoding));
  return Buffer.concat([randomBytes(100), text, randomBytes(100)]);
}

describe('the zero-knowledge scan', () => {
  it('finds a secret or a label planted in any encoding at any alignment, and nothing in random data', () => {
    for (const encoding of ['raw', 'hex', 'base64', 'base64url'] as const) {
      for (const offset of [0, 1, 2]) {
        const secretDump = planted(Buffer.from(base32Decode(SECRET)), encoding, offset);
        expect(findLeaks(secretDump, { secrets: [SECRET], texts: [] }), `${encoding}+${offset}`).not.toEqual(
          [],
        );
        const labelDump = planted(Buffer.from(LABEL), encoding, offset);
        expect(findLeaks(labelDump, { secrets: [], texts: [LABEL] }), `${encoding}+${offset}`).not.toEqual(
          [],
        );
      }
    }
    expect(findLeaks(Buffer.from(`x${SECRET}x`), { secrets: [SECRET], texts: [] })).not.toEqual([]);
    expect(findLeaks(randomBytes(100_000), { secrets: [SECRET], texts: [LABEL] })).toEqual([]);
  });
});
