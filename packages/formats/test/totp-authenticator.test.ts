import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { cbcEncrypt, prefsXml, secretBytes, sha256 } from './app-fixtures.js';
import { core, source } from './helpers.js';

/** Accounts as TOTP Authenticator stores them: secret in base 16, 32 or 64; digits and period as text. */
const ACCOUNTS = [
  {
    base: 16,
    key: Buffer.from(secretBytes('JBSWY3DPEHPK3PXP')).toString('hex').toUpperCase(),
    issuer: 'Example',
    name: 'alice',
    digits: '6',
    period: '30',
  },
  {
    base: 32,
    key: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA',
    issuer: 'GitLab',
    name: 'bob',
    digits: '8',
    period: '60',
  },
  {
    base: 64,
    key: Buffer.from(secretBytes('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toString('base64'),
    issuer: 'Work',
    name: 'carol',
    digits: '7',
    period: '20',
  },
];
const EXPECTED = [
  {
    type: 'totp',
    secret: 'JBSWY3DPEHPK3PXP',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: null,
    issuer: 'Example',
    account: 'alice',
  },
  {
    type: 'totp',
    secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA',
    algorithm: 'SHA1',
    digits: 8,
    period: 60,
    counter: null,
    issuer: 'GitLab',
    account: 'bob',
  },
  {
    type: 'totp',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 7,
    period: 20,
    counter: null,
    issuer: 'Work',
    account: 'carol',
  },
];

/** The app's backup: Base64 of AES-256-CBC(SHA-256(password), zero IV) of {"<accounts JSON>": "<time>"}. */
function backup(password: string, accounts: unknown[] = ACCOUNTS): string {
  const plaintext = Buffer.from(JSON.stringify({ [JSON.stringify(accounts)]: '1700000000' }));
  return cbcEncrypt(sha256(Buffer.from(password)), new Uint8Array(16), plaintext).toString('base64');
}

describe('TOTP Authenticator', () => {
  it('decrypts the backup file with its password', async () => {
    const file = source('backup.bin', backup('Secret1'));
    expect(detectFormat(file)).toBe('totp-authenticator');
    const r = await importFiles({ sources: [file], password: 'Secret1' });
    expect(r.entries.map(core)).toEqual(EXPECTED);
  });

  it("opens a backup made without a password of the user's (the app's built-in one) with no password given", async () => {
    const file = source('backup.bin', backup('TotpAuthenticator'));
    expect((await importFiles({ sources: [file] })).entries.map(core)).toEqual(EXPECTED);
    // ... and when the user gives a password, thinking they had set one.
    expect((await importFiles({ sources: [file], password: 'guess' })).entries.map(core)).toEqual(EXPECTED);
  });

  it('says a password is needed, or wrong', async () => {
    const content = backup('Secret1');
    const missing = (await importFiles({ sources: [source('b.bin', content)] }).catch(
      (e) => e,
    )) as FormatError;
    expect(missing.code).toBe('password-required');
    const wrong = (await importFiles({ sources: [source('b.bin', content)], password: 'nope' }).catch(
      (e) => e,
    )) as FormatError;
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toContain('TOTP Authenticator');
  });

  it('reads the app preferences, where accounts may be JSON strings, and skips an unknown encoding', async () => {
    const list = [ACCOUNTS[0], JSON.stringify(ACCOUNTS[1]), { ...ACCOUNTS[2], base: 8 }];
    const xml = prefsXml({ RATE_US_COUNTER: 3, STATIC_TOTP_CODES_LIST: JSON.stringify(list) });
    const file = source('TOTP_Authenticator_Preferences.xml', xml);
    expect(detectFormat(file)).toBe('totp-authenticator');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual(EXPECTED.slice(0, 2));
    expect(r.skipped).toEqual([
      { index: 2, label: 'Work (carol)', reason: 'base: unsupported secret encoding: base 8' },
    ]);
  });
});
