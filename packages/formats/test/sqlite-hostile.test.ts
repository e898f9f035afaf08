import { describe, expect, it } from 'vitest';
import { FormatError, importFiles } from '../src/index.js';
import { sqliteBytes } from './app-fixtures.js';
import { source } from './helpers.js';

/**
 * A view whose recursive CTE never ends: `SELECT * FROM accounts ORDER BY _id` on it would run for
 * ever (sql.js has no progress handler to stop it). The file is a few KB.
 */
const endless = (name: string, columns: string) =>
  `CREATE VIEW ${name} AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT ${columns} FROM r WHERE n < 0`;

const GOOGLE_COLUMNS =
  "n AS _id, 'a' AS email, 'JBSWY3DPEHPK3PXP' AS secret, 0 AS counter, 0 AS type, n AS ranking";

async function refusal(name: string, bytes: Uint8Array, format: string): Promise<FormatError> {
  const err = (await importFiles({ sources: [source(name, bytes)], format }).catch(
    (e: unknown) => e,
  )) as FormatError;
  expect(err).toBeInstanceOf(FormatError);
  return err;
}

describe('hostile SQLite databases are refused before any query runs', () => {
  it('Google Authenticator: `accounts` as a recursive view (4 KB) is refused with a clear message', async () => {
    const db = sqliteBytes([endless('accounts', GOOGLE_COLUMNS)]);
    expect(db.length).toBeLessThanOrEqual(8192);
    const err = await refusal('databases', db, 'google-authenticator-db');
    expect(err.code).toBe('damaged');
    expect(err.message).toBe(
      'databases: damaged Google Authenticator database (Android) file: it contains the view "accounts", which the app never creates; only plain tables are read (the file may be damaged or hostile)',
    );
  });

  it('Microsoft Authenticator and Stratum get the same guard', async () => {
    const ms = sqliteBytes([
      endless(
        'accounts',
        "n AS _id, 'a' AS name, 'b' AS username, 'JBSWY3DPEHPK3PXP' AS oath_secret_key, 0 AS account_type",
      ),
    ]);
    expect((await refusal('PhoneFactor', ms, 'microsoft-authenticator-db')).message).toMatch(
      /^PhoneFactor: damaged .*: it contains the view "accounts", which the app never creates/,
    );
    // Stratum reads a database whose schema names both of its tables.
    const stratum = sqliteBytes([
      'CREATE TABLE "authenticatorcategory" ("categoryId" varchar, "authenticatorSecret" varchar, "ranking" integer)',
      endless(
        '"authenticator"',
        "0 AS type, 'i' AS issuer, 'u' AS username, 'JBSWY3DPEHPK3PXP' AS secret, 0 AS algorithm, 6 AS digits, 30 AS period, 0 AS counter, n AS ranking",
      ),
    ]);
    expect((await refusal('authenticator.db3', stratum, 'stratum')).message).toMatch(
      /^authenticator\.db3: damaged .*: it contains the view "authenticator", which the app never creates/,
    );
  });

  it('a real table beside a view or trigger, or with computed columns, is refused too', async () => {
    const table =
      'CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER)';
    const withView = sqliteBytes([table, endless('elsewhere', GOOGLE_COLUMNS)]);
    expect((await refusal('databases', withView, 'google-authenticator-db')).message).toMatch(
      /contains the view "elsewhere"/,
    );
    const withTrigger = sqliteBytes([
      table,
      'CREATE TRIGGER t AFTER INSERT ON accounts BEGIN DELETE FROM accounts; END',
    ]);
    expect((await refusal('databases', withTrigger, 'google-authenticator-db')).message).toMatch(
      /contains the trigger "t"/,
    );
    const computed = sqliteBytes([
      'CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT AS (hex(zeroblob(1000000))), secret TEXT NOT NULL, counter INTEGER, type INTEGER)',
    ]);
    expect((await refusal('databases', computed, 'google-authenticator-db')).message).toMatch(
      /its table "accounts" is virtual or has computed columns/,
    );
    const missing = sqliteBytes(['CREATE TABLE other (x)']);
    expect((await refusal('databases', missing, 'google-authenticator-db')).message).toMatch(
      /it has no table "accounts"/,
    );
  });
});
