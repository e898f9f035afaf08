import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import {
  cbcEncrypt,
  gcmEncrypt,
  pbkdf2,
  randomBytes,
  sqliteBytes,
  sqlString,
  stratumKey,
} from './app-fixtures.js';
import { core, SAMPLE, source } from './helpers.js';

/** Stratum's numbers for types and algorithms. */
const TYPE = { hotp: 1, totp: 2, steam: 4 } as const;
const ALGORITHM = { SHA1: 0, SHA256: 1, SHA512: 2 } as const;

const authenticators = SAMPLE.map((e) => ({
  Type: TYPE[e.type],
  Icon: null,
  Issuer: e.issuer,
  Username: e.account,
  Secret: e.secret,
  Pin: null,
  Algorithm: ALGORITHM[e.algorithm],
  Digits: e.digits,
  Period: e.period ?? 30,
  Counter: e.counter ?? 0,
  Ranking: 0,
}));
const backup = {
  Authenticators: authenticators,
  Categories: [],
  AuthenticatorCategories: [],
  CustomIcons: [],
};
const plainJson = Buffer.from(JSON.stringify(backup));

function encrypted(password: string): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  return Buffer.concat([
    Buffer.from('AUTHENTICATORPRO'),
    salt,
    iv,
    gcmEncrypt(stratumKey(password, salt), iv, plainJson),
  ]);
}

function legacy(password: string): Uint8Array {
  const salt = randomBytes(20);
  const iv = randomBytes(16);
  return Buffer.concat([
    Buffer.from('AuthenticatorPro'),
    salt,
    iv,
    cbcEncrypt(pbkdf2(password, salt, 64_000, 'sha1'), iv, plainJson),
  ]);
}

const expected = SAMPLE.map(core);

describe('Stratum / Authenticator Pro', () => {
  it('reads the plain JSON backup, every type and algorithm', async () => {
    const file = source('backup.json', plainJson);
    expect(detectFormat(file)).toBe('stratum');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual(expected);
  });

  it('decrypts the Argon2id + AES-GCM backup, and says when the password is wrong', async () => {
    const bytes = encrypted('test pw');
    expect(detectFormat(source('backup.bin', bytes))).toBe('stratum');
    const r = await importFiles({ sources: [source('backup.bin', bytes)], password: 'test pw' });
    expect(r.entries.map(core)).toEqual(expected);
    const err = await importFiles({ sources: [source('backup.bin', bytes)], password: 'nope' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('wrong-password');
    expect((err as FormatError).message).toContain('Stratum');
  });

  it('decrypts the legacy PBKDF2 + AES-CBC backup; a missing or wrong password is reported', async () => {
    const bytes = legacy('old');
    const r = await importFiles({ sources: [source('legacy.bin', bytes)], password: 'old' });
    expect(r.entries.map(core)).toEqual(expected);
    for (const password of [undefined, 'other']) {
      const err = (await importFiles({
        sources: [source('legacy.bin', bytes)],
        ...(password ? { password } : {}),
      }).catch((e: unknown) => e)) as FormatError;
      expect(err.code).toBe(password ? 'wrong-password' : 'password-required');
    }
  });

  it('reads the app database (SQLite) without writing anything, and skips unsupported types with the reason', async () => {
    const rows = authenticators.map(
      (a, i) =>
        `INSERT INTO authenticator VALUES (${a.Type}, NULL, ${sqlString(a.Issuer)}, ${sqlString(a.Username)}, ${sqlString(a.Secret)}, NULL, ${a.Algorithm}, ${a.Digits}, ${a.Period}, ${a.Counter}, ${i})`,
    );
    const db = sqliteBytes([
      'CREATE TABLE "authenticator" ("type" integer, "icon" varchar, "issuer" varchar(32), "username" varchar(40), "secret" varchar primary key not null, "pin" varchar, "algorithm" integer, "digits" integer, "period" integer, "counter" integer, "ranking" integer)',
      'CREATE TABLE "authenticatorcategory" ("categoryId" varchar, "authenticatorSecret" varchar, "ranking" integer)',
      ...rows,
      "INSERT INTO authenticator VALUES (3, NULL, 'Mobile', 'motp', 'ABCDEFGH', '1234', 0, 6, 10, 0, 99)",
    ]);
    const copy = db.slice();
    const file = source('authenticator.db3', db);
    expect(detectFormat(file)).toBe('stratum');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual(expected);
    expect(r.skipped).toEqual([
      { index: 5, label: 'Mobile (motp)', reason: 'Type: mOTP codes are not supported by Tessera' },
    ]);
    expect(db).toEqual(copy);
  });

  it('names the entry and field of a damaged authenticator', async () => {
    const broken = {
      Authenticators: [
        { ...authenticators[0], Algorithm: 7 },
        { ...authenticators[1], Secret: 42 },
      ],
    };
    const r = await importFiles({ sources: [source('b.json', JSON.stringify(broken))] });
    expect(r.entries).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      'Algorithm: unknown algorithm 7',
      expect.stringMatching(/^Secret: /),
    ]);
  });
});
