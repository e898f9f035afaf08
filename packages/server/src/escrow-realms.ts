/**
 * Which realms hold the PINs of this server's accounts (docs/PROTOCOL.md §11): independent
 * `tessera realm serve` services named by the operator, or, when none are named, one realm embedded
 * in this process at `/realm` (so `npm start` needs nothing else, and says honestly that this
 * server's operator runs it).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dialect } from './db/connect.js';
import { RealmCore } from './realm/core.js';
import { loadRealmKeys } from './realm/keys.js';
import { openRealmStore, type RealmStore } from './realm/store.js';

/** What `/v1/meta` announces; clients pin each realm's key from the realm itself. */
export interface EscrowRealmsConfig {
  /** Absolute http(s) URLs, or `/realm` for the embedded realm (relative to the keychain server). */
  urls: string[];
  threshold: number;
}

export const EMBEDDED_REALM_PATH = '/realm';

/** Checks `--escrow-realms` and `--escrow-threshold` (or their config and environment twins). */
export function parseEscrowRealms(o: {
  urls: string | readonly string[];
  threshold: number | string | undefined;
  source: string;
}): EscrowRealmsConfig {
  const urls = (typeof o.urls === 'string' ? o.urls.split(',') : [...o.urls])
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter((u) => u !== '');
  if (urls.length === 0 || urls.length > 16)
    throw new Error(`${o.source}: name 1 to 16 realm URLs, got ${urls.length}`);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`${o.source}: ${JSON.stringify(url)} is not a URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new Error(`${o.source}: ${url} must be an http(s) URL`);
    if (parsed.search || parsed.hash || parsed.username || parsed.password)
      throw new Error(`${o.source}: ${url} must not carry a query, fragment or credentials`);
  }
  if (new Set(urls).size !== urls.length) throw new Error(`${o.source}: the same realm URL appears twice`);
  const threshold =
    o.threshold === undefined || o.threshold === '' ? Math.floor(urls.length / 2) + 1 : Number(o.threshold);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > urls.length)
    throw new Error(
      `escrow threshold: must be 1 to ${urls.length} (the number of realms), got ${o.threshold}`,
    );
  return { urls, threshold };
}

export interface EmbeddedRealm {
  core: RealmCore;
  store: RealmStore;
  close(): Promise<void>;
}

/**
 * The realm inside this process: its secret in `<data>/realm/realm-secret` (or
 * TESSERA_REALM_SECRET, which every process of a scaled-out server must share), its records in
 * `<data>/realm/realm.sqlite` or, on PostgreSQL, in schema `tessera_realm` of the keychain database.
 */
export async function openEmbeddedRealm(o: {
  dataDir: string;
  mainUrl: string;
  dialect: Dialect;
  env: NodeJS.ProcessEnv;
  onPoolError?: (err: Error) => void;
}): Promise<EmbeddedRealm> {
  const dir = join(o.dataDir, 'realm');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await loadRealmKeys({ dataDir: dir, env: o.env });
  const store = await openRealmStore({
    url: o.dialect === 'postgres' ? o.mainUrl : `sqlite:${join(dir, 'realm.sqlite')}`,
    embedded: true,
    ...(o.onPoolError ? { onPoolError: o.onPoolError } : {}),
  });
  const core = new RealmCore(store, keys);
  return { core, store, close: () => store.close() };
}
