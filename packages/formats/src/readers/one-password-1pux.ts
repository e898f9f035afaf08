import type { FormatReader } from '../types.js';
import { EntryCollector, labelOf } from '../util/entries.js';
import { contextOf, damaged } from '../util/errors.js';
import { expectArray, expectObject } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { parseJsonOrThrow } from '../util/sniff.js';
import { decodeUtf8 } from '../util/text.js';
import { readZipEntry, zipHas } from '../util/zip.js';
import { entryFromTotpField } from './bitwarden.js';

/**
 * 1Password Unencrypted Export (`.1pux`, 1Password 8): a ZIP holding `export.data`, JSON of
 * `accounts[].vaults[].items[]`. Each item has `overview.title` and `details.loginFields[]` (the one
 * with `designation: "username"` is the account) and `details.sections[].fields[]`, where a
 * one-time-password field's `value` is `{totp: "otpauth://…" | BASE32}`. One entry per totp field.
 */
const ENTRY = 'export.data';

function usernameOf(details: Record<string, unknown>): string {
  const fields = Array.isArray(details.loginFields) ? details.loginFields : [];
  const hit = fields.find((f) => isObject(f) && f.designation === 'username');
  return isObject(hit) && typeof hit.value === 'string' ? hit.value.trim() : '';
}

function totpsOf(details: Record<string, unknown>): string[] {
  const out: string[] = [];
  const sections = Array.isArray(details.sections) ? details.sections : [];
  for (const s of sections) {
    if (!isObject(s) || !Array.isArray(s.fields)) continue;
    for (const f of s.fields) {
      if (isObject(f) && isObject(f.value) && typeof f.value.totp === 'string' && f.value.totp.trim() !== '')
        out.push(f.value.totp);
    }
  }
  return out;
}

export const onePassword1pux: FormatReader = {
  id: '1password-1pux',
  name: '1Password 1PUX export',
  encrypted: false,
  detect: (source) => zipHas(source.bytes, ENTRY) && zipHas(source.bytes, 'export.attributes'),
  async read(source) {
    const ctx = contextOf(onePassword1pux, source);
    const entry = await readZipEntry(ctx, source.bytes, { name: ENTRY });
    if (!entry) throw damaged(ctx, `no ${ENTRY} in the archive`, { field: ENTRY });
    const text = decodeUtf8(entry.data);
    if (text === null) throw damaged(ctx, 'not UTF-8 text', { field: ENTRY });
    const data = expectObject(ctx, parseJsonOrThrow(ctx, text, ENTRY), ENTRY);
    const collector = new EntryCollector(ctx);
    let index = 0;
    for (const account of expectArray(ctx, data.accounts, 'accounts')) {
      const vaults = isObject(account) ? expectArray(ctx, account.vaults, 'accounts[].vaults') : [];
      for (const vault of vaults) {
        const items = isObject(vault) ? expectArray(ctx, vault.items, 'accounts[].vaults[].items') : [];
        for (const item of items) {
          if (!isObject(item)) continue;
          const overview = isObject(item.overview) ? item.overview : {};
          const details = isObject(item.details) ? item.details : {};
          const title = typeof overview.title === 'string' ? overview.title.trim() : '';
          const username = usernameOf(details);
          for (const totp of totpsOf(details)) {
            collector.add(index++, labelOf(title, username), () => entryFromTotpField(totp, title, username));
          }
        }
      }
    }
    return collector.result();
  },
};
