import type { FormatReader } from '../types.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { EntryProblem, expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';

/**
 * FreeOTP+ JSON export (spec §7.1): `{tokenOrder, tokens}`, secrets as signed Java bytes. The counter
 * is imported as stored (FreeOTP+ stores the URI counter minus one). A TOTP token whose issuer is
 * "Steam" is a Steam token, as FreeOTP+ and Aegis read it.
 */
function isFreeOtpPlus(json: unknown): boolean {
  return isObject(json) && Array.isArray(json.tokens) && Array.isArray(json.tokenOrder);
}

/** Java's signed bytes (-128..127) to raw bytes. */
export function fromJavaBytes(values: unknown[]): Uint8Array {
  const out = new Uint8Array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -128 || v > 255) {
      throw new EntryProblem('secret', `item ${i} is not a byte`);
    }
    out[i] = v & 0xff;
  });
  return out;
}

export const freeotpPlus: FormatReader = {
  id: 'freeotp-plus',
  name: 'FreeOTP+ export',
  encrypted: false,
  detect: (source) => isFreeOtpPlus(sniff(source).json),
  async read(source) {
    const ctx = contextOf(freeotpPlus, source);
    const tokens = expectArray(ctx, expectObject(ctx, readJson(ctx, source)).tokens, 'tokens');
    return collectEntries(ctx, tokens, labelFrom('issuerExt', 'label'), (raw) => {
      const t = Fields.of(raw);
      const issuer = t.optStr('issuerAlt') || t.optStr('issuerExt') || t.optStr('issuerInt') || '';
      let type = (t.optStr('type') ?? 'TOTP').toLowerCase();
      if (type === 'totp' && issuer === 'Steam') type = 'steam';
      return {
        type,
        secret: fromJavaBytes(t.arr('secret')),
        algorithm: t.optStr('algo'),
        digits: type === 'steam' ? undefined : t.optNum('digits'),
        period: type === 'totp' ? t.optNum('period') : null,
        counter: type === 'hotp' ? t.optNum('counter') : null,
        issuer,
        account: t.optStr('labelAlt') || t.optStr('label') || '',
      };
    });
  },
};
