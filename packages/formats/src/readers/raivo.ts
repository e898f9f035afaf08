import type { FormatReader, ImportResult } from '../types.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf, damaged, type FormatContext } from '../util/errors.js';
import { expectArray, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { decodeUtf8 } from '../util/text.js';
import { readZipEntry, zipHas } from '../util/zip.js';

/**
 * Raivo OTP (iOS) exports (spec §7.2): `raivo-otp-export.zip`, an AES-encrypted ZIP (WinZip AE)
 * holding `raivo-otp-export.json` (and an HTML page with QR codes). The JSON is an array of objects
 * whose values are all strings: issuer, account, secret (Base32), algorithm, digits, kind
 * (TOTP/HOTP), timer (period), counter. The JSON alone (unzipped by the user) is read too.
 */
const ENTRY = 'raivo-otp-export.json';

function isRaivoJson(json: unknown): boolean {
  return (
    Array.isArray(json) &&
    json.length > 0 &&
    json.every((e) => isObject(e) && 'kind' in e && 'timer' in e && 'secret' in e)
  );
}

function readList(ctx: FormatContext, json: unknown): ImportResult {
  return collectEntries(ctx, expectArray(ctx, json), labelFrom('issuer', 'account'), (raw) => {
    const r = Fields.of(raw);
    const type = (r.optStr('kind') ?? 'TOTP').toLowerCase();
    return {
      type,
      secret: r.str('secret'),
      algorithm: r.optStr('algorithm'),
      digits: r.optNum('digits'),
      period: type === 'totp' ? r.optNum('timer') : null,
      counter: type === 'hotp' ? r.optNum('counter') : null,
      issuer: r.optStr('issuer') ?? '',
      account: r.optStr('account') ?? '',
    };
  });
}

export const raivo: FormatReader = {
  id: 'raivo',
  name: 'Raivo OTP export',
  encrypted: true,
  detect: (source) => zipHas(source.bytes, ENTRY) || isRaivoJson(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(raivo, source);
    if (!zipHas(source.bytes, ENTRY)) return readList(ctx, readJson(ctx, source));
    const found = await readZipEntry(ctx, source.bytes, { name: ENTRY, password });
    if (!found) throw damaged(ctx, `no ${ENTRY} in the archive`);
    const text = decodeUtf8(found.data);
    if (text === null) throw damaged(ctx, `${ENTRY} is not UTF-8`, { field: ENTRY });
    return readList(ctx, parseJsonOrThrow(ctx, text, ENTRY));
  },
};
