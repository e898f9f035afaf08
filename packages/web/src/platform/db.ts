import { openDB, wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { earlyStart } from './early-start.js';

/** Name of the IndexedDB database that holds everything Tessera keeps in this browser. */
export const DB_NAME = 'tessera';

/** Its schema version (public/start.js opens this version too; a mismatch only skips the early read). */
export const DB_VERSION = 2;

/** Settings of this browser only: never synced, never inside the vault (the vault may be locked). */
export interface LocalSettings {
  /** 'device': this device only; 'keychain': backed up. Absent until first run finishes. */
  mode?: 'device' | 'keychain';
  theme?: 'system' | 'light' | 'dark';
  /** Codes show as ••• ••• until tapped (for screen sharing); kept per device, like the theme. */
  hideCodes?: boolean;
  /**
   * How the codes are sorted (pinned first in each). Per device, like the theme: a phone and a
   * laptop may want different views; the manual order itself syncs with the entries.
   */
  sort?: 'manual' | 'name' | 'used';
  /** Keychain server URL; the page's own origin unless set. */
  server?: string;
}

interface TesseraDB extends DBSchema {
  /** Encrypted vault bytes, written whole by the vault's storage (see storage.ts). */
  vault: { key: string; value: Uint8Array };
  /** Non-extractable WebCrypto keys (device keys, the vault key's wrapping key) and wrapped keys. */
  keys: { key: string; value: unknown };
  settings: { key: 'local'; value: LocalSettings };
  /** File System Access handles the user granted (the local backup folder). */
  handles: { key: string; value: FileSystemDirectoryHandle };
}

let opened: Promise<IDBPDatabase<TesseraDB>> | null = null;
/** The early connection serves the page's first open only: after `eraseAll` closed it, a new one. */
let firstOpen = true;

/** The one database connection of this page: the one public/start.js opened, when it did. */
export function db(): Promise<IDBPDatabase<TesseraDB>> {
  if (!opened) {
    const early = firstOpen ? earlyStart() : Promise.resolve(null);
    firstOpen = false;
    opened = early.then((start) => (start ? (wrap(start.db) as IDBPDatabase<TesseraDB>) : openOwn()));
  }
  return opened;
}

function openOwn(): Promise<IDBPDatabase<TesseraDB>> {
  return openDB<TesseraDB>(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('vault');
        database.createObjectStore('keys');
        database.createObjectStore('settings');
      }
      if (oldVersion < 2) database.createObjectStore('handles');
    },
  });
}

export async function loadSettings(): Promise<LocalSettings> {
  return (await (await db()).get('settings', 'local')) ?? {};
}

export async function saveSettings(patch: Partial<LocalSettings>): Promise<LocalSettings> {
  const database = await db();
  const next = { ...((await database.get('settings', 'local')) ?? {}), ...patch };
  await database.put('settings', next, 'local');
  return next;
}

/** Erases everything Tessera stored in this browser (used by "Remove Tessera from this browser"). */
export async function eraseAll(): Promise<void> {
  const database = await db();
  database.close();
  opened = null;
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve();
  });
}
