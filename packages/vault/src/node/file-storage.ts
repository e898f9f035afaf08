/// <reference types="node" />
import { copyFile, link, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VaultDamagedError } from '../errors.js';
import type { VaultStorage } from '../storage.js';
import { syncDirectory, tempName, writeFileDurably } from './durable.js';
import { acquireFileLock } from './lock.js';
import type { VaultPaths } from './paths.js';

/** Largest vault file read (5,000 entries of a few hundred bytes are ~2 MB; this leaves room). */
export const MAX_VAULT_BYTES = 64 * 1024 * 1024;

/**
 * The vault in files: `vault.bin` (current), `vault.bin.1` (previous generation), `vault.lock`.
 * Each save keeps the file it replaces as `vault.bin.1` (a hard link, so no extra write), then
 * renames the new fsynced file into place: at every instant `vault.bin` is a complete vault.
 */
export class NodeFileStorage implements VaultStorage {
  readonly label: string;

  constructor(
    readonly paths: VaultPaths,
    private readonly lockTimeoutMs?: number,
  ) {
    this.label = paths.vault;
  }

  async load(): Promise<Uint8Array | null> {
    const bytes = await readBounded(this.paths.vault);
    if (bytes === null && (await exists(this.paths.previous))) {
      throw new VaultDamagedError(
        `it is missing, but the previous generation ${this.paths.previous} exists`,
        this.paths.vault,
      );
    }
    return bytes;
  }

  /** The previous generation's bytes, or null. */
  async loadPrevious(): Promise<Uint8Array | null> {
    return readBounded(this.paths.previous);
  }

  async save(bytes: Uint8Array): Promise<void> {
    await this.removeLeftovers();
    if (await exists(this.paths.vault)) await this.keepAsPrevious();
    await writeFileDurably(this.paths.vault, bytes);
  }

  /** Makes `vault.bin.1` an exact copy of `vault.bin` (after a key change, so both open with the new key). */
  async copyCurrentToPrevious(): Promise<void> {
    await this.keepAsPrevious();
    await syncDirectory(this.paths.home);
  }

  /**
   * Puts `bytes` (a verified previous generation) back as the current vault; the file it replaces
   * is kept beside it as `vault.bin.damaged-<time>` for inspection, never deleted.
   */
  async restore(bytes: Uint8Array): Promise<string | null> {
    let setAside: string | null = null;
    if (await exists(this.paths.vault)) {
      setAside = `${this.paths.vault}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.paths.vault, setAside);
    }
    await writeFileDurably(this.paths.vault, bytes);
    return setAside;
  }

  lock(): Promise<() => Promise<void>> {
    return acquireFileLock(this.paths.lock, this.lockTimeoutMs);
  }

  /** link(2) then rename(2): `vault.bin.1` is replaced atomically and `vault.bin` never goes missing. */
  private async keepAsPrevious(): Promise<void> {
    const temp = tempName(this.paths.previous);
    try {
      await link(this.paths.vault, temp);
    } catch {
      // File systems without hard links (FAT, some network mounts): copy and fsync instead.
      await copyFile(this.paths.vault, temp);
      const handle = await open(temp, 'r+');
      await handle.sync().finally(() => handle.close());
    }
    await rename(temp, this.paths.previous);
    // rename(2) does nothing when both names already link the same file (after
    // copyCurrentToPrevious), leaving the temporary name behind.
    await unlink(temp).catch(() => undefined);
  }

  /** Temporary files of writes killed midway; only ever removed while holding the lock. */
  private async removeLeftovers(): Promise<void> {
    const names = await readdir(dirname(this.paths.vault)).catch(() => [] as string[]);
    const prefixes = [`${basename(this.paths.vault)}.tmp-`, `${basename(this.paths.previous)}.tmp-`];
    await Promise.all(
      names
        .filter((name) => prefixes.some((p) => name.startsWith(p)))
        .map((name) => unlink(join(dirname(this.paths.vault), name)).catch(() => undefined)),
    );
  }
}

async function readBounded(file: string): Promise<Uint8Array | null> {
  try {
    const info = await stat(file);
    if (info.size > MAX_VAULT_BYTES) {
      throw new VaultDamagedError(
        `it is ${info.size} bytes, more than the ${MAX_VAULT_BYTES} a vault can be`,
        file,
      );
    }
    return new Uint8Array(await readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
