import type { FormatReader } from '../types.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { expectArray, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';

/**
 * Duo Mobile account list: a JSON array of `{accountType: "OtpAccount", name, otpGenerator:
 * {otpSecret, counter?}}`. A counter makes the account HOTP (used as stored); otherwise TOTP SHA1/6/30.
 * Duo keeps no issuer.
 */
function isDuo(json: unknown): boolean {
  return Array.isArray(json) && json.length > 0 && json.every((a) => isObject(a) && isObject(a.otpGenerator));
}

export const duo: FormatReader = {
  id: 'duo',
  name: 'Duo Mobile export',
  encrypted: false,
  detect: (source) => isDuo(sniff(source).json),
  async read(source) {
    const ctx = contextOf(duo, source);
    return collectEntries(
      ctx,
      expectArray(ctx, readJson(ctx, source)),
      labelFrom(undefined, 'name'),
      (raw) => {
        const a = Fields.of(raw);
        const generator = a.object('otpGenerator');
        const counter = generator.optNum('counter');
        return {
          type: counter === undefined ? 'totp' : 'hotp',
          secret: generator.str('otpSecret'),
          counter: counter ?? null,
          issuer: '',
          account: a.optStr('name') ?? '',
        };
      },
    );
  },
};
