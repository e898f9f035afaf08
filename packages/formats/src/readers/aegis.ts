import type { FormatReader, ImportResult } from '../types.js';
import { gcmOpen, gcmTryOpen } from '../util/aead.js';
import { base64Decode, concatBytes, hexDecode } from '../util/bytes.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import {
  contextOf,
  damaged,
  requirePassword,
  unsupported,
  wrongPassword,
  type FormatContext,
} from '../util/errors.js';
import { EntryProblem, expectArray, expectObject, expectString, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { scryptKey, tooCostly } from '../util/kdf.js';
import { LIMITS } from '../util/limits.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { decodeUtf8 } from '../util/text.js';

/**
 * Aegis vault JSON, plain and encrypted (spec §2; Aegis `docs/vault.md`). Encrypted vaults wrap a
 * random master key per password slot with scrypt + AES-256-GCM; the content is AES-256-GCM under the
 * master key, with nonce and tag stored apart from the ciphertext.
 */

function isAegis(json: unknown): boolean {
  return isObject(json) && typeof json.version === 'number' && isObject(json.header) && 'db' in json;
}

function hexField(ctx: FormatContext, value: unknown, field: string, length: number): Uint8Array {
  const bytes = typeof value === 'string' ? hexDecode(value) : null;
  if (!bytes || (length > 0 && bytes.length !== length)) {
    throw damaged(ctx, `expected ${length > 0 ? `${length} bytes of ` : ''}hex`, { field });
  }
  return bytes;
}

async function unlockMasterKey(ctx: FormatContext, slots: unknown[], password: string): Promise<Uint8Array> {
  const tries = slots.filter((slot) => isObject(slot) && slot.type === 1).length;
  if (tries > LIMITS.aegisMaxPasswordSlots) {
    throw tooCostly(
      ctx,
      'header.slots',
      `${tries} password slots, one scrypt run each (limit ${LIMITS.aegisMaxPasswordSlots})`,
    );
  }
  let passwordSlots = 0;
  for (const [i, raw] of slots.entries()) {
    const slot = expectObject(ctx, raw, `header.slots[${i}]`);
    if (slot.type !== 1) continue; // 0 raw key, 2 biometric: unusable off the device
    passwordSlots++;
    const f = `header.slots[${i}]`;
    const params = expectObject(ctx, slot.key_params, `${f}.key_params`);
    const kek = await scryptKey(ctx, f, {
      password,
      salt: hexField(ctx, slot.salt, `${f}.salt`, 0),
      N: Number(slot.n),
      r: Number(slot.r),
      p: Number(slot.p),
      dkLen: 32,
    });
    const master = gcmTryOpen({
      key: kek,
      nonce: hexField(ctx, params.nonce, `${f}.key_params.nonce`, 12),
      sealed: concatBytes(
        hexField(ctx, slot.key, `${f}.key`, 32),
        hexField(ctx, params.tag, `${f}.key_params.tag`, 16),
      ),
    });
    if (master) return master;
  }
  if (passwordSlots === 0)
    throw unsupported(
      ctx,
      'this vault has no password slot (only biometric or raw keys), so it cannot be opened off the phone',
    );
  throw wrongPassword(ctx);
}

async function decryptDb(
  ctx: FormatContext,
  vault: Record<string, unknown>,
  password: string | undefined,
): Promise<unknown> {
  const header = expectObject(ctx, vault.header, 'header');
  const slots = expectArray(ctx, header.slots, 'header.slots');
  const params = expectObject(ctx, header.params, 'header.params');
  const db = base64Decode(expectString(ctx, vault.db, 'db'));
  if (!db) throw damaged(ctx, 'not Base64', { field: 'db' });
  const master = await unlockMasterKey(ctx, slots, requirePassword(ctx, password));
  const plain = gcmOpen(ctx, {
    key: master,
    nonce: hexField(ctx, params.nonce, 'header.params.nonce', 12),
    sealed: concatBytes(db, hexField(ctx, params.tag, 'header.params.tag', 16)),
  });
  const text = decodeUtf8(plain);
  if (text === null) throw damaged(ctx, 'decrypted content is not UTF-8', { field: 'db' });
  return parseJsonOrThrow(ctx, text, 'db');
}

function entryInput(raw: unknown, groupNames: Map<string, string>): EntryInput {
  const e = Fields.of(raw);
  const type = e.str('type').toLowerCase();
  if (type !== 'totp' && type !== 'hotp' && type !== 'steam') {
    throw new EntryProblem('type', `${type} entries are not supported by Tessera`);
  }
  const info = e.object('info');
  const tags: string[] = [];
  if (e.has('groups')) {
    for (const id of e.arr('groups')) {
      const name = typeof id === 'string' ? groupNames.get(id) : undefined;
      if (name) tags.push(name);
    }
  } else if (e.optStr('group')) tags.push(e.str('group'));
  const algo = info.optStr('algo');
  return {
    type,
    secret: info.str('secret'),
    // OtpInfo.fromJson reads "MD5" on non-mOTP entries as SHA1.
    algorithm: algo?.toUpperCase() === 'MD5' ? 'SHA1' : algo,
    digits: info.optNum('digits'),
    period: type === 'hotp' ? null : info.optNum('period'),
    counter: type === 'hotp' ? info.num('counter') : null,
    issuer: e.optStr('issuer') ?? '',
    account: e.optStr('name') ?? '',
    tags,
  };
}

export function readAegisContent(ctx: FormatContext, content: unknown): ImportResult {
  const db = expectObject(ctx, content, 'db');
  if (typeof db.version === 'number' && db.version > 3) {
    throw unsupported(ctx, `vault content version ${db.version} is newer than Tessera knows (3)`);
  }
  const entries = expectArray(ctx, db.entries, 'db.entries');
  const groupNames = new Map<string, string>();
  if (Array.isArray(db.groups)) {
    for (const g of db.groups)
      if (isObject(g) && typeof g.uuid === 'string' && typeof g.name === 'string')
        groupNames.set(g.uuid, g.name);
  }
  return collectEntries(ctx, entries, labelFrom('issuer', 'name'), (raw) => entryInput(raw, groupNames));
}

export const aegis: FormatReader = {
  id: 'aegis',
  name: 'Aegis vault',
  encrypted: true,
  detect: (source) => isAegis(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(aegis, source);
    const vault = expectObject(ctx, readJson(ctx, source));
    if (typeof vault.version !== 'number' || vault.version > 1) {
      throw unsupported(ctx, `vault version ${String(vault.version)} is not supported (1 expected)`);
    }
    const header = expectObject(ctx, vault.header, 'header');
    const plain =
      (header.slots === null || header.slots === undefined) &&
      (header.params === null || header.params === undefined);
    const content = plain ? vault.db : await decryptDb(ctx, vault, password);
    return readAegisContent(ctx, content);
  },
};
