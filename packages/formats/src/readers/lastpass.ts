import type { FormatReader } from '../types.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';

/**
 * LastPass Authenticator export (Android and iOS): `{accounts: [{issuerName, userName, secret,
 * timeStep, digits, algorithm, …}], folders, version}`. All TOTP (as read by Proton's and 2FAS's
 * importers, which use the same fields).
 */
function isLastPass(json: unknown): boolean {
  return (
    isObject(json) &&
    Array.isArray(json.accounts) &&
    json.accounts.every((a) => isObject(a) && 'secret' in a && ('issuerName' in a || 'userName' in a))
  );
}

export const lastpass: FormatReader = {
  id: 'lastpass',
  name: 'LastPass Authenticator export',
  encrypted: false,
  detect: (source) => isLastPass(sniff(source).json),
  async read(source) {
    const ctx = contextOf(lastpass, source);
    const accounts = expectArray(ctx, expectObject(ctx, readJson(ctx, source)).accounts, 'accounts');
    return collectEntries(ctx, accounts, labelFrom('issuerName', 'userName'), (raw) => {
      const a = Fields.of(raw);
      return {
        type: 'totp',
        secret: a.str('secret'),
        algorithm: a.optStr('algorithm'),
        digits: a.optNum('digits'),
        period: a.optNum('timeStep'),
        issuer: a.optStr('issuerName') || a.optStr('originalIssuerName') || '',
        account: a.optStr('userName') || a.optStr('originalUserName') || '',
      };
    });
  },
};
