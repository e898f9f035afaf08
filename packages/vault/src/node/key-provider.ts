/// <reference types="node" />
import { readFile, stat, unlink } from 'node:fs/promises';
import { fromB64u, randomBytes, toB64u } from '../bytes.js';
import { VaultDamagedError, VaultError } from '../errors.js';
import type { VaultHeader } from '../file-format.js';
import { unwrapKeyWithPassphrase, wrapKeyWithPassphrase } from '../passphrase.js';
import type { KeyProvider, VaultKey } from '../vault.js';
import { writeFileDurably } from './durable.js';
import { detectOsKeychain, osKeychainFor } from './os-keychain.js';
import type { VaultPaths } from './paths.js';

/** Where a new vault's key goes: `auto` = the OS keychain when reachable, else the key file. */
export type KeyStoreChoice = 'auto' | 'os' | 'file';

export interface NodeKeyOptions {
  paths: VaultPaths;
  /** Unlocks a passphrase-locked vault, and locks a new vault with it. */
  passphrase?: string;
  /** Asked only when an existing vault turns out to be passphrase-locked and no passphrase was given. */
  askPassphrase?: () => Promise<string>;
  keyStore?: KeyStoreChoice;
  env?: NodeJS.ProcessEnv;
}

/**
 * Custody of the device storage key in Node: OS keychain, `vault.key` (mode 0600) or a passphrase
 * wrap in the vault header. See packages/vault/README.md, "Key custody".
 */
export class NodeKeyProvider implements KeyProvider {
  constructor(private readonly options: NodeKeyOptions) {}

  async unlock(header: VaultHeader): Promise<VaultKey> {
    const { paths } = this.options;
    switch (header.custody) {
      case 'file':
        return { key: await this.readKeyFile(header.keyId), keyId: header.keyId, custody: 'file' };
      case 'passphrase': {
        if (!header.kdf)
          throw new VaultDamagedError(
            'its header says passphrase but holds no passphrase parameters',
            paths.vault,
          );
        const passphrase = this.options.passphrase ?? (await this.options.askPassphrase?.());
        if (passphrase === undefined) {
          throw new VaultError(
            'passphrase-required',
            `${paths.vault} is locked with a passphrase: set TESSERA_PASSPHRASE_FILE (or TESSERA_PASSPHRASE)`,
          );
        }
        const key = await unwrapKeyWithPassphrase({ wrap: header.kdf, keyId: header.keyId, passphrase });
        return { key, keyId: header.keyId, custody: 'passphrase', kdf: header.kdf };
      }
      case 'os:secret-service':
      case 'os:macos-keychain':
      case 'os:windows-credentials': {
        const keychain = osKeychainFor(header.custody, this.env);
        if (!keychain) {
          throw new VaultError(
            'wrong-key',
            `the key of ${paths.vault} is kept in the OS keychain (${header.custody}), which is not reachable from this session`,
          );
        }
        const secret = await keychain.get(header.keyId);
        if (!secret) {
          throw new VaultError(
            'wrong-key',
            `${keychain.describe} holds no key ${header.keyId} for ${paths.vault} (the keychain item was deleted, or the vault header was altered)`,
          );
        }
        return { key: decodeKey(secret, keychain.describe), keyId: header.keyId, custody: header.custody };
      }
      default:
        throw new VaultDamagedError(
          `its header names an unknown key custody ${JSON.stringify(String(header.custody).slice(0, 40))}`,
          paths.vault,
        );
    }
  }

  async create(): Promise<VaultKey> {
    const key = randomBytes(32);
    const keyId = toB64u(randomBytes(12));
    const passphrase = this.options.passphrase;
    if (passphrase !== undefined) {
      return {
        key,
        keyId,
        custody: 'passphrase',
        kdf: await wrapKeyWithPassphrase({ key, keyId, passphrase }),
      };
    }
    return this.store(key, keyId);
  }

  /** Keeps `key` in the OS keychain or the key file (not for passphrase custody). */
  async store(key: Uint8Array, keyId: string): Promise<VaultKey> {
    const choice = this.options.keyStore ?? keyStoreFromEnv(this.env);
    if (choice !== 'file') {
      const keychain = detectOsKeychain(this.env);
      if (keychain) {
        try {
          await keychain.set(keyId, toB64u(key), `Tessera vault key (${this.options.paths.home})`);
          if ((await keychain.get(keyId)) === toB64u(key)) return { key, keyId, custody: keychain.custody };
        } catch (err) {
          if (choice === 'os')
            throw new VaultError(
              'wrong-key',
              `could not store the vault key in ${keychain.describe}: ${(err as Error).message}`,
            );
        }
      } else if (choice === 'os') {
        throw new VaultError(
          'wrong-key',
          'TESSERA_KEY_STORE=os, but no OS keychain is reachable (secret-tool with a session bus, macOS security, or Windows PowerShell)',
        );
      }
    }
    const text = JSON.stringify({ v: 1, keyId, key: toB64u(key) }) + '\n';
    await writeFileDurably(this.options.paths.keyFile, new TextEncoder().encode(text), 0o600);
    return { key, keyId, custody: 'file' };
  }

  /** Removes a key that no vault file uses any more (after a key change). */
  async forget(old: VaultKey): Promise<void> {
    if (old.custody === 'file') {
      const current = await readFile(this.options.paths.keyFile, 'utf8').catch(() => null);
      if (current && parseKeyFile(current, this.options.paths.keyFile).keyId === old.keyId)
        await unlink(this.options.paths.keyFile);
    } else if (old.custody.startsWith('os:')) {
      await osKeychainFor(old.custody, this.env)?.delete(old.keyId);
    }
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private async readKeyFile(keyId: string): Promise<Uint8Array> {
    const file = this.options.paths.keyFile;
    let text: string;
    try {
      if (process.platform !== 'win32') {
        const mode = (await stat(file)).mode & 0o777;
        if (mode & 0o077) {
          throw new VaultError(
            'wrong-key',
            `${file} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
          );
        }
      }
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new VaultError(
          'wrong-key',
          `the key of ${this.options.paths.vault} should be in ${file}, which is missing`,
        );
      }
      throw err;
    }
    const stored = parseKeyFile(text, file);
    if (stored.keyId !== keyId) {
      throw new VaultDamagedError(
        `its key id ${keyId} is not the one in ${file} (${stored.keyId}): the header was altered, or the key file belongs to another vault`,
        this.options.paths.vault,
      );
    }
    return decodeKey(stored.key, file);
  }
}

/** TESSERA_KEY_STORE=file|os|auto. */
export function keyStoreFromEnv(env: NodeJS.ProcessEnv): KeyStoreChoice {
  const value = (env.TESSERA_KEY_STORE ?? 'auto').toLowerCase();
  if (value === 'file' || value === 'os' || value === 'auto') return value;
  throw new VaultError(
    'invalid',
    `TESSERA_KEY_STORE must be auto, os or file, not ${JSON.stringify(value.slice(0, 20))}`,
  );
}

function parseKeyFile(text: string, file: string): { keyId: string; key: string } {
  try {
    const parsed = JSON.parse(text) as { v?: unknown; keyId?: unknown; key?: unknown };
    if (parsed.v === 1 && typeof parsed.keyId === 'string' && typeof parsed.key === 'string')
      return { keyId: parsed.keyId, key: parsed.key };
  } catch {
    // fall through to the error below
  }
  throw new VaultError('wrong-key', `${file} is not a Tessera key file`);
}

function decodeKey(text: string, where: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = fromB64u(text, 'key');
  } catch {
    throw new VaultError('wrong-key', `the key in ${where} is not base64url`);
  }
  if (key.length !== 32)
    throw new VaultError('wrong-key', `the key in ${where} is ${key.length} bytes, not 32`);
  return key;
}
