import type { FormatReader, ImportResult } from '../types.js';
import { checkEntryCount, EntryCollector, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, unsupported, type FormatContext } from '../util/errors.js';
import { expectObject } from '../util/fields.js';
import { isObject, type JsonObject } from '../util/json.js';
import { parseJsonOrThrow } from '../util/sniff.js';
import { decodeUtf8 } from '../util/text.js';
import { entryFromUri } from '../util/uri.js';
import { readZipEntry, zipEntryNames } from '../util/zip.js';

/**
 * Proton Pass exports: a ZIP holding `Proton Pass/data.json`, `{vaults: {<id>: {name, items: [...]}}}`.
 * A login item keeps its authenticator URI in `data.content.totpUri`; any item may have extra fields
 * of type `totp` with `data.totpUri`. Pass writes `Proton Pass` as the account of codes it generated a
 * URI for; that placeholder gives way to the field's name or the item's username.
 * The PGP-encrypted variant (`data.pgp`) needs OpenPGP, which Tessera does not carry: refused with
 * a message saying to export without encryption.
 */
const DATA = 'Proton Pass/data.json';
const DATA_PGP = 'Proton Pass/data.pgp';
const PLACEHOLDER_ACCOUNT = 'Proton Pass';

interface Code {
  uri: string;
  label: string;
  fieldName: string;
  username: string;
  itemName: string;
}

function obj(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Every TOTP URI of the export, with what names it. */
function codesOf(ctx: FormatContext, json: unknown): Code[] {
  const vaults = expectObject(ctx, expectObject(ctx, json).vaults, 'vaults');
  const codes: Code[] = [];
  for (const vault of Object.values(vaults)) {
    const items = obj(vault).items;
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const data = obj(obj(item).data);
      const content = obj(data.content);
      const itemName = str(obj(data.metadata).name);
      const username = str(content.itemUsername) || str(content.itemEmail) || str(content.username);
      const main = str(content.totpUri);
      if (data.type === 'login' && main)
        codes.push({ uri: main, label: itemName, fieldName: '', username, itemName });
      const extra = Array.isArray(data.extraFields) ? data.extraFields : [];
      for (const field of extra) {
        const f = obj(field);
        const uri = str(obj(f.data).totpUri);
        if (f.type !== 'totp' || !uri) continue;
        const fieldName = str(f.fieldName);
        const label = [itemName, fieldName].filter((s) => s).join(' - ');
        codes.push({ uri, label, fieldName, username, itemName });
      }
      checkEntryCount(ctx, codes.length);
    }
  }
  return codes;
}

function entryOf(code: Code): EntryInput {
  const uri = code.uri.trim();
  // Pass also stores a bare Base32 secret when the user pasted one.
  const input = /^[a-z]+:\/\//i.test(uri) ? entryFromUri(uri) : { type: 'totp', secret: uri };
  if (!input.issuer) input.issuer = code.itemName;
  if (!input.account || input.account === PLACEHOLDER_ACCOUNT)
    input.account = code.fieldName || code.username;
  return input;
}

function readCodes(ctx: FormatContext, codes: Code[]): ImportResult {
  const collector = new EntryCollector(ctx);
  codes.forEach((code, i) => collector.add(i, code.label || '(unnamed)', () => entryOf(code)));
  return collector.result();
}

export const protonPass: FormatReader = {
  id: 'proton-pass',
  name: 'Proton Pass export',
  encrypted: false,
  detect: (source) => {
    const names = zipEntryNames(source.bytes);
    return names.includes(DATA) || names.includes(DATA_PGP);
  },
  async read(source) {
    const ctx = contextOf(protonPass, source);
    const found = await readZipEntry(ctx, source.bytes, { name: DATA });
    if (!found) {
      if (zipEntryNames(source.bytes).includes(DATA_PGP)) {
        throw unsupported(
          ctx,
          'this export is PGP-encrypted, which Tessera cannot open; export again from Proton Pass without encryption',
        );
      }
      throw damaged(ctx, `no ${DATA} in the archive`);
    }
    const text = decodeUtf8(found.data);
    if (text === null) throw damaged(ctx, `${DATA} is not UTF-8`, { field: DATA });
    return readCodes(ctx, codesOf(ctx, parseJsonOrThrow(ctx, text, DATA)));
  },
};
