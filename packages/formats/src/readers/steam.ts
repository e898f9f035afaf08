import type { FormatReader } from '../types.js';
import { base64Decode } from '../util/bytes.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf, damaged } from '../util/errors.js';
import { EntryProblem, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';

/**
 * Steam mobile authenticator files (SteamDesktopAuthenticator `.maFile`, Steam's `steam.json`):
 * one account object with a Base64 `shared_secret`, or `{accounts: {id: account}}`.
 */
function isSteamAccount(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.shared_secret === 'string';
}

function accountsOf(json: unknown): unknown[] | null {
  if (isSteamAccount(json)) return [json];
  if (isObject(json) && isObject(json.accounts)) {
    const list = Object.values(json.accounts);
    if (list.length > 0 && list.every(isSteamAccount)) return list;
  }
  return null;
}

export const steamFile: FormatReader = {
  id: 'steam',
  name: 'Steam authenticator file',
  encrypted: false,
  detect: (source) => accountsOf(sniff(source).json) !== null,
  async read(source) {
    const ctx = contextOf(steamFile, source);
    const json = expectObject(ctx, readJson(ctx, source));
    const accounts = accountsOf(json);
    if (!accounts) {
      throw damaged(ctx, 'expected an account with a shared_secret, or {"accounts": {…}} of them', {
        field: 'shared_secret',
      });
    }
    return collectEntries(ctx, accounts, labelFrom(undefined, 'account_name'), (raw) => {
      const a = Fields.of(raw);
      const secret = base64Decode(a.str('shared_secret'));
      if (!secret || secret.length === 0) throw new EntryProblem('shared_secret', 'not Base64');
      return { type: 'steam', secret, issuer: 'Steam', account: a.optStr('account_name') ?? '' };
    });
  },
};
