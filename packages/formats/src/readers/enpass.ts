import type { FormatReader } from '../types.js';
import { EntryCollector, labelOf } from '../util/entries.js';
import { contextOf } from '../util/errors.js';
import { expectArray, expectObject } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';
import { entryFromTotpField } from './bitwarden.js';

/**
 * Enpass JSON export: `{folders: [...], items: [{title, fields: [{label, type, value}]}]}`. A field of
 * `type: "totp"` holds an otpauth URI or a bare Base32 secret; the first `username` (else `email`)
 * field is the account. Passwords and notes are never kept.
 */
function isEnpass(json: unknown): boolean {
  return (
    isObject(json) &&
    Array.isArray(json.items) &&
    Array.isArray(json.folders) &&
    json.items.every((i) => isObject(i) && typeof i.title === 'string' && Array.isArray(i.fields))
  );
}

function fieldValue(fields: unknown[], type: string): string {
  const f = fields.find(
    (x) => isObject(x) && x.type === type && typeof x.value === 'string' && x.value !== '',
  );
  return isObject(f) ? String(f.value).trim() : '';
}

export const enpass: FormatReader = {
  id: 'enpass',
  name: 'Enpass JSON export',
  encrypted: false,
  detect: (source) => isEnpass(sniff(source).json),
  async read(source) {
    const ctx = contextOf(enpass, source);
    const items = expectArray(ctx, expectObject(ctx, readJson(ctx, source)).items, 'items');
    const collector = new EntryCollector(ctx);
    let index = 0;
    for (const item of items) {
      if (!isObject(item) || !Array.isArray(item.fields)) continue;
      const title = typeof item.title === 'string' ? item.title.trim() : '';
      const username = fieldValue(item.fields, 'username') || fieldValue(item.fields, 'email');
      for (const f of item.fields) {
        if (!isObject(f) || f.type !== 'totp' || typeof f.value !== 'string' || f.value.trim() === '')
          continue;
        const totp = f.value;
        collector.add(index++, labelOf(title, username), () => entryFromTotpField(totp, title, username));
      }
    }
    return collector.result();
  },
};
