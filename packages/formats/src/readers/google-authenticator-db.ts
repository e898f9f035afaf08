import type { FormatReader } from '../types.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { EntryProblem } from '../util/fields.js';
import { intColumn, selectRows, sqliteSchemaMentions, textColumn, type Row } from '../util/sqlite.js';

/**
 * Google Authenticator for Android's own database (`databases/databases`, SQLite), table `accounts`:
 * `email` (the label, often `Issuer:account`), `secret` (Base32), `counter`, `type` (0 TOTP, 1 HOTP),
 * `issuer`. The app only ever made SHA1, 6-digit, 30-second codes, so those are the defaults used.
 */
const TYPES: Record<number, string> = { 0: 'totp', 1: 'hotp' };

/** Issuer and account from the `email` label and `issuer` column (the column wins, as in the app). */
function names(row: Row): { issuer: string; account: string } {
  const label = textColumn(row, 'email');
  const colon = label.indexOf(':');
  const prefix = colon >= 0 ? label.slice(0, colon) : '';
  const account = colon >= 0 ? label.slice(colon + 1) : label;
  return { issuer: textColumn(row, 'issuer') || prefix, account };
}

export const googleAuthenticatorDb: FormatReader = {
  id: 'google-authenticator-db',
  name: 'Google Authenticator database (Android)',
  encrypted: false,
  detect: (source) =>
    sqliteSchemaMentions(source.bytes, ['CREATE TABLE accounts', 'email TEXT', 'secret TEXT']),
  async read(source) {
    const ctx = contextOf(googleAuthenticatorDb, source);
    const rows = await selectRows({
      ctx,
      bytes: source.bytes,
      table: 'accounts',
      query: 'SELECT * FROM accounts ORDER BY _id',
    });
    return collectEntries(
      ctx,
      rows,
      (raw) => labelFrom('issuer', 'account')(names(raw as Row)),
      (raw) => {
        const row = raw as Row;
        const type = TYPES[intColumn(row, 'type')];
        if (!type) throw new EntryProblem('type', `unknown account type ${intColumn(row, 'type')}`);
        return {
          type,
          secret: textColumn(row, 'secret'),
          counter: type === 'hotp' ? intColumn(row, 'counter') : null,
          ...names(row),
        };
      },
    );
  },
};
