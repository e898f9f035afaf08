import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { javaStringMap, prefsXml, zipBytes } from './app-fixtures.js';
import { source } from './helpers.js';

/**
 * Arbitrary input shaped like the binary, XML, database, ZIP and image formats (magic bytes and
 * markers followed by anything): detection and import answer with entries or a typed FormatError,
 * never another exception, and within a second.
 */
const text = (s: string) => [...new TextEncoder().encode(s)];

const PREFIXES: number[][] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // PNG
  [0xff, 0xd8, 0xff, 0xe0], // JPEG
  [
    ...text('SQLite format 3\u0000'),
    ...text(
      'CREATE TABLE accounts email TEXT secret TEXT oath_secret_key account_type "authenticator" "authenticatorcategory"',
    ),
  ],
  [0x50, 0x4b, 0x03, 0x04], // ZIP
  [0xac, 0xed, 0x00, 0x05, ...text('java.util.HashMap masterKey')],
  text('AuthenticatorPro'),
  text('AUTHENTICATORPRO'),
];

const PREF_KEYS = [
  'com.authy.storage.tokens.authenticator.key',
  'tokenOrder',
  'STATIC_TOTP_CODES_LIST',
  'com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET',
];

async function outcome(bytes: Uint8Array, password?: string): Promise<void> {
  const file = source('input', bytes);
  detectFormat(file);
  try {
    const r = await importFiles({ sources: [file], ...(password ? { password } : {}) });
    expect(Array.isArray(r.entries) && Array.isArray(r.skipped)).toBe(true);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
  }
}

describe('binary and XML readers on arbitrary input', () => {
  it('magic bytes followed by anything', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREFIXES),
        fc.uint8Array({ maxLength: 2000 }),
        async (prefix, tail) => {
          await outcome(Uint8Array.from([...prefix, ...tail]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Android preferences holding arbitrary text under the keys the readers look for', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREF_KEYS),
        fc.oneof(fc.string(), fc.json()),
        async (key, value) => {
          await outcome(new TextEncoder().encode(prefsXml({ [key]: value, tokenOrder: '[]' })), 'pw');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a FreeOTP 2 backup map holding arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string(), fc.oneof(fc.string(), fc.json())), { maxLength: 6 }),
        fc.json(),
        async (pairs, master) => {
          await outcome(javaStringMap([['masterKey', master], ...pairs]), 'pw');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ZIPs with the entry names the readers look for and arbitrary content', async () => {
    const names = ['Accounts.txt', 'raivo-otp-export.json', 'Proton Pass/data.json'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.oneof(fc.string(), fc.json()), async (name, content) => {
        await outcome(await zipBytes([{ name, data: content }]));
      }),
      { numRuns: 100 },
    );
  });
});
