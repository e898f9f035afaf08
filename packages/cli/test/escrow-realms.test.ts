// Escrow realms end to end (issue 12, PROTOCOL §11): three `tessera realm serve` processes (two on
// SQLite, one on PostgreSQL), a keychain server naming them 2-of-3, and CLI devices running the
// real `tessera` binary (build first). Then the operator of the keychain server and one realm tries
// to check PIN guesses offline with all of their files, and the realms' storage is scanned for the
// bytes of destroyed and replaced records. Steps share one account and run in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@tessera/server';
import { Device, PASSWORD, RELAXED, Workspace } from './keychain-harness.js';
import { offlinePinCheck, type OperatorFiles } from './operator-pin-check.js';

const BIN = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const PG_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EMAIL = 'realms@example.com';
const PIN = 'tessera-pin-5521';
const STEP_TIMEOUT_MS = 180_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One `tessera realm serve` process with a fixed port and data directory (restartable). */
class RealmProcess {
  url = '';
  private child: ChildProcess | null = null;
  constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly database?: string,
  ) {}

  async start(): Promise<void> {
    const args = [BIN, 'realm', 'serve', '--port', String(this.port), '--data', this.dataDir];
    if (this.database) args.push('--database', this.database);
    const child = spawn(process.execPath, [...args, '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let out = '';
    let err = '';
    this.url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Tessera escrow realm realm-\S+: (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => reject(new Error(`realm exited ${code}: ${err}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    });
    this.child = null;
  }
}

async function pgQuery<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

function dbUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The bytes an operator could find of one record: its sealed row and its key. */
interface RecordBytes {
  sealed: Buffer;
  key: Buffer;
}

describe('escrow realms end to end (2 of 3, one realm on PostgreSQL)', () => {
  const ws = new Workspace();
  const pgName = `tessera_realm_${Math.random().toString(36).slice(2, 10)}`;
  let realms: RealmProcess[] = [];
  let server: RunningServer;
  const a = ws.device();
  const pinFile = ws.file('pin', `${PIN}\n`);
  const rkFile = `${ws.dir}/recovery-key.txt`;

  const serverDir = join(ws.dir, 'server');
  const circleRealms = () => {
    const db = new Database(join(serverDir, 'tessera.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('select body from circle_links order by seq').all() as { body: string }[];
      const links = rows.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      const last = links.filter((l) => l.escrowPub !== undefined && l.escrowPub !== null).pop();
      return last?.escrowRealms as { record: string; realms: { url: string }[] } | undefined;
    } finally {
      db.close();
    }
  };

  /** What realm i holds of `record` (its operator's view). */
  async function recordBytes(i: number, record: string): Promise<RecordBytes> {
    const realm = realms[i]!;
    if (realm.database) {
      const [row] = await pgQuery<{ sealed: Buffer }>(
        realm.database,
        'select sealed from tessera_realm.realm_records where id = $1',
        [record],
      );
      const keys = new Database(join(realm.dataDir, 'realm-keys.sqlite'), { readonly: true });
      const key = keys.prepare('select key from realm_record_keys where id = ?').get(record) as {
        key: Buffer;
      };
      keys.close();
      return { sealed: row!.sealed, key: key.key };
    }
    const db = new Database(join(realm.dataDir, 'realm.sqlite'), { readonly: true });
    try {
      const row = db.prepare('select sealed from realm_records where id = ?').get(record) as {
        sealed: Buffer;
      };
      const key = db.prepare('select key from realm_record_keys where id = ?').get(record) as { key: Buffer };
      return { sealed: row.sealed, key: key.key };
    } finally {
      db.close();
    }
  }

  /** Every file of realm i's local storage (SQLite files and their journals). */
  function realmFiles(i: number): string[] {
    const dir = realms[i]!.dataDir;
    return ['realm.sqlite', 'realm-keys.sqlite']
      .flatMap((f) => [f, `${f}-wal`, `${f}-journal`])
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f));
  }

  async function recover1(url: string, record: string): Promise<{ status: number; code?: string }> {
    const res = await fetch(`${url}/v1/realm/recover1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        record,
        nonce: Buffer.alloc(32, 7).toString('base64url'),
        // The ristretto255 base point: a valid element, so only the record's state decides.
        blinded: '4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY',
      }),
    });
    const json = (await res.json()) as { error?: { code: string } };
    return { status: res.status, ...(json.error ? { code: json.error.code } : {}) };
  }

  beforeAll(async () => {
    await pgQuery(PG_URL, `CREATE DATABASE ${pgName}`);
    realms = [
      new RealmProcess(join(ws.dir, 'realm-1'), await freePort()),
      new RealmProcess(join(ws.dir, 'realm-2'), await freePort()),
      new RealmProcess(join(ws.dir, 'realm-3'), await freePort(), dbUrl(pgName)),
    ];
    await Promise.all(realms.map((r) => r.start()));
    server = await startServer({
      port: 0,
      dataDir: serverDir,
      escrowRealms: { urls: realms.map((r) => r.url).join(','), threshold: 2 },
      rateLimits: {
        recoveryAccount: RELAXED,
        recoveryAddress: RELAXED,
        signInAccount: RELAXED,
        signInAddress: RELAXED,
      },
      httpRateLimit: false,
    });
    await a.ok(['import', ws.otpauthList(12)]);
    const out = await a.ok([
      'keychain',
      'signup',
      '--server',
      server.url,
      '--email',
      EMAIL,
      '--recovery-key-file',
      rkFile,
      '--pin-file',
      pinFile,
    ]);
    expect(out).toMatch(/12 entries backed up; PIN set, held by 2 of 3 realms: 127\.0\.0\.1:\d+, /);
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    await Promise.all(realms.map((r) => r.stop()));
    await pgQuery(PG_URL, `DROP DATABASE IF EXISTS ${pgName}`).catch(() => {});
    ws.remove();
  });

  async function joinPending(device: Device): Promise<void> {
    await device.ok(['keychain', 'login', '--server', server.url, '--email', EMAIL, '--no-wait', '--json'], {
      TESSERA_PASSWORD: PASSWORD,
    });
  }

  it('pins the three realms in the signed circle and says so', async () => {
    const setup = circleRealms()!;
    expect(setup.realms.map((r) => r.url)).toEqual(realms.map((r) => r.url));
    const status = await a.ok(['keychain', 'status']);
    expect(status).toMatch(/^PIN: +2 of 3 realms: 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+$/m);
    expect(JSON.parse(await a.ok(['keychain', 'status', '--json'])).pin).toMatchObject({
      kind: 'realms',
      realms: 3,
      threshold: 2,
      operatorRealms: 0,
    });
  });

  it(
    'restores every code with the PIN while one realm is stopped',
    async () => {
      await realms[2]!.stop();
      try {
        const b = ws.device();
        await joinPending(b);
        expect(await b.ok(['keychain', 'recover', '--pin-file', pinFile])).toMatch(/12 entries restored/);
        expect(await b.entries()).toEqual(await a.entries());
      } finally {
        await realms[2]!.start();
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'the operator of the keychain server and one realm cannot check a PIN guess offline',
    async () => {
      const files: OperatorFiles = {
        keychainDatabase: join(serverDir, 'tessera.sqlite'),
        realms: [{ dataDir: realms[0]!.dataDir, url: realms[0]!.url }],
      };
      const result = await offlinePinCheck(files, ['0000', '1234', PIN, '9999']);
      expect(result).toEqual({
        found: null,
        reason: 'the files hold 1 realm share and 2 are needed: no guess can be checked',
      });
    },
    STEP_TIMEOUT_MS,
  );

  let destroyed: { record: string; bytes: RecordBytes[] } | null = null;

  it(
    'ten wrong PINs delete the record at every realm; the right PIN then fails everywhere; the account is told',
    async () => {
      const record = circleRealms()!.record;
      destroyed = { record, bytes: await Promise.all(realms.map((_, i) => recordBytes(i, record))) };
      const c = ws.device();
      await joinPending(c);
      const wrong = ws.file('wrong-pin', '0000\n');
      for (let attempt = 1; attempt <= 10; attempt++) {
        const r = await c.run(['keychain', 'recover', '--pin-file', wrong]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          attempt < 10
            ? new RegExp(`Wrong keychain PIN; ${10 - attempt} attempts? left`)
            : /last attempt, the PIN is now locked/,
        );
      }
      const right = await c.run(['keychain', 'recover', '--pin-file', pinFile]);
      expect(right.code).toBe(1);
      expect(right.stderr).toMatch(/PIN was locked for good after 10 wrong attempts/);
      for (const realm of realms)
        expect(await recover1(realm.url, record)).toEqual({ status: 410, code: 'realm-record-destroyed' });
      // The lock is what needs attention now; the wrong-PIN counts it overtook are history.
      const status = await a.ok(['keychain', 'status']);
      expect(status).toMatch(/notice: .* The keychain PIN was locked for good/);
      expect(status).not.toMatch(/A wrong keychain PIN was tried/);
      expect(status).toMatch(/\d+ older notices done \(`keychain status --all`\)/);
      const all = await a.ok(['keychain', 'status', '--all']);
      expect(all).toMatch(
        /notice: .* A wrong keychain PIN was tried \(8 attempts left\)\. \(done: overtaken\)/,
      );
    },
    STEP_TIMEOUT_MS,
  );

  it('leaves none of a destroyed record’s bytes in any realm’s storage', async () => {
    const { record, bytes } = destroyed!;
    for (const [i, b] of bytes.entries()) {
      for (const file of realmFiles(i)) {
        const content = readFileSync(file);
        expect(content.includes(b.key), `record key in ${file}`).toBe(false);
        if (!realms[i]!.database) expect(content.includes(b.sealed), `sealed record in ${file}`).toBe(false);
      }
    }
    // On PostgreSQL the sealed row may linger in pages and WAL; its key is gone (crypto-shredding).
    const rows = await pgQuery(dbUrl(pgName), 'select id from tessera_realm.realm_records where id = $1', [
      record,
    ]);
    expect(rows).toEqual([]);
  });

  it(
    'a new PIN deletes the old records at every realm, and leaves no bytes of them',
    async () => {
      await a.ok(['keychain', 'set-pin', '--pin-file', pinFile]);
      const old = circleRealms()!.record;
      const oldBytes = await Promise.all(realms.map((_, i) => recordBytes(i, old)));
      await a.ok(['keychain', 'set-pin', '--pin-file', ws.file('pin-2', 'another-pin-8812\n')]);
      expect(circleRealms()!.record).not.toBe(old);
      for (const realm of realms)
        expect(await recover1(realm.url, old)).toEqual({ status: 410, code: 'realm-record-deleted' });
      for (const [i, b] of oldBytes.entries())
        for (const file of realmFiles(i)) expect(readFileSync(file).includes(b.key), file).toBe(false);
      const e = ws.device();
      await joinPending(e);
      await e.ok(['keychain', 'recover'], { TESSERA_PIN: 'another-pin-8812' });
      expect(await e.entries()).toEqual(await a.entries());
    },
    STEP_TIMEOUT_MS,
  );
});

describe('the single embedded realm (no realms configured)', () => {
  const ws = new Workspace();
  let server: RunningServer;

  afterAll(async () => {
    await server?.close();
    ws.remove();
  });

  it(
    'falls to the same offline procedure, so the test above can fail',
    async () => {
      const serverDir = join(ws.dir, 'server');
      server = await startServer({ port: 0, dataDir: serverDir, httpRateLimit: false });
      const a = ws.device();
      await a.ok(['import', ws.otpauthList(3)]);
      await a.ok([
        'keychain',
        'signup',
        '--server',
        server.url,
        '--email',
        EMAIL,
        '--recovery-key-file',
        `${ws.dir}/rk.txt`,
        '--pin-file',
        ws.file('pin', `${PIN}\n`),
      ]);
      expect(await a.ok(['keychain', 'status'])).toMatch(/^PIN: +1 realm, run by this server's operator$/m);
      const result = await offlinePinCheck(
        {
          keychainDatabase: join(serverDir, 'tessera.sqlite'),
          realms: [{ dataDir: join(serverDir, 'realm'), url: '/realm' }],
        },
        ['0000', '1234', PIN, '9999'],
      );
      expect(result.found).toBe(PIN);
      // And the PIN opens the vault key: every entry would decrypt.
      expect(result.vaultKeyOpened).toBe(true);
    },
    STEP_TIMEOUT_MS,
  );
});
