/// <reference types="node" />
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `bytes` to `file` atomically and durably: a temporary file in the same directory is
 * written and fsynced, renamed over `file`, then the directory is fsynced so the rename itself
 * survives a power cut. A crash at any point leaves either the old or the new file, never a mix.
 */
export async function writeFileDurably(file: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = tempName(file);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await pauseInWriteForTests(handle, bytes);
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
}

/** A unique name beside `file` for an in-flight write. */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** fsync of a directory, so renames and new names in it are on disk. Windows cannot, and needs not. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Test hook (crash tests only): with `TESSERA_TEST_PAUSE_IN_WRITE=1`, writes the first half of the
 * bytes, says so on stderr and waits for ever, so a test can SIGKILL the process in the middle of
 * the write itself. The write then starts over from the beginning of the file as usual.
 */
async function pauseInWriteForTests(
  handle: import('node:fs/promises').FileHandle,
  bytes: Uint8Array,
): Promise<void> {
  if (process.env.TESSERA_TEST_PAUSE_IN_WRITE !== '1') return;
  await handle.write(bytes, 0, Math.floor(bytes.length / 2), 0);
  await handle.sync();
  process.stderr.write('tessera-test: paused in the middle of a vault write\n');
  await new Promise(() => undefined);
}
