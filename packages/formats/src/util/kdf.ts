import { FormatError } from '../types.js';
import type { FormatContext } from './errors.js';
import { LIMITS } from './limits.js';
import { utf8 } from './text.js';

/**
 * Key derivation with costs read from untrusted files. Every function checks the parameters against
 * LIMITS before running anything, so a file asking for scrypt N = 2^31 fails at once.
 */

/** `kdf-too-costly`: the file asks for `what` in `field`. */
export function tooCostly(ctx: FormatContext, field: string, what: string): FormatError {
  return new FormatError(
    'kdf-too-costly',
    `${ctx.file}: ${ctx.formatName} asks for ${what} in field ${field}; refusing to run a key derivation that costly`,
    { file: ctx.file, format: ctx.formatId, field },
  );
}

function badParam(ctx: FormatContext, field: string, what: string): FormatError {
  return new FormatError('damaged', `${ctx.file}: damaged ${ctx.formatName} file (field ${field}): ${what}`, {
    file: ctx.file,
    format: ctx.formatId,
    field,
  });
}

function positiveInt(ctx: FormatContext, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw badParam(ctx, field, `expected a positive integer, found ${value}`);
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  dkLen: number;
}

/** Throws unless N is a power of two ≤ 2^20, r ≤ 32, p ≤ 16 and memory (128·N·r·p) ≤ 1 GiB. */
export function checkScrypt(ctx: FormatContext, field: string, params: ScryptParams): void {
  const { N, r, p } = params;
  positiveInt(ctx, `${field}.n`, N);
  positiveInt(ctx, `${field}.r`, r);
  positiveInt(ctx, `${field}.p`, p);
  const log2 = Math.log2(N);
  if (!Number.isInteger(log2) || N < 2)
    throw badParam(ctx, `${field}.n`, `scrypt N must be a power of two, found ${N}`);
  if (log2 > LIMITS.scryptMaxLog2N) {
    throw tooCostly(ctx, `${field}.n`, `scrypt N=2^${log2} (limit 2^${LIMITS.scryptMaxLog2N})`);
  }
  if (r > LIMITS.scryptMaxR) throw tooCostly(ctx, `${field}.r`, `scrypt r=${r} (limit ${LIMITS.scryptMaxR})`);
  if (p > LIMITS.scryptMaxP) throw tooCostly(ctx, `${field}.p`, `scrypt p=${p} (limit ${LIMITS.scryptMaxP})`);
  if (128 * N * r * p > LIMITS.scryptMaxMemoryBytes) {
    throw tooCostly(ctx, field, `scrypt memory 128·N·r·p = ${128 * N * r * p} bytes (limit 1 GiB)`);
  }
}

export async function scryptKey(
  ctx: FormatContext,
  field: string,
  opts: ScryptParams & { password: string | Uint8Array; salt: Uint8Array },
): Promise<Uint8Array> {
  checkScrypt(ctx, field, opts);
  const { scryptAsync } = await import('@noble/hashes/scrypt.js');
  const password = typeof opts.password === 'string' ? utf8(opts.password) : opts.password;
  return scryptAsync(password, opts.salt, {
    N: opts.N,
    r: opts.r,
    p: opts.p,
    dkLen: opts.dkLen,
    maxmem: LIMITS.scryptMaxMemoryBytes + 1024 * 1024,
  });
}

export type Pbkdf2Hash = 'SHA-1' | 'SHA-256' | 'SHA-512';

export function checkPbkdf2(
  ctx: FormatContext,
  field: string,
  iterations: number,
  max: number = LIMITS.pbkdf2MaxIterations,
): void {
  positiveInt(ctx, field, iterations);
  if (iterations > max) throw tooCostly(ctx, field, `${iterations} PBKDF2 iterations (limit ${max})`);
}

/**
 * PBKDF2 (RFC 8018 §5.2). Uses WebCrypto where present (native speed matters at 600k iterations),
 * else @noble/hashes.
 */
export async function pbkdf2Key(
  ctx: FormatContext,
  field: string,
  opts: {
    hash: Pbkdf2Hash;
    password: string | Uint8Array;
    salt: Uint8Array;
    iterations: number;
    dkLen: number;
  },
): Promise<Uint8Array> {
  checkPbkdf2(ctx, field, opts.iterations);
  const password = typeof opts.password === 'string' ? utf8(opts.password) : opts.password;
  const subtle = globalThis.crypto?.subtle;
  if (subtle && password.length > 0) {
    try {
      const key = await subtle.importKey('raw', password as BufferSource, 'PBKDF2', false, ['deriveBits']);
      const bits = await subtle.deriveBits(
        { name: 'PBKDF2', hash: opts.hash, salt: opts.salt as BufferSource, iterations: opts.iterations },
        key,
        opts.dkLen * 8,
      );
      return new Uint8Array(bits);
    } catch {
      // Fall through to the pure implementation (e.g. a WebCrypto without PBKDF2).
    }
  }
  const { pbkdf2Async } = await import('@noble/hashes/pbkdf2.js');
  const { sha1 } = await import('@noble/hashes/legacy.js');
  const { sha256, sha512 } = await import('@noble/hashes/sha2.js');
  const hash = opts.hash === 'SHA-1' ? sha1 : opts.hash === 'SHA-256' ? sha256 : sha512;
  return pbkdf2Async(hash, password, opts.salt, { c: opts.iterations, dkLen: opts.dkLen });
}

export interface Argon2Params {
  /** Memory in KiB. */
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export function checkArgon2(ctx: FormatContext, field: string, params: Argon2Params): void {
  positiveInt(ctx, `${field}.memory`, params.memoryKiB);
  positiveInt(ctx, `${field}.iterations`, params.iterations);
  positiveInt(ctx, `${field}.parallelism`, params.parallelism);
  if (params.memoryKiB > LIMITS.argon2MaxMemoryKiB) {
    throw tooCostly(
      ctx,
      `${field}.memory`,
      `Argon2 memory ${params.memoryKiB} KiB (limit ${LIMITS.argon2MaxMemoryKiB} KiB = 1 GiB)`,
    );
  }
  if (params.iterations > LIMITS.argon2MaxIterations) {
    throw tooCostly(
      ctx,
      `${field}.iterations`,
      `${params.iterations} Argon2 passes (limit ${LIMITS.argon2MaxIterations})`,
    );
  }
  if (params.parallelism > LIMITS.argon2MaxParallelism) {
    throw tooCostly(
      ctx,
      `${field}.parallelism`,
      `Argon2 parallelism ${params.parallelism} (limit ${LIMITS.argon2MaxParallelism})`,
    );
  }
  if (params.memoryKiB < 8 * params.parallelism) {
    throw badParam(
      ctx,
      `${field}.memory`,
      `Argon2 memory must be at least 8 KiB per lane, found ${params.memoryKiB} KiB`,
    );
  }
}

/** Argon2id v1.3 (RFC 9106) via hash-wasm. */
export async function argon2idKey(
  ctx: FormatContext,
  field: string,
  opts: Argon2Params & { password: string | Uint8Array; salt: Uint8Array; dkLen: number },
): Promise<Uint8Array> {
  checkArgon2(ctx, field, opts);
  if (opts.salt.length < 8)
    throw badParam(ctx, `${field}.salt`, `Argon2 salt must be at least 8 bytes, found ${opts.salt.length}`);
  const { argon2id } = await import('hash-wasm');
  return argon2id({
    password: typeof opts.password === 'string' ? utf8(opts.password) : opts.password,
    salt: opts.salt,
    memorySize: opts.memoryKiB,
    iterations: opts.iterations,
    parallelism: opts.parallelism,
    hashLength: opts.dkLen,
    outputType: 'binary',
  });
}
