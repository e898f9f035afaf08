import type { FormatReader } from '../types.js';
import { collectEntries } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';
import { freeotpTokenInput, freeotpTokenLabel } from './freeotp.js';

/**
 * FreeOTP+ JSON export (spec §7.1): `{tokenOrder, tokens}`, each token FreeOTP's own token object
 * (secrets as signed Java bytes), so the mapping is FreeOTP's (see freeotp.ts): the counter is
 * imported as stored, and a TOTP token whose issuer is "Steam" is a Steam token.
 */
function isFreeOtpPlus(json: unknown): boolean {
  return isObject(json) && Array.isArray(json.tokens) && Array.isArray(json.tokenOrder);
}

export const freeotpPlus: FormatReader = {
  id: 'freeotp-plus',
  name: 'FreeOTP+ export',
  encrypted: false,
  detect: (source) => isFreeOtpPlus(sniff(source).json),
  async read(source) {
    const ctx = contextOf(freeotpPlus, source);
    const tokens = expectArray(ctx, expectObject(ctx, readJson(ctx, source)).tokens, 'tokens');
    return collectEntries(ctx, tokens, freeotpTokenLabel, (raw) => freeotpTokenInput(Fields.of(raw)));
  },
};
