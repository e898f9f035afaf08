import { sha256 } from '@noble/hashes/sha2.js';
import { FormatError, type FormatReader, type ImportSource } from '../types.js';
import { gcmTryOpen } from '../util/aead.js';
import { collectEntries, labelFrom, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, passwordRequired, wrongPassword, type FormatContext } from '../util/errors.js';
import { expectArray, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { checkPbkdf2, pbkdf2Key } from '../util/kdf.js';
import { LIMITS } from '../util/limits.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';
import { decodeUtf8, utf8 } from '../util/text.js';

/**
 * andOTP backups (spec §4): a plain JSON array, or a binary blob. New encryption:
 * `int32BE iterations ‖ salt12 ‖ nonce12 ‖ ct ‖ tag16`, key PBKDF2-HMAC-SHA1(password, salt, iterations);
 * old encryption: `nonce12 ‖ ct ‖ tag16` under SHA-256(password). The two cannot be told apart by
 * their bytes, so both are tried (the old one costs one hash).
 */
const HEADER = 4 + 12 + 12;
const TAG = 16;

function isPlain(json: unknown): boolean {
  return (
    Array.isArray(json) &&
    json.length > 0 &&
    json.every((e) => isObject(e) && 'secret' in e && 'type' in e && ('label' in e || 'issuer' in e))
  );
}

/** Binary with no known signature: andOTP has no magic number, so this is a last-resort guess. */
function looksEncrypted(source: ImportSource): boolean {
  const s = sniff(source);
  return s.text === null && s.magic === null && source.bytes.length >= 12 + TAG;
}

/** The iteration count a new-format header asks for; andOTP writes 140,000–160,000. */
function headerIterations(bytes: Uint8Array): number | null {
  if (bytes.length < HEADER + TAG) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, false);
}

function plausibleIterations(iterations: number | null): iterations is number {
  return iterations !== null && iterations >= 1 && iterations <= LIMITS.andotpMaxIterations;
}

/**
 * Binary bytes with no plausible andOTP header are most likely not andOTP at all (random bytes, a
 * damaged file): say so, rather than demand a password or run billions of PBKDF2 rounds.
 */
function notAndotp(ctx: FormatContext, iterations: number | null, triedPassword: boolean): FormatError {
  const header =
    iterations === null
      ? 'it is too short'
      : `its header would ask for ${iterations.toLocaleString('en-US')} PBKDF2 iterations, where andOTP writes 140,000–160,000`;
  return new FormatError(
    'unknown-format',
    `${ctx.file}: not a format Tessera recognises (read as an andOTP backup, ${header}). ` +
      (triedPassword
        ? 'If it is an andOTP backup from before 2019, the password is wrong or the file was altered.'
        : 'If it is an andOTP backup from before 2019, give its password; otherwise name the format with --format.'),
    { file: ctx.file, format: ctx.formatId },
  );
}

async function decrypt(
  ctx: FormatContext,
  bytes: Uint8Array,
  password: string | undefined,
): Promise<Uint8Array> {
  const iterations = headerIterations(bytes);
  if (password === undefined || password === '') {
    if (!plausibleIterations(iterations)) throw notAndotp(ctx, iterations, false);
    throw passwordRequired(ctx);
  }
  // The old format (no header, so no telling it from random bytes) costs one hash to try: first.
  const old = gcmTryOpen({
    key: sha256(utf8(password)),
    nonce: bytes.subarray(0, 12),
    sealed: bytes.subarray(12),
  });
  if (old) return old;
  if (!plausibleIterations(iterations)) throw notAndotp(ctx, iterations, true);
  checkPbkdf2(ctx, 'iterations', iterations, LIMITS.andotpMaxIterations);
  const key = await pbkdf2Key(ctx, 'iterations', {
    hash: 'SHA-1',
    password,
    salt: bytes.subarray(4, 16),
    iterations,
    dkLen: 32,
  });
  const plain = gcmTryOpen({ key, nonce: bytes.subarray(16, 28), sealed: bytes.subarray(HEADER) });
  if (plain) return plain;
  throw wrongPassword(ctx);
}

function entryInput(raw: unknown): EntryInput {
  const e = Fields.of(raw);
  const type = e.str('type').toLowerCase();
  let issuer = e.optStr('issuer');
  let account = e.optStr('label') ?? '';
  if (issuer === undefined) {
    // Older backups have no issuer: Aegis splits the label on " - ".
    const at = account.indexOf(' - ');
    issuer = at >= 0 ? account.slice(0, at) : '';
    if (at >= 0) account = account.slice(at + 3);
  }
  const tags = e.has('tags') ? e.arr('tags').filter((t): t is string => typeof t === 'string') : [];
  return {
    type,
    secret: e.str('secret'),
    algorithm: e.optStr('algorithm'),
    digits: type === 'steam' ? undefined : e.optNum('digits'),
    period: type === 'totp' ? e.optNum('period') : null,
    counter: type === 'hotp' ? e.num('counter') : null,
    issuer,
    account,
    tags,
  };
}

export const andotp: FormatReader = {
  id: 'andotp',
  name: 'andOTP backup',
  encrypted: true,
  detect: (source) => isPlain(sniff(source).json) || looksEncrypted(source),
  async read(source, { password }) {
    const ctx = contextOf(andotp, source);
    let json: unknown;
    if (sniff(source).text !== null) json = readJson(ctx, source);
    else {
      const plain = await decrypt(ctx, source.bytes, password);
      const text = decodeUtf8(plain);
      if (text === null) throw damaged(ctx, 'decrypted content is not UTF-8');
      json = parseJsonOrThrow(ctx, text);
    }
    return collectEntries(ctx, expectArray(ctx, json), labelFrom('issuer', 'label'), entryInput);
  },
};
