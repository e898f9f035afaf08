import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { sqliteBytes, sqlString } from './app-fixtures.js';
import { ALICE, core, source } from './helpers.js';

const SCHEMA =
  'CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0, issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL)';

const row = (email: string, secret: string, type: number, counter: number, issuer: string | null) =>
  `INSERT INTO accounts (email, secret, counter, type, issuer, original_name) VALUES (${sqlString(email)}, ${sqlString(secret)}, ${counter}, ${type}, ${sqlString(issuer)}, ${sqlString(email)})`;

describe('Google Authenticator database (Android)', () => {
  it('reads TOTP and HOTP accounts; the issuer column wins, else the label prefix', async () => {
    const db = sqliteBytes([
      SCHEMA,
      'CREATE TABLE android_metadata (locale TEXT)',
      row('Example:alice@example.com', 'jbsw y3dp ehpk 3pxp', 0, 0, 'Example'),
      row('GitLab:bob', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1, 41, null),
      row('carol', 'KRUGKIDROVUWG2ZA', 0, 0, null),
    ]);
    const file = source('databases', db);
    expect(detectFormat(file)).toBe('google-authenticator-db');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 6,
        period: null,
        counter: 41,
        issuer: 'GitLab',
        account: 'bob',
      },
      {
        type: 'totp',
        secret: 'KRUGKIDROVUWG2ZA',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
        issuer: '',
        account: 'carol',
      },
    ]);
  });

  it('skips an account of an unknown type or with a bad secret, and names the file of a damaged database', async () => {
    const db = sqliteBytes([SCHEMA, row('A:x', 'JBSWY3DPEHPK3PXP', 7, 0, 'A'), row('B:y', '!!!', 0, 0, 'B')]);
    const r = await importFiles({ sources: [source('databases', db)] });
    expect(r.entries).toEqual([]);
    expect(r.skipped.map((s) => [s.label, s.reason.split(':')[0]])).toEqual([
      ['A (x)', 'type'],
      ['B (y)', 'secret'],
    ]);
    const damaged = db.slice(0, 200);
    const err = (await importFiles({
      sources: [source('databases', damaged)],
      format: 'google-authenticator-db',
    }).catch((e) => e)) as FormatError;
    expect(err).toBeInstanceOf(FormatError);
    expect(err.code).toBe('damaged');
    expect(err.message).toContain('databases');
  });
});
