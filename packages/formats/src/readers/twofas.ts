import type { FormatReader } from '../types.js';
import { gcmOpen } from '../util/aead.js';
import { base64Decode } from '../util/bytes.js';
import { collectEntries, labelOf, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, requirePassword, unsupported, type FormatContext } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { pbkdf2Key } from '../util/kdf.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { decodeUtf8 } from '../util/text.js';

/**
 * 2FAS backups (`.2fas`), schemas 1 to 4, plain and encrypted (spec §3). Encrypted services are
 * `b64(ct‖tag):b64(salt):b64(iv)`, AES-256-GCM under PBKDF2-HMAC-SHA256(password, salt, 10 000).
 */
export const TWOFAS_PBKDF2_ITERATIONS = 10_000;

function is2fas(json: unknown): boolean {
  return (
    isObject(json) &&
    typeof json.schemaVersion === 'number' &&
    (Array.isArray(json.services) || typeof json.servicesEncrypted === 'string')
  );
}

async function decryptServices(ctx: FormatContext, sealed: string, password: string): Promise<unknown> {
  const parts = sealed.split(':');
  const [ct, salt, iv] = parts.map((p) => base64Decode(p));
  if (parts.length !== 3 || !ct || !salt || !iv || iv.length !== 12 || ct.length < 16) {
    throw damaged(ctx, 'expected "<ciphertext>:<salt>:<iv>" in Base64', { field: 'servicesEncrypted' });
  }
  const key = await pbkdf2Key(ctx, 'servicesEncrypted', {
    hash: 'SHA-256',
    password,
    salt,
    iterations: TWOFAS_PBKDF2_ITERATIONS,
    dkLen: 32,
  });
  const text = decodeUtf8(gcmOpen(ctx, { key, nonce: iv, sealed: ct }));
  if (text === null) throw damaged(ctx, 'decrypted services are not UTF-8', { field: 'servicesEncrypted' });
  return parseJsonOrThrow(ctx, text, 'servicesEncrypted');
}

function entryInput(raw: unknown, groups: Map<string, string>): EntryInput {
  const s = Fields.of(raw);
  const otp = s.optObj('otp') ?? Fields.of({});
  const tokenType = (otp.optStr('tokenType') ?? 'TOTP').toLowerCase();
  const issuer = s.optStr('name') || otp.optStr('issuer') || '';
  let account = otp.optStr('account') ?? otp.optStr('label') ?? '';
  if (issuer && account.startsWith(`${issuer}:`)) account = account.slice(issuer.length + 1);
  const group = s.optStr('groupId');
  const tag = group ? groups.get(group) : undefined;
  return {
    type: tokenType,
    secret: s.str('secret'),
    algorithm: otp.optStr('algorithm'),
    digits: tokenType === 'steam' ? undefined : otp.optNum('digits'),
    period: tokenType === 'totp' ? otp.optNum('period') : null,
    counter: tokenType === 'hotp' ? otp.optNum('counter') : null,
    issuer,
    account,
    tags: tag ? [tag] : [],
  };
}

export const twofas: FormatReader = {
  id: '2fas',
  name: '2FAS backup',
  encrypted: true,
  detect: (source) => is2fas(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(twofas, source);
    const backup = expectObject(ctx, readJson(ctx, source));
    if (typeof backup.schemaVersion === 'number' && backup.schemaVersion > 4) {
      throw unsupported(ctx, `schema version ${backup.schemaVersion} is newer than Tessera knows (4)`);
    }
    const encrypted = typeof backup.servicesEncrypted === 'string' && backup.servicesEncrypted !== '';
    const services = expectArray(
      ctx,
      encrypted
        ? await decryptServices(ctx, backup.servicesEncrypted as string, requirePassword(ctx, password))
        : backup.services,
      'services',
    );
    const groups = new Map<string, string>();
    if (Array.isArray(backup.groups)) {
      for (const g of backup.groups)
        if (isObject(g) && typeof g.id === 'string' && typeof g.name === 'string') groups.set(g.id, g.name);
    }
    return collectEntries(
      ctx,
      services,
      (raw) => labelOf(Fields.of(raw).optStr('name'), Fields.of(raw).optObj('otp')?.optStr('account')),
      (raw) => entryInput(raw, groups),
    );
  },
};
