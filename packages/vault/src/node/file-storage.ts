/// <reference types="node" />
import type { BigIntStats } from 'node:fs';
import { copyFile, link, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VaultDamagedError } from '../errors.js';
import type { VaultStorage } from '../storage.js';
import { syncDirectory, tempName, writeFileDurably } from './durable.js';
import { acquireFileLock } from './lock.js';
import type { VaultPaths } from './paths.js';

/** Largest vault file read (5,000 entries of a few hundred bytes are ~2 MB; this leaves room). */
export const MAX_VAULT_BYTES = 64 * 1024 * 1024;

/** Bytes compared by `loadUnlessSame`: the signature, the longest header and the nonce. */
const PREFIX_BYTES = 12 + 4096 + 24;

/**
 * The vault in files: `vault.bin` (current), `vault.bin.1` (previous generation), `vault.lock`.
 * Each save keeps the file it replaces as `vault.bin.1` (a hard link, so no extra write), then
 * renames the new fsynced file into place: at every instant `vault.bin` is a complete vault.
 */
export class NodeFileStorage implements VaultStorage {
  readonly label: string;
  /** The bytes this object last loaded or saved, and `stamp` of the file that held them. */
  private last: { bytes: Uint8Array; stamp: string } | null = null;

  constructor(
    readonly paths: VaultPaths,
    private readonly lockTimeoutMs?: number,
  ) {
    this.label = paths.vault;
  }

  async load(): Promise<Uint8Array | null> {
    const read = await readBounded(this.paths.vault);
    this.last = read;
    if (read === null && (await exists(this.paths.previous))) {
      throw new VaultDamagedError(
        `it is missing, but the previous generation ${this.paths.previous} exists`,
        this.paths.vault,
      );
    }
    return read?.bytes ?? null;
  }

  /**
   * `known` itself when `vault.bin` is still the file this object last loaded or saved as `known`:
   * the same file (device, inode, size, modification and change times) whose first bytes (the
   * header, with the generation and time of the write, and the write's random nonce) are still
   * those of `known`. Every save replaces the file by a new one with a fresh nonce, so a write by
   * another process never passes; one changing the file in place changes its times. Anything else
   * is read whole (`load`).
   */
  async loadUnlessSame(known: Uint8Array): Promise<Uint8Array | null> {
    const last = this.last;
    if (last?.bytes !== known) return this.load();
    const handle = await open(this.paths.vault, 'r').catch(() => null);
    if (handle === null) return this.load();
    try {
      const info = await handle.stat({ bigint: true });
      if (stampOf(info) === last.stamp) {
        const length = Math.min(known.length, PREFIX_BYTES);
        const head = new Uint8Array(length);
        const { bytesRead } = await handle.read(head, 0, length, 0);
        if (bytesRead === length && Buffer.compare(head, known.subarray(0, length)) === 0) return known;
      }
    } finally {
      await handle.close();
    }
    return this.load();
  }

  /** The previous generation's bytes, or null. */
  async loadPrevious(): Promise<Uint8Array | null> {
    return (await readBounded(this.paths.previous))?.bytes ?? null;
  }

  async save(bytes: Uint8Array): Promise<void> {
    this.last = null;
    await this.removeLeftovers();
    if (await exists(this.paths.vault)) await this.keepAsPrevious();
    await writeFileDurably(this.paths.vault, bytes);
    // Under the lock: no other writer replaces the file between the rename and this stat.
    this.last = { bytes, stamp: stampOf(await stat(this.paths.vault, { bigint: true })) };
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
    this.last = null;
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

/** The file's bytes and `stamp`, both from one open file; null when there is none. */
async function readBounded(file: string): Promise<{ bytes: Uint8Array; stamp: string } | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = await handle.stat({ bigint: true });
    if (info.size > BigInt(MAX_VAULT_BYTES)) {
      throw new VaultDamagedError(
        `it is ${info.size} bytes, more than the ${MAX_VAULT_BYTES} a vault can be`,
        file,
      );
    }
    return { bytes: new Uint8Array(await handle.readFile()), stamp: stampOf(info) };
  } finally {
    await handle.close();
  }
}

/** What tells one file's state from another's: device, inode, size, modification and change times. */
function stampOf(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
