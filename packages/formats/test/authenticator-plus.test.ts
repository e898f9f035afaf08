import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { sqliteBytes, zipBytes } from './app-fixtures.js';
import { ALICE, core, source } from './helpers.js';

const ACCOUNTS = [
  'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
  'otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air+Canada&algorithm=SHA256&digits=7&counter=50',
  'otpauth://totp/Broken:x?secret=JBSWY3DPEHPK3PXP&digits=99',
].join('\n');

describe('Authenticator Plus export (password-protected ZIP of Accounts.txt)', () => {
  it('opens the ZipCrypto archive with the password and reads each URI; a bad line is skipped', async () => {
    const zip = await zipBytes([{ name: 'Accounts.txt', data: ACCOUNTS }], {
      password: 'zip pw',
      zipCrypto: true,
    });
    const file = source('authplus.zip', zip);
    expect(detectFormat(file)).toBe('authenticator-plus');
    const r = await importFiles({ sources: [file], password: 'zip pw' });
    expect(r.format).toBe('authenticator-plus');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'KUVJJOM753IHTNDSZVCNKL7GII',
        algorithm: 'SHA256',
        digits: 7,
        period: null,
        counter: 50,
        issuer: 'Air Canada',
        account: 'Benjamin',
      },
    ]);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.reason).toMatch(/^digits/);
  });

  it('asks for the password and says when it is wrong', async () => {
    const zip = await zipBytes([{ name: 'Accounts.txt', data: ACCOUNTS }], {
      password: 'right',
      zipCrypto: true,
    });
    const missing = (await importFiles({ sources: [source('a.zip', zip)] }).catch((e) => e)) as FormatError;
    expect(missing.code).toBe('password-required');
    const wrong = (await importFiles({ sources: [source('a.zip', zip)], password: 'wrong' }).catch(
      (e) => e,
    )) as FormatError;
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toContain('Authenticator Plus');
  });

  it('refuses the SQLCipher database backup with a message naming the app, why, and what to export instead', async () => {
    const db = sqliteBytes(['CREATE TABLE accounts (email TEXT)']);
    const err = (await importFiles({
      sources: [source('authplus.db', db)],
      format: 'authenticator-plus',
    }).catch((e) => e)) as FormatError;
    expect(err).toBeInstanceOf(FormatError);
    expect(err.code).toBe('unsupported');
    expect(err.message).toContain('Authenticator Plus');
    expect(err.message).toContain('SQLCipher');
    expect(err.message).toMatch(/Export/);
  });
});
