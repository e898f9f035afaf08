import { describe, expect, it } from 'vitest';
import { detectFormat, importFiles } from '../src/index.js';
import { sqliteBytes, sqlString } from './app-fixtures.js';
import { ALICE, core, source } from './helpers.js';

const SCHEMA =
  'CREATE TABLE `accounts` (`_id` INTEGER PRIMARY KEY AUTOINCREMENT, `name` TEXT NOT NULL, `username` TEXT NOT NULL, `oath_secret_key` TEXT NOT NULL, `account_type` INTEGER NOT NULL, `ux_position` INTEGER NOT NULL)';
const row = (name: string, username: string, secret: string, type: number) =>
  `INSERT INTO accounts (name, username, oath_secret_key, account_type, ux_position) VALUES (${sqlString(name)}, ${sqlString(username)}, ${sqlString(secret)}, ${type}, 0)`;

describe('Microsoft Authenticator database (Android)', () => {
  it('reads third-party TOTP accounts (Base32) and Microsoft accounts (Base64 secret, 8 digits)', async () => {
    const db = sqliteBytes([
      SCHEMA,
      row('Example', 'alice@example.com', 'JBSWY3DPEHPK3PXP', 0),
      row('Microsoft', 'bob@outlook.com', Buffer.from('12345678901234567890').toString('base64'), 1),
      row('Contoso', 'carol@contoso.com', '', 2),
    ]);
    const file = source('PhoneFactor', db);
    expect(detectFormat(file)).toBe('microsoft-authenticator-db');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'totp',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: null,
        issuer: 'Microsoft',
        account: 'bob@outlook.com',
      },
    ]);
    expect(r.skipped).toEqual([
      {
        index: 2,
        label: 'Contoso (carol@contoso.com)',
        reason: 'account_type: 2 is a sign-in by notification, which has no code to import',
      },
    ]);
  });
});
