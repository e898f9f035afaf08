import { damaged, tooLarge, type FormatContext } from './errors.js';
import { LIMITS } from './limits.js';

/**
 * SQLite databases of other apps (Google Authenticator, Microsoft Authenticator, Stratum), read with
 * sql.js: SQLite compiled to WebAssembly, loaded only when such a file is imported. The database is
 * opened from bytes in memory, so nothing is ever written beside the user's file (the reference
 * exports folder, for one, is read-only).
 */

/** The few sql.js calls used here (its published types pull in Node and Emscripten globals). */
interface SqlJsDatabase {
  exec(sql: string): { columns: string[]; values: unknown[][] }[];
  close(): void;
}
interface SqlJsStatic {
  Database: new (data: Uint8Array) => SqlJsDatabase;
}
type InitSqlJs = (config?: { locateFile?: (file: string) => string }) => Promise<SqlJsStatic>;

let locateWasm: ((file: string) => string) | undefined;
let loading: Promise<SqlJsStatic> | undefined;

/**
 * Where the browser finds `sql-wasm.wasm` (the web app passes its bundled asset URL). Node needs no
 * call: sql.js finds the file beside its own script.
 */
export function setSqlJsWasmLocator(locate: (file: string) => string): void {
  locateWasm = locate;
}

function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= import('sql.js').then((mod: { default?: unknown }) => {
    const init = (mod.default ?? mod) as InitSqlJs;
    return init(locateWasm ? { locateFile: locateWasm } : undefined);
  });
  return loading;
}

/** `SQLite format 3\0` */
export function isSqlite(bytes: Uint8Array): boolean {
  const sig = 'SQLite format 3\u0000';
  for (let i = 0; i < sig.length; i++) if (bytes[i] !== sig.charCodeAt(i)) return false;
  return true;
}

/**
 * Cheap detection without opening the database: the schema (`CREATE TABLE …` text) is stored as
 * plain text, almost always in the first pages. True when every marker occurs in the first 256 KiB.
 */
export function sqliteSchemaMentions(bytes: Uint8Array, markers: string[]): boolean {
  if (!isSqlite(bytes)) return false;
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256 * 1024));
  return markers.every((m) => head.includes(m));
}

export type Row = Record<string, unknown>;

/**
 * Runs one SELECT over `table` of a database given as bytes and returns its rows as objects, at most
 * LIMITS.maxEntries of them (more is refused, not truncated).
 *
 * The file is untrusted: `accounts` may be a VIEW whose recursive CTE never ends (a 4 KB file that
 * hangs the reader for ever), and sql.js offers no progress handler to stop a runaway statement. So
 * the schema is read first (`sqlite_master` is a plain table, bounded by the file size) and the query
 * runs only when `table` is an ordinary table without computed (generated) columns and the file holds
 * no views or triggers, none of which the apps whose databases are read here create.
 */
export async function selectRows({
  ctx,
  bytes,
  table,
  query,
}: {
  ctx: FormatContext;
  bytes: Uint8Array;
  /** The one table `query` reads. */
  table: string;
  /** A SELECT over `table` only; a LIMIT is appended. */
  query: string;
}): Promise<Row[]> {
  if (bytes.length > LIMITS.maxFileBytes)
    throw tooLarge(ctx, `file larger than ${LIMITS.maxFileBytes} bytes`);
  if (!isSqlite(bytes)) throw damaged(ctx, 'not an SQLite database');
  const SQL = await loadSqlJs();
  let db: SqlJsDatabase;
  try {
    // sql.js may keep a reference to the array it is given; hand it a copy so the caller's stays intact.
    db = new SQL.Database(bytes.slice());
  } catch (err) {
    throw damaged(ctx, `cannot open the SQLite database: ${(err as Error).message}`);
  }
  try {
    requirePlainTable(ctx, db, table);
    const result = db.exec(`${query} LIMIT ${LIMITS.maxEntries + 1}`);
    const rows = result[0];
    if (!rows) return [];
    if (rows.values.length > LIMITS.maxEntries) {
      throw tooLarge(ctx, `more than ${LIMITS.maxEntries} rows`);
    }
    return rows.values.map((values) => Object.fromEntries(rows.columns.map((c, i) => [c, values[i]])));
  } catch (err) {
    if (err instanceof Error && err.name === 'FormatError') throw err;
    throw damaged(ctx, `cannot read the SQLite database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/** Refuses a schema that could make a SELECT over `table` run code of the file's choosing. */
function requirePlainTable(ctx: FormatContext, db: SqlJsDatabase, table: string): void {
  const schema = db.exec(`SELECT type, name, sql FROM sqlite_master LIMIT ${MAX_SCHEMA_OBJECTS + 1}`)[0];
  const objects = (schema?.values ?? []).map(([type, name, sql]) => ({
    type: String(type),
    name: String(name),
    sql: typeof sql === 'string' ? sql : '',
  }));
  if (objects.length > MAX_SCHEMA_OBJECTS)
    throw tooLarge(ctx, `more than ${MAX_SCHEMA_OBJECTS} tables, indexes, views and triggers`);
  const hostile = objects.find((o) => o.type === 'view' || o.type === 'trigger');
  if (hostile) {
    throw damaged(
      ctx,
      `it contains the ${hostile.type} "${hostile.name.slice(0, 60)}", which the app never creates; only plain tables are read (the file may be damaged or hostile)`,
    );
  }
  const found = objects.find((o) => o.type === 'table' && o.name.toLowerCase() === table.toLowerCase());
  if (!found) throw damaged(ctx, `it has no table "${table}"`);
  if (!/^\s*CREATE\s+TABLE\b/i.test(found.sql) || /\bAS\s*\(/i.test(found.sql)) {
    throw damaged(
      ctx,
      `its table "${table}" is virtual or has computed columns, which the app never creates (the file may be damaged or hostile)`,
    );
  }
}

/** Far more than any authenticator app's schema; a bound on what is read before the query. */
const MAX_SCHEMA_OBJECTS = 200;

/** A text column, or '' when NULL. */
export function textColumn(row: Row, column: string): string {
  const v = row[column];
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

/** An integer column; NULL reads as `fallback`. */
export function intColumn(row: Row, column: string, fallback = 0): number {
  const v = row[column];
  if (v === null || v === undefined) return fallback;
  return typeof v === 'number' ? v : Number(v);
}
