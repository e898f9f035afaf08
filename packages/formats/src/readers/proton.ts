import type { FormatReader, ImportResult } from '../types.js';
import { gcmOpen } from '../util/aead.js';
import { base64Decode } from '../util/bytes.js';
import { checkEntryCount, EntryCollector, labelOf } from '../util/entries.js';
import { contextOf, damaged, requirePassword, unsupported, type FormatContext } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { argon2idKey } from '../util/kdf.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { decodeUtf8, utf8 } from '../util/text.js';
import { entryFromUri, labelFromUri } from '../util/uri.js';

/**
 * Proton Authenticator export (spec §7.3): `{version: 1, entries: [{content: {uri, entry_type, name}}]}`,
 * or encrypted `{version: 1, salt, content}` with Argon2id (fixed 19 MiB, 2 passes, 1 lane) and
 * AES-256-GCM (`nonce12 ‖ ct ‖ tag16`, AAD "proton.authenticator.export.v1").
 */
export const PROTON_KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 } as const;
export const PROTON_AAD = 'proton.authenticator.export.v1';

function isProtonPlain(json: unknown): boolean {
  return (
    isObject(json) &&
    typeof json.version === 'number' &&
    Array.isArray(json.entries) &&
    json.entries.every((e) => isObject(e) && isObject(e.content) && 'entry_type' in e.content)
  );
}

function isProtonEncrypted(json: unknown): boolean {
  return (
    isObject(json) &&
    typeof json.version === 'number' &&
    typeof json.salt === 'string' &&
    typeof json.content === 'string' &&
    !('entries' in json)
  );
}

function readEntries(ctx: FormatContext, json: Record<string, unknown>): ImportResult {
  if (json.version !== 1)
    throw unsupported(ctx, `version ${String(json.version)} is not supported (1 expected)`);
  const entries = expectArray(ctx, json.entries, 'entries');
  checkEntryCount(ctx, entries.length);
  const collector = new EntryCollector(ctx);
  entries.forEach((raw, i) => {
    const content = isObject(raw) && isObject(raw.content) ? raw.content : {};
    // The name, else the URI's label: never the URI itself, which holds the secret.
    const name =
      typeof content.name === 'string' && content.name.trim() !== ''
        ? labelOf(undefined, content.name)
        : labelFromUri(typeof content.uri === 'string' ? content.uri : '');
    collector.add(i, name, () => {
      const c = Fields.of(raw).object('content');
      const input = entryFromUri(c.str('uri'));
      if (!input.account) input.account = c.optStr('name') ?? '';
      return input;
    });
  });
  return collector.result();
}

export const proton: FormatReader = {
  id: 'proton',
  name: 'Proton Authenticator export',
  encrypted: true,
  detect: (source) => {
    const json = sniff(source).json;
    return isProtonPlain(json) || isProtonEncrypted(json);
  },
  async read(source, { password }) {
    const ctx = contextOf(proton, source);
    const json = expectObject(ctx, readJson(ctx, source));
    if (!isProtonEncrypted(json)) return readEntries(ctx, json);
    if (json.version !== 1)
      throw unsupported(ctx, `version ${String(json.version)} is not supported (1 expected)`);
    const salt = base64Decode(json.salt as string);
    if (!salt || salt.length < 8)
      throw damaged(ctx, 'expected Base64 of at least 8 bytes', { field: 'salt' });
    const content = base64Decode(json.content as string);
    if (!content || content.length < 12 + 16)
      throw damaged(ctx, 'expected Base64 of nonce, ciphertext and tag', { field: 'content' });
    const key = await argon2idKey(ctx, 'kdf', {
      password: requirePassword(ctx, password),
      salt,
      dkLen: 32,
      ...PROTON_KDF,
    });
    const plain = gcmOpen(ctx, {
      key,
      nonce: content.subarray(0, 12),
      sealed: content.subarray(12),
      aad: utf8(PROTON_AAD),
    });
    const text = decodeUtf8(plain);
    if (text === null) throw damaged(ctx, 'decrypted content is not UTF-8', { field: 'content' });
    return readEntries(ctx, expectObject(ctx, parseJsonOrThrow(ctx, text, 'content'), 'content'));
  },
};
