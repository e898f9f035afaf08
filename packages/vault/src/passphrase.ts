import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { fromB64u, randomBytes, toB64u } from './bytes.js';
import { VaultError } from './errors.js';
import type { PassphraseWrap } from './file-format.js';

/**
 * Optional passphrase lock: the random storage key is wrapped under a key derived from the
 * passphrase with Argon2id (RFC 9106), and the wrap is kept in the vault header instead of the OS
 * keychain or key file. Only this path runs a KDF; the default path opens without one.
 */

/** Parameters for new wraps: RFC 9106 §4 second recommended option (64 MiB, t=3, p=4), with p=1 for WASM. */
export const PASSPHRASE_KDF = { t: 3, m: 64 * 1024, p: 1 } as const;

/** Upper bounds for parameters read from a file, so an altered header cannot stall or exhaust memory. */
export const PASSPHRASE_KDF_LIMITS = { t: 10, m: 512 * 1024, p: 4 } as const;

const WRAP_NONCE = 24;

/** Wraps `key` under the passphrase. */
export async function wrapKeyWithPassphrase({
  key,
  keyId,
  passphrase,
  params = PASSPHRASE_KDF,
}: {
  key: Uint8Array;
  keyId: string;
  passphrase: string;
  params?: { t: number; m: number; p: number };
}): Promise<PassphraseWrap> {
  if (passphrase.length === 0) throw new VaultError('invalid', 'the passphrase is empty');
  const salt = randomBytes(16);
  const kek = await deriveKek({ passphrase, salt, ...params });
  const nonce = randomBytes(WRAP_NONCE);
  const sealed = xchacha20poly1305(kek, nonce, wrapAad(keyId)).encrypt(key);
  const wrapped = new Uint8Array(WRAP_NONCE + sealed.length);
  wrapped.set(nonce, 0);
  wrapped.set(sealed, WRAP_NONCE);
  return { alg: 'argon2id', ...params, salt: toB64u(salt), wrapped: toB64u(wrapped) };
}

/** Recovers the storage key; throws `wrong-passphrase` when the passphrase does not open it. */
export async function unwrapKeyWithPassphrase({
  wrap,
  keyId,
  passphrase,
}: {
  wrap: PassphraseWrap;
  keyId: string;
  passphrase: string;
}): Promise<Uint8Array> {
  const { t, m, p } = wrap;
  const limits = PASSPHRASE_KDF_LIMITS;
  if (
    wrap.alg !== 'argon2id' ||
    !inRange(t, 1, limits.t) ||
    !inRange(m, 8 * p, limits.m) ||
    !inRange(p, 1, limits.p)
  ) {
    throw new VaultError(
      'damaged',
      `the passphrase parameters in the vault header are out of range (argon2id t=${t} m=${m} KiB p=${p})`,
    );
  }
  const salt = fromB64u(wrap.salt, 'kdf.salt');
  const wrapped = fromB64u(wrap.wrapped, 'kdf.wrapped');
  const kek = await deriveKek({ passphrase, salt, t, m, p });
  try {
    return xchacha20poly1305(kek, wrapped.subarray(0, WRAP_NONCE), wrapAad(keyId)).decrypt(
      wrapped.subarray(WRAP_NONCE),
    );
  } catch {
    throw new VaultError('wrong-passphrase', 'the passphrase does not open this vault');
  }
}

function wrapAad(keyId: string): Uint8Array {
  return new TextEncoder().encode(`tessera/v1/vault-key|${keyId}`);
}

async function deriveKek({
  passphrase,
  salt,
  t,
  m,
  p,
}: {
  passphrase: string;
  salt: Uint8Array;
  t: number;
  m: number;
  p: number;
}): Promise<Uint8Array> {
  // hash-wasm carries every hash's WASM; load it only when a passphrase is actually used.
  const { argon2id } = await import('hash-wasm');
  return argon2id({
    password: passphrase,
    salt,
    iterations: t,
    memorySize: m,
    parallelism: p,
    hashLength: 32,
    outputType: 'binary',
  });
}

function inRange(n: number, lo: number, hi: number): boolean {
  return Number.isSafeInteger(n) && n >= lo && n <= hi;
}
