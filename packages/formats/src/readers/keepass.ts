import type { FormatReader } from '../types.js';
import { EntryCollector, labelOf, type EntryInput } from '../util/entries.js';
import {
  contextOf,
  damaged,
  requirePassword,
  unsupported,
  wrongPassword,
  type FormatContext,
} from '../util/errors.js';
import { checkArgon2, tooCostly } from '../util/kdf.js';
import { LIMITS } from '../util/limits.js';
import { entryFromTotpField } from './bitwarden.js';

/**
 * KeePass / KeePassXC databases (`.kdbx`, KDBX 3.1 and 4), opened with kdbxweb. The KDF parameters
 * are read from the outer header and capped BEFORE any key derivation runs; Argon2 (KDBX 4) runs in
 * hash-wasm (kdbxweb has no Argon2 of its own). One-time-password data per entry, first found wins:
 * - `otp`: an otpauth URI (KeePassXC 2.6+, KeePass 2.x with KeeTrayTOTP);
 * - `TimeOtp-Secret-Base32` with `TimeOtp-Length`/`-Period`/`-Algorithm` (KeePass 2.47+ built-in);
 * - `TOTP Seed` with `TOTP Settings` = "period;digits" or "period;S" for Steam (KeePassXC legacy).
 * Title is the issuer fallback, UserName the account. Passwords and notes are never kept.
 */
const SIGNATURE = [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5];
const KDF_AES = 'ydnzmmKKRGC/dA0IwYpP6g==';

type Kdbxweb = typeof import('kdbxweb');

function isKdbx(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'value' in v) return Number((v as { value: number }).value);
  return Number.NaN;
}

/** Reads the outer header and refuses costly KDF settings before kdbxweb derives anything. */
function checkHeaderKdf(ctx: FormatContext, kw: Kdbxweb, buf: ArrayBuffer): void {
  let header: InstanceType<Kdbxweb['KdbxHeader']>;
  try {
    header = kw.KdbxHeader.read(new kw.BinaryStream(buf), new kw.KdbxContext({ kdbx: {} as never }));
  } catch (err) {
    throw damaged(ctx, `unreadable KDBX header (${(err as Error).message})`, { field: 'header' });
  }
  if (header.versionMajor < 4) {
    const rounds = Number(header.keyEncryptionRounds ?? Number.NaN);
    if (!(rounds > LIMITS.aesKdfMaxRounds)) return;
    throw tooCostly(ctx, 'TransformRounds', `${rounds} AES-KDF rounds (limit ${LIMITS.aesKdfMaxRounds})`);
  }
  const params = header.kdfParameters;
  if (!params) throw damaged(ctx, 'missing', { field: 'KdfParameters' });
  const uuid = params.get('$UUID');
  const id = uuid instanceof ArrayBuffer ? kw.ByteUtils.bytesToBase64(uuid) : '';
  if (id === KDF_AES) {
    const rounds = toNum(params.get('R'));
    if (rounds > LIMITS.aesKdfMaxRounds)
      throw tooCostly(ctx, 'KdfParameters.R', `${rounds} AES-KDF rounds (limit ${LIMITS.aesKdfMaxRounds})`);
    return;
  }
  const version = toNum(params.get('V'));
  if (version !== 0x13)
    throw unsupported(ctx, `Argon2 version 0x${version.toString(16)} (only 1.3 is supported)`);
  checkArgon2(ctx, 'KdfParameters', {
    memoryKiB: Math.ceil(toNum(params.get('M')) / 1024),
    iterations: toNum(params.get('I')),
    parallelism: toNum(params.get('P')),
  });
}

function installArgon2(kw: Kdbxweb): void {
  kw.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type) => {
    const hw = await import('hash-wasm');
    const run = type === kw.CryptoEngine.Argon2TypeArgon2id ? hw.argon2id : hw.argon2d;
    const out = await run({
      password: new Uint8Array(password),
      salt: new Uint8Array(salt),
      memorySize: memory,
      iterations,
      parallelism,
      hashLength: length,
      outputType: 'binary',
    });
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
  });
}

const OTP_FIELDS = ['otp', 'TimeOtp-Secret-Base32', 'TOTP Seed'];

/** The entry's OTP data as an EntryInput, or null when it has none. */
function otpOf(get: (name: string) => string, title: string, username: string): EntryInput | null {
  const uri = get('otp');
  if (uri) return entryFromTotpField(uri, title, username);
  const keepass = get('TimeOtp-Secret-Base32');
  if (keepass) {
    const algo = get('TimeOtp-Algorithm')
      .replace(/^HMAC-/i, '')
      .replace('-', '');
    const input: EntryInput = { type: 'totp', secret: keepass, issuer: title, account: username };
    if (algo) input.algorithm = algo;
    if (get('TimeOtp-Length')) input.digits = Number(get('TimeOtp-Length'));
    if (get('TimeOtp-Period')) input.period = Number(get('TimeOtp-Period'));
    return input;
  }
  const seed = get('TOTP Seed');
  if (seed) {
    // "period;digits", digits "S" meaning a Steam code (KeePassXC's legacy TOTP Settings field).
    const [periodText, digitsText] = (get('TOTP Settings') || '30;6').split(';').map((p) => p.trim());
    const period = Number(periodText || 30);
    const digits = digitsText || '6';
    if (digits === 'S') return { type: 'steam', secret: seed, issuer: title || 'Steam', account: username };
    return { type: 'totp', secret: seed, period, digits: Number(digits), issuer: title, account: username };
  }
  return null;
}

export const keepass: FormatReader = {
  id: 'keepass',
  name: 'KeePass database',
  encrypted: true,
  detect: (source) => isKdbx(source.bytes),
  async read(source, { password }) {
    const ctx = contextOf(keepass, source);
    const pass = requirePassword(ctx, password);
    const kw = await import('kdbxweb');
    const buf = source.bytes.buffer.slice(
      source.bytes.byteOffset,
      source.bytes.byteOffset + source.bytes.byteLength,
    ) as ArrayBuffer;
    checkHeaderKdf(ctx, kw, buf);
    installArgon2(kw);
    let db: InstanceType<Kdbxweb['Kdbx']>;
    try {
      db = await kw.Kdbx.load(buf, new kw.Credentials(kw.ProtectedValue.fromString(pass)));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === kw.Consts.ErrorCodes.InvalidKey) throw wrongPassword(ctx);
      if (code === kw.Consts.ErrorCodes.Unsupported)
        throw unsupported(ctx, (err as Error).message.replace(/^Error |^[A-Za-z]+: /, ''));
      throw damaged(ctx, (err as Error).message);
    }
    const collector = new EntryCollector(ctx);
    let index = 0;
    const recycleBin = db.meta.recycleBinEnabled ? db.meta.recycleBinUuid?.id : undefined;
    for (const group of db.groups) {
      for (const entry of group.allEntries()) {
        if (recycleBin && entry.parentGroup?.uuid.id === recycleBin) continue;
        const get = (name: string): string => {
          const v = entry.fields.get(name);
          if (v === undefined) return '';
          return (typeof v === 'string' ? v : v.getText()).trim();
        };
        const title = get('Title');
        const username = get('UserName');
        if (!OTP_FIELDS.some((name) => get(name) !== '')) continue;
        // Built inside add(): a bad URI or setting skips this entry with its field, not the file.
        collector.add(index++, labelOf(title, username), () => otpOf(get, title, username)!);
      }
    }
    return collector.result();
  },
};
