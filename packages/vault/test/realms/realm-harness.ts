// Real realms on loopback for the client tests: each its own data directory and database
// (an SQLite file, or a fresh PostgreSQL database per realm).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startRealm, type RealmOptions, type RunningRealm } from '@tessera/server';
import type { RealmPin } from '../../src/realms/index.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const ADMIN_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface TestRealm {
  dataDir: string;
  database: string;
  running: RunningRealm | null;
  pin: RealmPin;
  /** Starts (again) on the same directory, database and port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function makeRealm(
  backend: Backend,
  options: { rateLimits?: RealmOptions['rateLimits'] } = {},
): Promise<TestRealm> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-realm-test-'));
  let database = `sqlite:${join(dataDir, 'realm.sqlite')}`;
  if (backend === 'postgres') {
    const name = `tessera_realm_test_${randomUUID().replace(/-/g, '')}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    database = url.toString();
  }
  let port = 0;
  const realm: TestRealm = {
    dataDir,
    database,
    running: null,
    pin: { url: '', realmId: '', publicKey: '' },
    async start() {
      realm.running = await startRealm({
        dataDir,
        database,
        port,
        httpRateLimit: false,
        ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      });
      port = Number(new URL(realm.running.url).port);
      realm.pin = {
        url: realm.running.url,
        realmId: realm.running.realmId,
        publicKey: realm.running.publicKey,
      };
    },
    async stop() {
      await realm.running?.close();
      realm.running = null;
    },
  };
  await realm.start();
  return realm;
}

export async function dropRealm(realm: TestRealm): Promise<void> {
  await realm.stop();
  if (realm.database.startsWith('postgres'))
    await admin(`DROP DATABASE IF EXISTS ${new URL(realm.database).pathname.slice(1)} WITH (FORCE)`);
  await rm(realm.dataDir, { recursive: true, force: true });
}
