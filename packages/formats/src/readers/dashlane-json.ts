import type { FormatReader } from '../types.js';
import { EntryCollector, labelOf } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';
import { entryFromTotpField } from './bitwarden.js';

/**
 * Dashlane's readable JSON export: `{AUTHENTIFIANT: [{title, domain, login, email, secondaryLogin,
 * password, note, otpSecret | otpUrl}], SECURENOTE: [...], ...}` (the French key is Dashlane's
 * own). The one-time-password fields carry the names of Dashlane's CSV columns and hold an otpauth
 * URI or a bare Base32 secret; `otpUrl` wins when both are set, as in the CSV reader. Passwords,
 * notes and the other sections are never kept.
 */
const CREDENTIALS = 'AUTHENTIFIANT';

function isDashlane(json: unknown): boolean {
  return isObject(json) && Array.isArray(json[CREDENTIALS]);
}

/** A string field for labels only: the entry builder reports a wrong type, naming the field. */
function text(item: Record<string, unknown>, key: string): string {
  const v = item[key];
  return typeof v === 'string' ? v.trim() : '';
}

export const dashlaneJson: FormatReader = {
  id: 'dashlane-json',
  name: 'Dashlane JSON export',
  encrypted: false,
  detect: (source) => isDashlane(sniff(source).json),
  async read(source) {
    const ctx = contextOf(dashlaneJson, source);
    const credentials = expectArray(ctx, expectObject(ctx, readJson(ctx, source))[CREDENTIALS], CREDENTIALS);
    const collector = new EntryCollector(ctx);
    credentials.forEach((item, i) => {
      if (!isObject(item)) {
        collector.skip(i, '(unnamed)', `${CREDENTIALS}[${i}]: expected an object`);
        return;
      }
      const hasOtp = ['otpUrl', 'otpSecret'].some(
        (k) => item[k] !== undefined && item[k] !== null && item[k] !== '',
      );
      if (!hasOtp) return;
      const title = text(item, 'title') || text(item, 'domain');
      const account = text(item, 'login') || text(item, 'email') || text(item, 'secondaryLogin');
      collector.add(i, labelOf(title, account), () => {
        const f = new Fields(item);
        const otp = f.optStr('otpUrl')?.trim() || f.optStr('otpSecret')?.trim() || '';
        for (const key of ['title', 'domain', 'login', 'email', 'secondaryLogin']) f.optStr(key);
        return entryFromTotpField(otp, title, account);
      });
    });
    return collector.result();
  },
};
