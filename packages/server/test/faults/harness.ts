/**
 * Harness of the scale and fault tests: real `tessera serve` processes (the built CLI binary,
 * `npx tsc -b packages/cli` first), a private PostgreSQL cluster that a test may stop and start
 * (initdb/pg_ctl in a temp dir on a free port), a round-robin HTTP proxy standing in for the load
 * balancer, and devices made of the real keychain client over an in-memory vault.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as opaque from '@serenity-kit/opaque';
import pg from 'pg';
import { Vault, type VaultStorage } from '@tessera/vault';
import { base32Encode, type OtpEntry } from '@tessera/otp';
import {
  approve,
  awaitApproval,
  Keychain,
  KeychainClient,
  login,
  metaDeviceKeyStore,
  readFeed,
  signup,
  syncRound,
} from '@tessera/vault/keychain';
import { ADMIN_URL, Api, CLIENT, uniqueEmail } from '../helpers.js';
import { pgBin } from '../pg-bin.js';

const run = promisify(execFile);
export const BIN = fileURLToPath(new URL('../../../cli/bin/tessera.js', import.meta.url));

/** Polls `check` until it returns a truthy value; fails with `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  ms = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A free TCP port on loopback (the kernel's pick; closed again before use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Secrets every process of one deployment shares (docs/DEPLOY.md): the sign-in OPAQUE setup and the
 * escrow secret, passed as environment variables as an orchestrator would.
 */
export async function sharedSecrets(): Promise<Record<string, string>> {
  await opaque.ready;
  return {
    TESSERA_OPAQUE_SERVER_SETUP: opaque.server.createSetup(),
    TESSERA_ESCROW_SECRET: `v1.${randomBytes(32).toString('base64url')}.${opaque.server.createSetup()}`,
    TESSERA_REALM_SECRET: `v1.${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
  };
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** Resident memory of the process in bytes (Linux /proc). */
  rss(): number;
  /** SIGTERM (graceful) and wait; SIGKILL if it takes longer than 10 s. */
  stop(): Promise<void>;
}

/** Starts `tessera serve` on a free port and waits until it listens. */
export async function spawnServer(options: {
  database: string;
  dataDir: string;
  env?: Record<string, string>;
  port?: number;
  extraArgs?: string[];
}): Promise<ServerProcess> {
  const args = [
    BIN,
    'serve',
    '--port',
    String(options.port ?? 0),
    '--data',
    options.dataDir,
    '--database',
    options.database,
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await waitFor(
    'tessera serve to listen',
    () => {
      if (gone) throw new Error(`tessera serve exited before listening:\n${out}`);
      return /listens on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1];
    },
    20_000,
  );
  return {
    url,
    port: Number(new URL(url).port),
    child,
    exited,
    output: () => out,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database on the shared test PostgreSQL; `drop()` removes it. */
export async function freshDatabase(
  tag: string,
  adminUrl = ADMIN_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tessera_${tag}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * A PostgreSQL 15 cluster of the test's own, so the test may stop it. initdb refuses to run as
 * root, so under root the cluster belongs to the `postgres` user.
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
    const pgdata = join(dir, 'data');
    if (process.getuid?.() === 0) chownSync(dir, uid('postgres'), gid('postgres'));
    const cluster = new PrivatePostgres(dir, await freePort());
    await cluster.pg('initdb', ['-D', pgdata, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await cluster.start();
    return cluster;
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const command =
      process.getuid?.() === 0
        ? ['runuser', ['-u', 'postgres', '--', pgBin(tool), ...args]]
        : [pgBin(tool), args];
    try {
      await run(command[0] as string, command[1] as string[], { timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
    }
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.pg('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
  }

  /** Stops the cluster (fast mode: open connections are cut, as in a crash or failover). */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uid(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user} to own the PostgreSQL cluster`);
  return Number(line.split(':')[2]);
}

function gid(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`))!;
  return Number(line.split(':')[3]);
}

/**
 * The load balancer: each request goes to the next target in turn (no stickiness at all, so any
 * state a process kept for a later request would show). Streams both ways, so the feed works too.
 */
export async function roundRobinProxy(
  targets: () => string[],
): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const server = http.createServer((req, res) => {
    const list = targets();
    const target = new URL(list[next++ % list.length]!);
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'bad-gateway', message: 'upstream unreachable' } }));
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Vault bytes in memory: what a phone's storage would hold, without the disk. */
function memoryStorage(): VaultStorage {
  let bytes: Uint8Array | null = null;
  return {
    label: 'memory',
    load: async () => bytes,
    save: async (next) => {
      bytes = next;
    },
    lock: async () => async () => undefined,
  };
}

/** One simulated device: the real Vault and keychain client; `online = false` cuts its network. */
export class Device {
  online = true;
  readonly keychain: Keychain;

  private constructor(
    readonly name: string,
    readonly vault: Vault,
  ) {
    this.keychain = new Keychain({
      host: vault,
      deviceKeys: metaDeviceKeyStore(vault),
      clientId: CLIENT,
      fetch: (input, init) => {
        if (!this.online)
          return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ENETUNREACH' } }));
        return fetch(input, init);
      },
    });
  }

  static async create(name: string): Promise<Device> {
    const key = {
      key: randomBytes(32),
      keyId: randomBytes(12).toString('base64url'),
      custody: 'file' as const,
    };
    const vault = await Vault.open({
      storage: memoryStorage(),
      keys: { unlock: async () => key, create: async () => key },
    });
    return new Device(name, vault);
  }

  /** Signs up as the first device of a new account; returns the recovery key. */
  async signup(server: string, email: string): Promise<string> {
    let recoveryKey = '';
    await signup(this.keychain, {
      server,
      email,
      password: PASSWORD,
      deviceName: this.name,
      keepRecoveryKey: async (key) => void (recoveryKey = key),
    });
    return recoveryKey;
  }

  /** Signs in as a new pending device; returns its verification code. */
  async login(server: string, email: string): Promise<string> {
    const result = await login(this.keychain, { server, email, password: PASSWORD, deviceName: this.name });
    return result.verificationCode;
  }

  /** A raw API client with this device's session, on its server or on `server`. */
  api(server?: string): Api {
    const state = this.keychain.state!;
    return new Api((server ?? state.server).replace(/\/$/, ''), state.session);
  }

  /**
   * One account with a trusted device on each server: the first signs up, each other one signs in
   * there and is approved by the first (the real flows, so the server sees valid circle links).
   */
  static async family(servers: string[], tag = 'family'): Promise<Device[]> {
    const email = uniqueEmail(tag);
    const first = await Device.create('device 0');
    await first.signup(servers[0]!, email);
    const devices = [first];
    for (let i = 1; i < servers.length; i++) {
      const next = await Device.create(`device ${i}`);
      const code = await next.login(servers[i]!, email);
      await Promise.all([
        approve(first.keychain, { code, pollMs: 20 }),
        awaitApproval(next.keychain, { pollMs: 20 }),
      ]);
      const { trusted } = await syncRound(next.keychain);
      if (!trusted) throw new Error(`device ${i} was not trusted after approval`);
      devices.push(next);
    }
    return devices;
  }
}

export const PASSWORD = 'correct horse battery staple';

/** An entry with a secret of its own per `n` (TOTP, or HOTP at counter 0). */
export function entry(n: number, type: 'totp' | 'hotp' = 'totp'): OtpEntry {
  return {
    type,
    secret: base32Encode(randomBytes(20)),
    algorithm: 'SHA1',
    digits: 6,
    period: type === 'totp' ? 30 : null,
    counter: type === 'hotp' ? 0 : null,
    issuer: `Issuer ${n}`,
    account: `user${n}@example.test`,
  };
}

/**
 * A feed follower like the keychain client's (`readFeed` of @tessera/vault/keychain): it reconnects
 * after any end or error with `Last-Event-ID`, so it resumes from the last event it received.
 */
export class FeedFollower {
  readonly events: Array<{ id: string | null; type: string; data: { head?: number } }> = [];
  connections = 0;
  private abort = new AbortController();
  private running: Promise<void> | null = null;
  private lastEventId: string | null = null;

  constructor(
    private readonly server: string,
    private readonly session: string,
  ) {}

  /** Starts (or restarts) following. */
  start(): void {
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const client = new KeychainClient({ server: this.server, client: CLIENT, session: this.session });
    this.running = (async () => {
      while (!signal.aborted) {
        try {
          this.lastEventId = await readFeed({
            client,
            signal,
            lastEventId: this.lastEventId,
            onOpen: () => void this.connections++,
            onEvent: (event) => {
              this.events.push(event as FeedFollower['events'][number]);
              this.lastEventId = event.id;
            },
          });
        } catch {
          /* the server is away; try again */
        }
        if (!signal.aborted) await sleep(200);
      }
    })();
  }

  /** Stops following (the connection closes); `start()` resumes after the last event received. */
  async pause(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Heads of the `items` events received, in order. */
  heads(): number[] {
    return this.events.filter((e) => e.type === 'items').map((e) => e.data.head!);
  }
}
