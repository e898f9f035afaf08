import type { ImportSource, ImportedEntry } from '../src/index.js';

/** Synthetic entries covering every type and option Tessera holds (no real secrets). */
export const SAMPLE: ImportedEntry[] = [
  {
    type: 'totp',
    secret: 'JBSWY3DPEHPK3PXP',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: null,
    issuer: 'Example',
    account: 'alice@example.com',
  },
  {
    type: 'totp',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA',
    algorithm: 'SHA256',
    digits: 8,
    period: 30,
    counter: null,
    issuer: 'Air Canada',
    account: 'bob: the builder',
    tags: ['Work'],
  },
  {
    type: 'totp',
    secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT',
    algorithm: 'SHA512',
    digits: 7,
    period: 60,
    counter: null,
    issuer: 'Ünïcødé & <Co>',
    account: 'carol',
  },
  {
    type: 'hotp',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 6,
    period: null,
    counter: 42,
    issuer: 'Counter',
    account: 'dave',
  },
  {
    type: 'steam',
    secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
    algorithm: 'SHA1',
    digits: 5,
    period: 30,
    counter: null,
    issuer: 'Steam',
    account: 'erin',
  },
];

/** Entries a Google export can carry (TOTP 30 s with 6/8 digits, HOTP). */
export const GOOGLE_SAMPLE = SAMPLE.filter(
  (e) => e.type === 'hotp' || (e.type === 'totp' && e.period === 30 && (e.digits === 6 || e.digits === 8)),
);

export function source(name: string, content: string | Uint8Array): ImportSource {
  return { name, bytes: typeof content === 'string' ? new TextEncoder().encode(content) : content };
}

/** Entry fields compared after a round trip (tags compared separately where the format holds them). */
export function core(e: ImportedEntry) {
  return {
    type: e.type,
    secret: e.secret,
    algorithm: e.algorithm,
    digits: e.digits,
    period: e.period,
    counter: e.counter,
    issuer: e.issuer,
    account: e.account,
  };
}

export const json = (value: unknown) => JSON.stringify(value);

/** The entry most tests expect (the Key URI Format wiki's example secret). */
export const ALICE = {
  type: 'totp',
  secret: 'JBSWY3DPEHPK3PXP',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  counter: null,
  issuer: 'Example',
  account: 'alice@example.com',
} as const;
