import { describe, expect, it } from 'vitest';
import { detectFormat, importFiles } from '../src/index.js';
import { javaBytes, prefsXml, secretBytes } from './app-fixtures.js';
import { core, SAMPLE, source } from './helpers.js';

/** FreeOTP's token JSON (Gson field names of its Token class); the counter is stored minus one. */
function token(e: (typeof SAMPLE)[number]) {
  return {
    algo: e.algorithm,
    counter: e.type === 'hotp' ? e.counter! : 0,
    digits: e.digits,
    issuerExt: e.type === 'steam' ? 'Steam' : e.issuer,
    issuerInt: e.issuer,
    label: e.account,
    period: e.period ?? 30,
    secret: javaBytes(secretBytes(e.secret)),
    type: e.type === 'hotp' ? 'HOTP' : 'TOTP',
  };
}

const id = (e: (typeof SAMPLE)[number]) => `${e.issuer}:${e.account}`;

function tokensXml(entries = SAMPLE, order = entries.map(id)): string {
  return prefsXml({
    ...Object.fromEntries(entries.map((e) => [id(e), JSON.stringify(token(e))])),
    tokenOrder: JSON.stringify(order),
  });
}

describe('FreeOTP and FreeOTP+ token store (tokens.xml)', () => {
  it('reads every token in the user order; a TOTP token with issuer Steam is a Steam token', async () => {
    const file = source('tokens.xml', tokensXml(SAMPLE, [...SAMPLE].reverse().map(id)));
    expect(detectFormat(file)).toBe('freeotp');
    const r = await importFiles({ sources: [file] });
    expect(r.format).toBe('freeotp');
    expect(r.entries.map(core)).toEqual(
      [...SAMPLE].reverse().map((e) => ({ ...core(e), issuer: e.type === 'steam' ? 'Steam' : e.issuer })),
    );
  });

  it('is also readable under the FreeOTP+ name', async () => {
    const r = await importFiles({
      sources: [source('tokens.xml', tokensXml())],
      format: 'freeotp-plus-internal',
    });
    expect(r.format).toBe('freeotp-plus-internal');
    expect(r.entries).toHaveLength(SAMPLE.length);
  });

  it('skips a token that is not JSON or has a bad secret, naming why, and keeps the rest', async () => {
    const xml = prefsXml({
      'A:a': JSON.stringify(token(SAMPLE[0]!)),
      'B:b': '{not json',
      'C:c': JSON.stringify({ ...token(SAMPLE[0]!), issuerExt: 'C', label: 'c', secret: [1, 2, 'x'] }),
      tokenOrder: JSON.stringify(['A:a', 'B:b', 'C:c']),
    });
    const r = await importFiles({ sources: [source('tokens.xml', xml)] });
    expect(r.entries.map(core)).toEqual([core(SAMPLE[0]!)]);
    expect(r.skipped).toEqual([
      { index: 1, label: '(unnamed)', reason: expect.stringMatching(/^entry: expected an object/) },
      { index: 2, label: 'C (c)', reason: 'secret: item 2 is not a byte' },
    ]);
  });
});
