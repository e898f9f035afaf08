import type { FormatReader } from '../types.js';
import { base64Decode } from '../util/bytes.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { EntryProblem } from '../util/fields.js';
import { intColumn, selectRows, sqliteSchemaMentions, textColumn, type Row } from '../util/sqlite.js';

/**
 * Microsoft Authenticator for Android's database (`databases/PhoneFactor`, SQLite), table `accounts`:
 * `name` (issuer), `username`, `oath_secret_key`, `account_type`. Type 0 is a third-party TOTP
 * account (Base32 secret, 6 digits); type 1 a Microsoft personal account with an 8-digit TOTP whose
 * secret is Base64. Other types are work or school sign-ins by notification: no code to import.
 */
function entryOf(row: Row): EntryInput {
  const type = intColumn(row, 'account_type');
  const base = {
    type: 'totp',
    algorithm: 'SHA1',
    period: 30,
    issuer: textColumn(row, 'name'),
    account: textColumn(row, 'username'),
  };
  if (type === 0) return { ...base, secret: textColumn(row, 'oath_secret_key'), digits: 6 };
  if (type === 1) {
    const secret = base64Decode(textColumn(row, 'oath_secret_key'));
    if (!secret) throw new EntryProblem('oath_secret_key', 'is not Base64');
    return { ...base, secret, digits: 8 };
  }
  throw new EntryProblem('account_type', `${type} is a sign-in by notification, which has no code to import`);
}

export const microsoftAuthenticatorDb: FormatReader = {
  id: 'microsoft-authenticator-db',
  name: 'Microsoft Authenticator database (Android)',
  encrypted: false,
  detect: (source) => sqliteSchemaMentions(source.bytes, ['oath_secret_key', 'account_type']),
  async read(source) {
    const ctx = contextOf(microsoftAuthenticatorDb, source);
    const rows = await selectRows({
      ctx,
      bytes: source.bytes,
      table: 'accounts',
      query: 'SELECT * FROM accounts ORDER BY _id',
    });
    return collectEntries(ctx, rows, labelFrom('name', 'username'), (raw) => entryOf(raw as Row));
  },
};
