/**
 * Server secrets come from configuration, never from the database: environment variables, or files
 * created with mode 0600 in the data directory on first start.
 *
 * - OPAQUE server setup of sign-in: `TESSERA_OPAQUE_SERVER_SETUP` or `<data>/opaque-server-setup`.
 * - Escrow secret: `TESSERA_ESCROW_SECRET` or `<data>/escrow/secret`, one line
 *   `v1.<storage key, 32 bytes b64u>.<escrow OPAQUE server setup>`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { fromB64u, randomB64u } from './bytes.js';

export interface EscrowSecret {
  /** Encrypts EK at rest (XChaCha20-Poly1305). */
  storageKey: Uint8Array;
  opaqueServerSetup: string;
}

export interface Secrets {
  opaqueServerSetup: string;
  escrow: EscrowSecret;
}

const SETUP_PATTERN = /^[A-Za-z0-9_-]{100,400}$/;

/** Reads the file, or creates it (mode 0600) with `make()` when absent; concurrent first starts agree. */
export async function readOrCreate(path: string, make: () => string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if another process created it first; then read theirs.
    await writeFile(path, make() + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return (await readFile(path, 'utf8')).trim();
}

function checkSetup(value: string, where: string): string {
  if (!SETUP_PATTERN.test(value))
    throw new Error(`${where} is not an OPAQUE server setup (expected base64url from createSetup)`);
  try {
    opaque.server.getPublicKey(value);
  } catch {
    throw new Error(`${where} is not a valid OPAQUE server setup`);
  }
  return value;
}

export function parseEscrowSecret(value: string, where: string): EscrowSecret {
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1')
    throw new Error(`${where} must look like v1.<storage key>.<OPAQUE setup>`);
  let storageKey: Uint8Array;
  try {
    storageKey = fromB64u(parts[1]!);
  } catch {
    storageKey = new Uint8Array();
  }
  if (storageKey.length !== 32) throw new Error(`${where}: the storage key must be 32 bytes of base64url`);
  return { storageKey, opaqueServerSetup: checkSetup(parts[2]!, `${where} (OPAQUE setup)`) };
}

export function makeEscrowSecret(): string {
  return `v1.${randomB64u(32)}.${opaque.server.createSetup()}`;
}

/** Loads (or on first start creates) the secrets; requires `opaque.ready`. */
export async function loadSecrets(options: { dataDir: string; env?: NodeJS.ProcessEnv }): Promise<Secrets> {
  const env = options.env ?? process.env;
  const setup = env.TESSERA_OPAQUE_SERVER_SETUP
    ? checkSetup(env.TESSERA_OPAQUE_SERVER_SETUP.trim(), 'TESSERA_OPAQUE_SERVER_SETUP')
    : checkSetup(
        await readOrCreate(join(options.dataDir, 'opaque-server-setup'), () => opaque.server.createSetup()),
        join(options.dataDir, 'opaque-server-setup'),
      );
  const escrowPath = join(options.dataDir, 'escrow', 'secret');
  const escrow = env.TESSERA_ESCROW_SECRET
    ? parseEscrowSecret(env.TESSERA_ESCROW_SECRET.trim(), 'TESSERA_ESCROW_SECRET')
    : parseEscrowSecret(await readOrCreate(escrowPath, makeEscrowSecret), escrowPath);
  if (escrow.opaqueServerSetup === setup)
    throw new Error('the escrow must have its own OPAQUE server setup, not the sign-in one');
  return { opaqueServerSetup: setup, escrow };
}
