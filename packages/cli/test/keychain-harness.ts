/**
 * Test harness for the keychain end-to-end tests: the real server (`startServer`) on SQLite or on a
 * fresh PostgreSQL database, and CLI homes that run the real `tessera` binary (built first with
 * `npx tsc -b packages/cli`). Child processes are spawned asynchronously: the server runs in this
 * process and must keep answering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { base32Encode } from '@tessera/otp';
import { startServer } from '@tessera/server';
import { pgBin } from '../../server/test/pg-bin.js';

const BIN = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const PG_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Backend = 'sqlite' | 'postgres';

export const PASSWORD = 'correct horse battery staple';

/** Generous recovery limits: these tests make more attempts in a minute than a person would. */
export const RELAXED = {
  limit: 10_000,
  windowMs: 3_600_000,
  freeAttempts: 10_000,
  baseDelayMs: 1,
  maxDelayMs: 1,
};

/** A keychain server whose database survives restarts (same port, same data), for offline and rollback tests. */
export class TestServer {
  url = '';
  private running: { close(): Promise<void> } | null = null;
  private port = 0;
  private pgDatabase: string | null = null;

  private constructor(
    readonly backend: Backend,
    readonly dir: string,
  ) {}

  static async start(backend: Backend, dir: string): Promise<TestServer> {
    const server = new TestServer(backend, dir);
    if (backend === 'postgres') {
      server.pgDatabase = `tessera_kc_${randomBytes(6).toString('hex')}`;
      await adminQuery(`CREATE DATABASE ${server.pgDatabase}`);
    }
    await server.up();
    return server;
  }

  private get database(): string {
    if (this.pgDatabase) return databaseUrl(this.pgDatabase);
    return `sqlite:${join(this.dir, 'server', 'tessera.sqlite')}`;
  }

  async up(): Promise<void> {
    const running = await startServer({
      port: this.port,
      dataDir: join(this.dir, 'server'),
      database: this.database,
      rateLimits: {
        recoveryAccount: RELAXED,
        recoveryAddress: RELAXED,
        signInAccount: RELAXED,
        signInAddress: RELAXED,
      },
      httpRateLimit: false,
    });
    this.running = running;
    this.url = running.url;
    this.port = Number(new URL(running.url).port);
  }

  async down(): Promise<void> {
    await this.running?.close();
    this.running = null;
  }

  /** Copies the whole server state (database and escrow) aside; the server must be down. */
  async snapshot(): Promise<void> {
    if (this.pgDatabase) {
      await adminQuery(`CREATE DATABASE ${this.pgDatabase}_snap TEMPLATE ${this.pgDatabase}`);
    } else {
      cpSync(join(this.dir, 'server'), join(this.dir, 'server-snap'), { recursive: true });
    }
  }

  /** Puts the snapshot back, as a server restored from an old backup would; the server must be down. */
  async restoreSnapshot(): Promise<void> {
    if (this.pgDatabase) {
      await adminQuery(`DROP DATABASE ${this.pgDatabase}`);
      await adminQuery(`CREATE DATABASE ${this.pgDatabase} TEMPLATE ${this.pgDatabase}_snap`);
    } else {
      rmSync(join(this.dir, 'server'), { recursive: true, force: true });
      cpSync(join(this.dir, 'server-snap'), join(this.dir, 'server'), { recursive: true });
    }
  }

  /**
   * Everything the server stores, as bytes: every file of its data directory (SQLite databases and
   * their journals, escrow store, secrets) and, on PostgreSQL, a full `pg_dump`.
   */
  async dump(): Promise<Buffer> {
    const parts: Buffer[] = listFiles(join(this.dir, 'server')).map((file) => readFileSync(file));
    if (this.pgDatabase) {
      const url = databaseUrl(this.pgDatabase);
      parts.push(await run(pgBin('pg_dump'), ['--dbname', url]));
    }
    return Buffer.concat(parts);
  }

  /** Rows of a read-only query on the server's main database, as an attacker holding a copy reads it. */
  async rows(query: string): Promise<Record<string, unknown>[]> {
    if (this.pgDatabase) {
      const client = new pg.Client({ connectionString: databaseUrl(this.pgDatabase) });
      await client.connect();
      try {
        return (await client.query(query)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    }
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(join(this.dir, 'server', 'tessera.sqlite'), { readonly: true });
    try {
      return db.prepare(query).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }

  async close(): Promise<void> {
    await this.down();
    if (this.pgDatabase) {
      await adminQuery(`DROP DATABASE IF EXISTS ${this.pgDatabase}`);
      await adminQuery(`DROP DATABASE IF EXISTS ${this.pgDatabase}_snap`);
    }
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited ${code}: ${err}`)),
    );
  });
}

function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One device: a CLI home in the test directory. */
export class Device {
  constructor(
    readonly home: string,
    private readonly cwd: string,
    private readonly defaultKeyStretching = false,
  ) {}

  /** Runs `tessera --home HOME ...args`; resolves with the exit code and output (never rejects). */
  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const child = this.spawn(args, env);
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await this.run(args, env);
    if (r.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `list --json` at a fixed time: the fields a user depends on, sorted by id (device-only entries left out unless asked). */
  async entries(
    options: { time?: number; includeDeviceOnly?: boolean } = {},
  ): Promise<{ id: string; issuer: string; account: string; secret: string; code: string | null }[]> {
    const rows = JSON.parse(
      await this.ok(['list', '--json', '--secrets', '--time', String(options.time ?? 1_700_000_000)]),
    ) as Record<string, unknown>[];
    return rows
      .filter((r) => options.includeDeviceOnly || r.deviceOnly !== true)
      .map((r) => ({
        id: r.id as string,
        issuer: r.issuer as string,
        account: r.account as string,
        secret: r.secret as string,
        code: r.code as string | null,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Starts `keychain login --json` (resuming a `--no-wait` sign-in, if any), which waits for approval;
   * resolves once it shows its code, with a promise of how the process ended.
   */
  async waitingLogin(options: {
    server: string;
    email: string;
  }): Promise<{ code: string; ended: Promise<CliResult> }> {
    const child = this.spawn([
      'keychain',
      'login',
      '--server',
      options.server,
      '--email',
      options.email,
      '--json',
    ]);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<CliResult>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    const firstLine = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
      });
      void ended.then((r) => reject(new Error(`keychain login exited ${r.code}: ${r.stderr.trim()}`)));
    });
    const { verificationCode } = JSON.parse(await firstLine) as { verificationCode: string };
    return { code: verificationCode, ended };
  }

  /**
   * This device waits in `keychain login` while `approver` runs `keychain approve` with the code it
   * shows: both sides of the approval at once, as a user with two devices does. Returns the code,
   * what `approve` printed, and how many entries the login restored.
   */
  async joinApprovedBy(
    approver: Device,
    options: { server: string; email: string; approveArgs?: string[] },
  ): Promise<{ code: string; approved: string; restored: number }> {
    const { code, ended } = await this.waitingLogin(options);
    const approved = await approver.ok([
      'keychain',
      'approve',
      '--code',
      code,
      ...(options.approveArgs ?? []),
    ]);
    const r = await ended;
    if (r.code !== 0) throw new Error(`keychain login exited ${r.code}: ${r.stderr.trim()}`);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const result = JSON.parse(last) as { status: string; restored: number };
    if (result.status !== 'trusted') throw new Error(`keychain login ended with ${last}`);
    return { code, approved, restored: result.restored };
  }

  /** Starts a long-running command (e.g. `sync --follow`). */
  spawn(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, [BIN, '--home', this.home, ...args], {
      cwd: this.cwd,
      env: {
        ...process.env,
        TESSERA_KEY_STORE: 'file',
        TESSERA_PASSWORD: PASSWORD,
        TESSERA_PIN: '',
        TESSERA_PASSPHRASE: '',
        ...(this.defaultKeyStretching ? { TESSERA_TEST_WEAK_KEY_STRETCHING: '' } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/** `keychain signup` of a new account on `server`; the recovery key goes beside the device's home. */
export async function signupAccount(device: Device, server: string, email: string): Promise<void> {
  await device.ok([
    'keychain',
    'signup',
    '--server',
    server,
    '--email',
    email,
    '--recovery-key-file',
    `${device.home}.rk`,
  ]);
}

/** A temporary directory with helpers to make devices and files in it. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'tessera-kc-'));
  private count = 0;

  /**
   * `withBrowsers`: its devices share accounts with a browser client, so they stretch passwords and
   * PINs as browsers do (the suite's cheap test stretching off; see vitest.config.ts).
   */
  constructor(private readonly options: { withBrowsers?: boolean } = {}) {}

  device(): Device {
    return new Device(join(this.dir, `home-${++this.count}`), this.dir, this.options.withBrowsers);
  }

  file(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  /** An otpauth:// list of `n` distinct TOTP entries (random secrets), one per line. */
  otpauthList(n: number, prefix = 'Service'): string {
    const lines = [];
    for (let i = 0; i < n; i++) {
      const secret = base32Encode(randomBytes(20));
      lines.push(`otpauth://totp/${prefix}${i}:user${i}%40example.com?secret=${secret}&issuer=${prefix}${i}`);
    }
    return this.file(`${prefix}-${n}.txt`, lines.join('\n') + '\n');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Resolves with the first match of `pattern` in `stream`'s output so far, as soon as a chunk brings it
 * (no polling); rejects if the stream ends first or `timeoutMs` passes. `output()` is all read so far.
 */
export function outputOf(stream: NodeJS.ReadableStream): {
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
} {
  let text = '';
  const waiters = new Set<() => void>();
  let ended = false;
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  });
  stream.on('end', () => {
    ended = true;
    for (const check of waiters) check();
  });
  return {
    output: () => text,
    waitFor: (pattern, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${pattern} not seen within ${timeoutMs} ms; output: ${text.slice(-500)}`));
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(text);
          if (!match && !ended) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (match) resolve(match);
          else reject(new Error(`output ended before ${pattern}; output: ${text.slice(-500)}`));
        };
        waiters.add(check);
        check();
      }),
  };
}
