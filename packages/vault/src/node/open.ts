/// <reference types="node" />
import { VaultDamagedError, VaultError } from '../errors.js';
import { readVaultHeader, type KeyCustody } from '../file-format.js';
import { Vault, type VaultKey } from '../vault.js';
import { randomBytes, toB64u } from '../bytes.js';
import { wrapKeyWithPassphrase } from '../passphrase.js';
import { NodeFileStorage } from './file-storage.js';
import { nativeXChaCha } from './native-aead.js';
import { NodeKeyProvider, type KeyStoreChoice } from './key-provider.js';
import { RESTORE_COMMAND, vaultPaths } from './paths.js';

export interface NodeVaultOptions {
  /** The directory holding this device's state (created on the first write, mode 0700). */
  home: string;
  /** Needed only for a passphrase-locked vault; a new vault is locked with it when given. */
  passphrase?: string;
  /** Asked only when the vault turns out to be passphrase-locked and `passphrase` is absent. */
  askPassphrase?: () => Promise<string>;
  /** Where a new vault's key goes (default: TESSERA_KEY_STORE, else `auto`). */
  keyStore?: KeyStoreChoice;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** How long to wait for another process's write lock (default 15 s). */
  lockTimeoutMs?: number;
}

function parts(options: NodeVaultOptions) {
  const paths = vaultPaths(options.home);
  const storage = new NodeFileStorage(paths, options.lockTimeoutMs);
  const keys = new NodeKeyProvider({
    paths,
    passphrase: options.passphrase,
    askPassphrase: options.askPassphrase,
    keyStore: options.keyStore,
    env: options.env,
  });
  return { paths, storage, keys };
}

/**
 * Opens the vault in `home` (nothing is written until the first change). Throws VaultDamagedError
 * naming the file and the restore command if the vault does not authenticate.
 */
export async function openNodeVault(options: NodeVaultOptions): Promise<Vault> {
  const { paths, storage, keys } = parts(options);
  return Vault.open({
    storage,
    keys,
    aead: nativeXChaCha,
    now: options.now,
    damageHint: `the previous generation ${paths.previous} is kept: restore it with \`${RESTORE_COMMAND}\``,
  });
}

/** The state of one vault file, as `checkNodeVault` reports it. */
export interface VaultFileReport {
  path: string;
  present: boolean;
  ok: boolean;
  generation: number | null;
  writtenAt: string | null;
  custody: KeyCustody | null;
  entries: number | null;
  tombstones: number | null;
  problems: string[];
}

/** Verifies the current vault and the previous generation without changing anything. */
export async function checkNodeVault(
  options: NodeVaultOptions,
): Promise<{ ok: boolean; current: VaultFileReport; previous: VaultFileReport }> {
  const { paths, storage, keys } = parts(options);
  const current = await checkBytes(paths.vault, await storage.load().catch(() => null), keys);
  const previous = await checkBytes(paths.previous, await storage.loadPrevious(), keys);
  return { ok: current.ok && (previous.ok || !previous.present), current, previous };
}

async function checkBytes(
  path: string,
  bytes: Uint8Array | null,
  keys: NodeKeyProvider,
): Promise<VaultFileReport> {
  const report: VaultFileReport = {
    path,
    present: bytes !== null,
    ok: false,
    generation: null,
    writtenAt: null,
    custody: null,
    entries: null,
    tombstones: null,
    problems: [],
  };
  if (bytes === null) {
    report.problems.push('missing');
    return report;
  }
  try {
    const { header } = readVaultHeader(bytes, path);
    report.generation = header.generation;
    report.writtenAt = new Date(header.writtenAt).toISOString();
    report.custody = header.custody;
    const vault = await Vault.open({ storage: memoryStorage(bytes, path), keys, aead: nativeXChaCha });
    const check = vault.check();
    Object.assign(report, {
      ok: check.ok,
      entries: check.live,
      tombstones: check.tombstones,
      problems: check.problems,
    });
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    report.problems.push(err.message);
  }
  return report;
}

/**
 * Puts the previous generation (`vault.bin.1`) back as the vault, after checking that it opens.
 * The file it replaces is renamed `vault.bin.damaged-<time>`, not deleted. Refuses when the current
 * vault is intact unless `force` (restoring then loses the latest change).
 */
export async function restorePreviousGeneration(
  options: NodeVaultOptions & { force?: boolean },
): Promise<{ generation: number; writtenAt: string; entries: number; setAside: string | null }> {
  const { paths, storage, keys } = parts(options);
  const release = await storage.lock();
  try {
    const previous = await storage.loadPrevious();
    if (!previous)
      throw new VaultError(
        'not-found',
        `there is no previous generation to restore (${paths.previous} is missing)`,
      );
    const { header } = readVaultHeader(previous, paths.previous);
    const vault = await Vault.open({
      storage: memoryStorage(previous, paths.previous),
      keys,
      aead: nativeXChaCha,
    });
    const check = vault.check();
    if (!check.ok)
      throw new VaultDamagedError(check.problems[0] ?? 'its records do not validate', paths.previous);
    if (!options.force) {
      const intact = await Vault.open({ storage, keys, aead: nativeXChaCha }).then(
        () => true,
        () => false,
      );
      if (intact) {
        throw new VaultError(
          'invalid',
          `${paths.vault} is intact; restoring ${paths.previous} would undo the latest change (pass --force to do it anyway)`,
        );
      }
    }
    const setAside = await storage.restore(previous);
    return {
      generation: header.generation,
      writtenAt: new Date(header.writtenAt).toISOString(),
      entries: check.live,
      setAside,
    };
  } finally {
    await release();
  }
}

/**
 * Locks the vault with a passphrase, changes it, or (`newPassphrase: null`) removes it so the key
 * goes back to the OS keychain or the key file. A fresh storage key is made each time, both
 * generations are rewritten under it, and the old key is forgotten.
 */
export async function setVaultPassphrase(
  options: NodeVaultOptions & { newPassphrase: string | null },
): Promise<{ custody: KeyCustody }> {
  const { storage, keys } = parts(options);
  const vault = await openNodeVault(options);
  const key = randomBytes(32);
  const keyId = toB64u(randomBytes(12));
  const next: VaultKey =
    options.newPassphrase === null
      ? await keys.store(key, keyId)
      : {
          key,
          keyId,
          custody: 'passphrase',
          kdf: await wrapKeyWithPassphrase({ key, keyId, passphrase: options.newPassphrase }),
        };
  const oldKey = await vault.rekey(next);
  const release = await storage.lock();
  try {
    await storage.copyCurrentToPrevious();
  } finally {
    await release();
  }
  if (oldKey && oldKey.keyId !== next.keyId) await keys.forget(oldKey);
  return { custody: next.custody };
}

/** A read-only storage over bytes in memory, to open a generation without touching the files. */
function memoryStorage(bytes: Uint8Array, label: string) {
  return {
    label,
    load: async () => bytes,
    save: async () => {
      throw new Error('read-only');
    },
    lock: async () => async () => undefined,
  };
}
