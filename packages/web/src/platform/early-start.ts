/**
 * What public/start.js read before the app's modules ran (issue 14): the open database and, for each
 * store of the first screen, every key with its value. The page's classic script in the head starts
 * it before the parser reaches the app's module (a blocking script: its file comes from the service
 * worker's cache; `async` measured slower, 20 to 35 ms, in bench:web), so IndexedDB's open and read overlap the module graph's fetch
 * and evaluation instead of following them. Absent (the script did not run or did not finish) or null
 * (no database yet, another version, an error): the app opens and reads as it always did.
 */
export interface EarlyStart {
  db: IDBDatabase;
  /** Null when the read transaction failed: the connection is still usable. */
  stores: Record<'settings' | 'keys' | 'vault', Map<IDBValidKey, unknown>> | null;
}

declare global {
  var __tesseraStart: Promise<EarlyStart | null> | undefined;
}

let taken: Promise<EarlyStart | null> | undefined;

/** The early start, once per page: a second caller (a later `db()`) gets the same connection. */
export function earlyStart(): Promise<EarlyStart | null> {
  // public/start.js runs first (a parser-blocking script before the app's module); when it did not run,
  // a late copy of it finds this and stays out of the way.
  globalThis.__tesseraStart ??= Promise.resolve(null);
  taken ??= globalThis.__tesseraStart.catch(() => null);
  return taken;
}
