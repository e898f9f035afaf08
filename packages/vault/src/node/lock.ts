/// <reference types="node" />
import { hostname } from 'node:os';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VaultError } from '../errors.js';

/** How long a process waits for another to finish writing before giving up. */
export const LOCK_TIMEOUT_MS = 15_000;

interface LockOwner {
  pid: number;
  host: string;
  at: number;
}

/**
 * An exclusive lock between processes: a lock file created with O_EXCL holding the owner's pid and
 * host. A lock left by a process that died (SIGKILL, power cut) is stale: its pid no longer runs on
 * this host. Breaking a stale lock is itself guarded by a second O_EXCL file, and the lock is only
 * removed if it still holds the same owner, so two processes breaking at once cannot both win.
 * No dependency needed: Node has no flock(2), and O_EXCL works on every local file system.
 */
export async function acquireFileLock(
  file: string,
  timeoutMs = LOCK_TIMEOUT_MS,
): Promise<() => Promise<void>> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const me: LockOwner = { pid: process.pid, host: hostname(), at: Date.now() };
  const text = JSON.stringify(me);
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    if (await createExclusive(file, text)) return () => releaseFileLock(file, text);
    const owner = await readOwner(file);
    if (owner === 'gone') continue;
    if (owner === 'unreadable' || !isAlive(owner)) {
      await breakStaleLock(file, owner);
      continue;
    }
    if (Date.now() > deadline) {
      throw new VaultError(
        'locked',
        `the vault is locked by process ${owner.pid} on ${owner.host} since ${new Date(owner.at).toISOString()}; ` +
          `if no tessera process is running there, delete ${file}`,
      );
    }
    await sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 100);
  }
}

async function releaseFileLock(file: string, text: string): Promise<void> {
  // Remove only our own lock: if it was broken as stale meanwhile, the file is someone else's.
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === text) await unlink(file).catch(() => undefined);
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readOwner(file: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' && typeof owner.at === 'number')
      return owner;
  } catch {
    // A lock file cut short by a crash between create and write.
  }
  // An empty or partial lock file may be one being written right now; treat it as stale only once old.
  return 'unreadable';
}

/** True if the owner may still hold the lock: a running pid on this host, or any owner elsewhere. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function breakStaleLock(file: string, owner: LockOwner | 'unreadable'): Promise<void> {
  const breaker = `${file}.break`;
  const breakerText = JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() });
  if (!(await createExclusive(breaker, breakerText))) {
    // Someone else is breaking it; if that breaker died too, clear its file and try again.
    const other = await readOwner(breaker);
    if (other !== 'gone' && (other === 'unreadable' || !isAlive(other)))
      await unlink(breaker).catch(() => undefined);
    await sleep(5);
    return;
  }
  try {
    const now = await readOwner(file);
    if (owner === 'unreadable') {
      // Give a creator that has not written its pid yet time to do so.
      await sleep(50);
      const again = await readOwner(file);
      if (again === 'unreadable') await unlink(file).catch(() => undefined);
    } else if (
      now !== 'gone' &&
      now !== 'unreadable' &&
      now.pid === owner.pid &&
      now.at === owner.at &&
      now.host === owner.host
    ) {
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
