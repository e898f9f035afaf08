/* global Buffer, setTimeout, clearTimeout, setInterval, clearInterval, performance */
// Load test: many simulated devices syncing for a while against real `tessera serve` processes on
// loopback, on SQLite (one process) and on PostgreSQL (two processes sharing one database; each
// account's devices are spread over both, so every change crosses processes by LISTEN/NOTIFY).
//
// A device here is what a phone does, without the UI: it holds the live feed open (SSE, resuming
// with Last-Event-ID), pulls when the feed says its account changed, and now and then edits an entry
// (a compare-and-swap push; on 409 it pulls and retries). Each device connects from its own loopback
// address (127.0.x.y), as real clients come from their own addresses.
//
// Prints requests/s, p50/p99 latency per kind of request, change propagation (push sent -> the other
// devices' feeds announce it), conflicts, errors (must be 0) and the servers' memory (RSS).
// The load generator is this process; every server is a process of its own.
//
// --capacity finds, per configuration, the highest device count that keeps the p99 of all requests
// under 250 ms with the offered edits delivered (within 3 standard deviations of the Poisson mean)
// and no error: device counts grow by
// --step (x1.5) from --start-devices, each step measured for --step-duration seconds, the servers and
// the accounts already set up kept between steps. Configurations (--configs) are backend:processes.
// Every run ends with one `RESULT {json}` line of its headline figures.
// Needs PostgreSQL for postgres configurations: TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Usage: npm run bench:load [-- --duration 60 --devices 1000 --interval 5 --configs sqlite:1,postgres:2]
//        npm run bench:load -- --capacity [--configs sqlite:1,postgres:1,postgres:2,postgres:3]
//        npm run bench:load -- --profile DIR   (a CPU profile of each server process, for where the time goes)
//        npm run bench:load -- --pull-own   (devices also pull their own change, unlike the real client)
//        npm run bench:load -- --compare DIR --rounds 3   (DIR: another built checkout, e.g. main; each
//          configuration runs on both builds at once, measured in alternating windows: A B, B A, ...)
// CPU per request = CPU time of the server processes plus, on PostgreSQL, of the database's backend
// processes serving the benchmark's database (/proc; from pg_stat_activity), over the requests answered:
// on a machine shared with other work, steadier than req/s or latency.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    devices: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '5' },
    backends: { type: 'string' },
    configs: { type: 'string' },
    capacity: { type: 'boolean', default: false },
    'start-devices': { type: 'string', default: '500' },
    'max-devices': { type: 'string', default: '12000' },
    step: { type: 'string', default: '1.5' },
    'step-duration': { type: 'string', default: '15' },
    // Writes a CPU profile of each server process into this directory (node --cpu-prof).
    profile: { type: 'string' },
    // Another checkout (built) to compare with, alternating measurement windows (fixed mode only).
    compare: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    // Devices pull their own change when their feed announces it (as this benchmark did before
    // 2026-12-06); by default they skip it, as the real client does (packages/vault sync.ts).
    'pull-own': { type: 'boolean', default: false },
  },
});
const CAPACITY = values.capacity;
const PULL_OWN = values['pull-own'];
const P99_LIMIT_MS = 250;
const CONFIGS = (
  values.configs ??
  (values.backends
    ? values.backends
        .split(',')
        .map((b) => `${b}:${b === 'postgres' ? 2 : 1}`)
        .join(',')
    : CAPACITY
      ? 'sqlite:1,postgres:1,postgres:2,postgres:3'
      : 'sqlite:1,postgres:2')
)
  .split(',')
  .map((c) => {
    const [backend, n] = c.split(':');
    const processes = Number(n ?? 1);
    if (!['sqlite', 'postgres'].includes(backend) || !(processes >= 1 && processes <= 8))
      throw new Error(`--configs: backend:processes, e.g. sqlite:1,postgres:2 (got ${c})`);
    if (backend === 'sqlite' && processes !== 1) throw new Error('--configs: SQLite runs one process');
    return { backend, processes };
  });
const DURATION_S = Number(values.duration);
const DEVICES = Number(values.devices);
const EDIT_INTERVAL_MS = Number(values.interval) * 1000;
if (!(DURATION_S > 0 && DURATION_S <= 3600)) throw new Error('--duration: 1 to 3600 seconds');
if (!(DEVICES >= 4 && DEVICES <= 20_000)) throw new Error('--devices: 4 to 20000');
const START_DEVICES = Number(values['start-devices']);
const MAX_DEVICES = Number(values['max-devices']);
const STEP = Number(values.step);
const STEP_DURATION_S = Number(values['step-duration']);
if (!(START_DEVICES >= 4 && MAX_DEVICES <= 60_000 && START_DEVICES <= MAX_DEVICES))
  throw new Error('--start-devices/--max-devices: 4 <= start <= max <= 60000');
if (!(STEP > 1 && STEP_DURATION_S >= 5)) throw new Error('--step > 1, --step-duration >= 5 seconds');
if (!(EDIT_INTERVAL_MS >= 100)) throw new Error('--interval: at least 0.1 seconds');
const ROUNDS = Number(values.rounds);
if (!(ROUNDS >= 1 && ROUNDS <= 20)) throw new Error('--rounds: 1 to 20');
if (values.compare && CAPACITY) throw new Error('--compare measures fixed loads (not with --capacity)');
// Builds under test: this checkout, and with --compare the other one (labels: "this", "other").
const BUILDS = [
  { label: 'this', root: fileURLToPath(new URL('..', import.meta.url)) },
  ...(values.compare ? [{ label: 'other', root: values.compare }] : []),
];
const DEVICES_PER_ACCOUNT = 4;
const ITEMS_PER_ACCOUNT = 20;
const SETUP_CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 30_000;
const CLIENT = 'tessera-bench/0.2.0';
const ADMIN_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// Client-side key stretching only (the server sees the same OPAQUE messages); real clients keep the default.
const FAST = { keyStretching: { 'argon2id-custom': { iterations: 1, memory: 256, parallelism: 1 } } };

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
for (const build of BUILDS)
  execFileSync(process.execPath, [tsc, '-b', 'packages/cli', 'packages/server', 'packages/vault'], {
    cwd: build.root,
    stdio: 'inherit',
  });
const kc = await import('../packages/vault/dist/keychain/index.js');
const opaque = await import('@serenity-kit/opaque');
const { ed25519, x25519 } = await import('@noble/curves/ed25519.js');
const pg = (await import('pg')).default;
await opaque.ready;

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
// A realistic item: a 512-byte bucket sealed with XChaCha20-Poly1305 (24-byte nonce, 16-byte tag).
const ciphertext = () => b64u(randomBytes(24 + 512 + 16));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Servers

async function sharedSecrets() {
  return {
    TESSERA_OPAQUE_SERVER_SETUP: opaque.server.createSetup(),
    TESSERA_ESCROW_SECRET: `v1.${b64u(randomBytes(32))}.${opaque.server.createSetup()}`,
  };
}

/** `tessera serve` on a free port; resolves once it listens. */
function spawnServer({ database, dataDir, env, serverRoot = root }) {
  const bin = join(serverRoot, 'packages/cli/bin/tessera.js');
  const child = spawn(
    process.execPath,
    [
      ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : []),
      bin,
      'serve',
      '--port',
      '0',
      '--data',
      dataDir,
      '--database',
      database,
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, ...env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`tessera serve exited (${code}):\n${out}`)));
  });
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 100 ticks per second). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Like cpuSeconds, or null once the process has gone. */
function cpuSecondsIfAlive(pid) {
  try {
    return cpuSeconds(pid);
  } catch {
    return null;
  }
}

/**
 * CPU seconds of the PostgreSQL backends serving `database` so far, by pid. Backends that end
 * between two samples are missed (the servers' pools keep theirs while busy).
 */
async function backendCpu(database) {
  if (!database) return new Map();
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query('select pid from pg_stat_activity where datname = $1', [database]);
    const cpu = new Map();
    for (const { pid } of rows) {
      const s = cpuSecondsIfAlive(pid);
      if (s !== null) cpu.set(pid, s);
    }
    return cpu;
  } finally {
    await c.end();
  }
}

/**
 * Transactions the database has finished in `database` so far: a statement outside a transaction
 * is one (a pull, a feed read, a session look-up), and so is a whole BEGIN ... COMMIT block however
 * many round trips it took. PostgreSQL's statistics lag up to a second, small against a window.
 */
async function transactions(database) {
  if (!database) return 0;
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query(
      'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

/** CPU the backends used between two samples (a backend new since `before` counts from its start). */
function backendCpuUsed(before, after) {
  let used = 0;
  for (const [pid, s] of after) used += s - (before.get(pid) ?? 0);
  return used;
}

async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// HTTP from a device's own loopback address

// One keep-alive pool; Node keys sockets by host, port and local address, so each device has its own.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Device n connects from 127.0.a.b (a, b >= 1), so per-address limits see one address per device. */
const addressOf = (n) => `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;

function request(device, method, path, body) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { 'tessera-client': CLIENT };
  if (device.session) headers.authorization = `Bearer ${device.session}`;
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: device.port, method, path, localAddress: device.address, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Setup requests must succeed; a 429 (sign-in limits) waits as long as the server says. */
async function must(device, method, path, body) {
  for (;;) {
    const res = await request(device, method, path, body);
    if (res.status === 429) {
      await sleep((res.body?.error?.retryAfter ?? 1) * 1000);
      continue;
    }
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics

class Metrics {
  constructor() {
    this.reset();
  }

  /** Starts a new measurement; feeds and pulls in flight record into the same object. */
  reset() {
    this.latencies = { push: [], pull: [], feed: [] };
    this.propagation = [];
    this.counts = { push: 0, pull: 0, conflicts: 0, feedEvents: 0, feedReconnects: 0 };
    this.errors = 0;
    this.errorSamples = [];
  }

  error(what) {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(what);
  }
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;

// ---------------------------------------------------------------------------------------------
// Devices

function newDeviceKeys() {
  const encPriv = x25519.utils.randomSecretKey();
  const signPriv = ed25519.utils.randomSecretKey();
  return { encPub: x25519.getPublicKey(encPriv), signPub: ed25519.getPublicKey(signPriv) };
}

class Device {
  constructor(n, port, account) {
    this.n = n;
    this.port = port;
    this.address = addressOf(n);
    this.account = account;
    this.keys = newDeviceKeys();
    this.name = `bench device ${n}`;
    this.session = null;
    this.id = null;
    this.cursor = 0;
    // The highest version this device knows of (pushes, pulls, feed events), sent with each pull
    // as `atLeast`, as the real client does.
    this.known = 0;
    this.versions = new Map();
    this.pulling = null;
    this.pullAgain = false;
    this.lastEventId = null;
    this.feed = null;
  }

  registration() {
    return {
      name: this.name,
      encPub: b64u(this.keys.encPub),
      signPub: b64u(this.keys.signPub),
      nonce: b64u(randomBytes(16)),
    };
  }

  circleEntry() {
    return { id: this.id, name: this.name, encPub: b64u(this.keys.encPub), signPub: b64u(this.keys.signPub) };
  }
}

/** One account: sign-up of device 0 with a real genesis link, three devices joined by add-device links. */
async function setupAccount(devices) {
  const [first, ...others] = devices;
  const email = `bench-${randomUUID()}@example.test`;
  const password = 'bench password, long enough';
  const reg = opaque.client.startRegistration({ password });
  const { registrationResponse } = await must(first, 'POST', '/v1/accounts/register/start', {
    email,
    registrationRequest: reg.registrationRequest,
  });
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState: reg.clientRegistrationState,
    registrationResponse,
    password,
    ...FAST,
  });
  const account = await must(first, 'POST', '/v1/accounts/register/finish', {
    email,
    registrationRecord,
    device: first.registration(),
  });
  Object.assign(first, { id: account.deviceId, session: account.session });
  const accountId = account.accountId;

  const vk = kc.newVaultKey();
  const signer = kc.circleKey(vk);
  const recoveryPub = x25519.getPublicKey(x25519.utils.randomSecretKey());
  const wrap = (recipientId, recipientPub) => ({
    recipientId,
    epoch: 1,
    wrapped: kc.wrapVaultKey({ accountId, recipientId, epoch: 1, vk, recipientPub }),
  });
  const genesis = kc.buildLink(null, {
    op: 'genesis',
    by: first.id,
    device: first.circleEntry(),
    via: 'genesis',
    recoveryPub: b64u(recoveryPub),
    signer,
    nextCirclePub: signer.publicKey,
  });
  await must(first, 'POST', '/v1/circle', {
    link: genesis,
    wraps: [wrap(first.id, first.keys.encPub), wrap('recovery', recoveryPub)],
  });
  let circle = kc.applyLinks(null, [genesis]);

  for (const device of others) {
    const start = opaque.client.startLogin({ password });
    const { loginId, loginResponse } = await must(device, 'POST', '/v1/sessions/start', {
      email,
      startLoginRequest: start.startLoginRequest,
    });
    const { finishLoginRequest } = opaque.client.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse,
      password,
      ...FAST,
    });
    const session = await must(device, 'POST', '/v1/sessions/finish', {
      loginId,
      finishLoginRequest,
      device: device.registration(),
    });
    Object.assign(device, { id: session.deviceId, session: session.session });
    const link = kc.buildLink(circle, {
      op: 'add-device',
      by: first.id,
      device: device.circleEntry(),
      via: 'approval',
      signer,
    });
    await must(first, 'POST', '/v1/circle', { link, wraps: [wrap(device.id, device.keys.encPub)] });
    circle = kc.applyLinks(circle, [link]);
  }

  const items = Array.from({ length: ITEMS_PER_ACCOUNT }, () => ({
    id: randomUUID(),
    baseVersion: 0,
    epoch: 1,
    ciphertext: ciphertext(),
    deleted: false,
  }));
  await must(first, 'POST', '/v1/items', { items });
  for (const device of devices) await pull(device, null);
}

/** Pulls everything after the device's cursor; records latency when `metrics` is given. */
async function pull(device, metrics) {
  for (;;) {
    const started = performance.now();
    const res = await request(
      device,
      'GET',
      `/v1/items?since=${device.cursor}&limit=500&atLeast=${Math.max(device.known, device.cursor)}`,
    );
    if (metrics) {
      metrics.latencies.pull.push(performance.now() - started);
      metrics.counts.pull++;
    }
    if (res.status !== 200) throw new Error(`pull: ${res.status} ${JSON.stringify(res.body)}`);
    for (const item of res.body.items) {
      device.versions.set(item.id, item.version);
      device.cursor = Math.max(device.cursor, item.version);
    }
    device.known = Math.max(device.known, res.body.head);
    if (!res.body.more) return;
  }
}

/** Pull now, or once more after the pull in progress (feed events coalesce). */
function pullSoon(device, metrics, running) {
  if (device.pulling) {
    device.pullAgain = true;
    return;
  }
  device.pulling = (async () => {
    do {
      device.pullAgain = false;
      try {
        await pull(device, metrics);
      } catch (err) {
        if (running()) metrics.error(`pull: ${err.message}`);
      }
    } while (device.pullAgain && running());
    device.pulling = null;
  })();
}

/** One edit of a random entry of the account: compare-and-swap, pull and retry on conflict. */
async function edit(device, metrics) {
  const ids = [...device.versions.keys()];
  const id = ids[Math.floor(Math.random() * ids.length)];
  for (let attempt = 0; attempt < 10; attempt++) {
    const started = performance.now();
    const res = await request(device, 'POST', '/v1/items', {
      items: [
        { id, baseVersion: device.versions.get(id), epoch: 1, ciphertext: ciphertext(), deleted: false },
      ],
    });
    metrics.latencies.push.push(performance.now() - started);
    metrics.counts.push++;
    if (res.status === 200) {
      device.versions.set(id, res.body.versions[0].version);
      device.known = Math.max(device.known, res.body.head);
      // Nobody else wrote since the cursor: the real client skips pulling its own copy.
      if (!PULL_OWN && res.body.head === device.cursor + 1) device.cursor = res.body.head;
      device.account.sentAt.set(res.body.head, { at: started, by: device });
      return;
    }
    if (res.status !== 409) throw new Error(`push: ${res.status} ${JSON.stringify(res.body)}`);
    metrics.counts.conflicts++;
    for (const c of res.body?.error?.conflicts ?? []) device.known = Math.max(device.known, c.version);
    await pull(device, metrics);
  }
  throw new Error('push: still conflicting after 10 attempts');
}

/** Holds the feed open; on `items` pulls; reconnects with Last-Event-ID after the server's retry hint. */
function openFeed(device, metrics, running) {
  const headers = {
    'tessera-client': CLIENT,
    authorization: `Bearer ${device.session}`,
    accept: 'text/event-stream',
  };
  if (device.lastEventId) headers['last-event-id'] = device.lastEventId;
  let retryMs = 1000;
  const req = http.request({
    host: '127.0.0.1',
    port: device.port,
    path: '/v1/feed',
    localAddress: device.address,
    agent: false,
    headers,
  });
  device.feed = req;
  const reconnect = () => {
    if (!running() || device.feed !== req) return;
    metrics.counts.feedReconnects++;
    setTimeout(() => running() && openFeed(device, metrics, running), retryMs);
  };
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      metrics.error(`feed: ${res.statusCode}`);
      res.resume();
      res.on('end', reconnect);
      return;
    }
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = {};
        for (const line of block.split('\n')) {
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) fields[m[1]] = m[2];
        }
        if (fields.retry) retryMs = Number(fields.retry);
        if (fields.id) device.lastEventId = fields.id;
        if (fields.event !== 'items') continue;
        metrics.counts.feedEvents++;
        const { head } = JSON.parse(fields.data);
        device.known = Math.max(device.known, head);
        const sent = device.account.sentAt.get(head);
        if (sent && sent.by !== device && head > device.cursor)
          metrics.propagation.push(performance.now() - sent.at);
        if (head > device.cursor) pullSoon(device, metrics, running);
      }
    });
    res.on('end', reconnect);
    res.on('error', () => {});
  });
  req.on('error', (err) => {
    if (running()) metrics.error(`feed: ${err.message}`);
    reconnect();
  });
  req.end();
}

// ---------------------------------------------------------------------------------------------
// A cluster of server processes, its devices, and measurements over them

async function startCluster({ backend, processes, build = BUILDS[0] }) {
  const dataDirs = [];
  const cleanups = [];
  let database;
  let dbName = null;
  if (backend === 'postgres') {
    const name = `tessera_load_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    dbName = name;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    database = url.toString();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
  }
  const env = await sharedSecrets();
  const cluster = {
    backend,
    processes,
    build: build.label,
    dbName,
    servers: [],
    devices: [],
    metrics: new Metrics(),
    live: true,
    setupSeconds: 0,
    async stop() {
      this.live = false;
      for (const device of this.devices) device.feed?.destroy();
      await Promise.all(this.devices.map((d) => d.pulling));
      agent.destroy();
      for (const server of this.servers) await stopServer(server);
      for (const fn of cleanups) await fn();
      for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < processes; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'tessera-load-'));
      dataDirs.push(dataDir);
      database ??= `sqlite:${join(dataDir, 'tessera.sqlite')}`;
      cluster.servers.push(await spawnServer({ database, dataDir, env, serverRoot: build.root }));
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Adds accounts until the cluster has `count` devices, each with its feed open. */
async function growTo(cluster, count) {
  const started = performance.now();
  const accounts = [];
  const added = [];
  while (cluster.devices.length + added.length + DEVICES_PER_ACCOUNT <= count) {
    // Devices of one account sit on different processes (round robin), so changes cross processes.
    const account = { sentAt: new Map(), devices: [] };
    for (let d = 0; d < DEVICES_PER_ACCOUNT; d++) {
      const n = cluster.devices.length + added.length;
      const device = new Device(n, cluster.servers[n % cluster.processes].port, account);
      account.devices.push(device);
      added.push(device);
    }
    accounts.push(account);
  }
  const queue = [...accounts];
  await Promise.all(
    Array.from({ length: SETUP_CONCURRENCY }, async () => {
      for (let account; (account = queue.shift());) await setupAccount(account.devices);
    }),
  );
  const running = () => cluster.live;
  for (const device of added) openFeed(device, cluster.metrics, running);
  cluster.devices.push(...added);
  cluster.setupSeconds += (performance.now() - started) / 1000;
  await sleep(1000);
}

/** Every device of the cluster edits for `seconds`; returns what one report needs. */
async function measure(cluster, seconds) {
  const { servers, devices, metrics } = cluster;
  metrics.reset();
  const rssAfterSetup = servers.map((s) => rssBytes(s.child.pid));
  const peakRss = [...rssAfterSetup];
  const sampler = setInterval(() => {
    servers.forEach((s, i) => (peakRss[i] = Math.max(peakRss[i], rssBytes(s.child.pid))));
  }, 1000);
  const cpuBefore = {
    servers: servers.map((s) => cpuSeconds(s.child.pid)),
    db: await backendCpu(cluster.dbName),
    self: process.cpuUsage(),
  };
  const transactionsBefore = await transactions(cluster.dbName);
  const loadBefore = os.loadavg()[0];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loops = devices.map(async (device) => {
    // Exponential pauses (a Poisson process per device), the first one spreading the start.
    const pause = () => -Math.log(1 - Math.random()) * EDIT_INTERVAL_MS;
    for (let at = performance.now() + pause(); at < deadline; at = performance.now() + pause()) {
      await sleep(at - performance.now());
      if (performance.now() >= deadline) break;
      try {
        await edit(device, metrics);
      } catch (err) {
        metrics.error(err.message);
      }
    }
  });
  await Promise.all(loops);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = {
    servers: servers.map((s, i) => cpuSeconds(s.child.pid) - cpuBefore.servers[i]),
    db: backendCpuUsed(cpuBefore.db, await backendCpu(cluster.dbName)),
    transactions: (await transactions(cluster.dbName)) - transactionsBefore,
    self: (() => {
      const used = process.cpuUsage(cpuBefore.self);
      return (used.user + used.system) / 1e6;
    })(),
  };
  clearInterval(sampler);
  // Let pulls started by the last feed events finish inside this measurement.
  await Promise.all(devices.map((d) => d.pulling));
  return {
    backend: cluster.backend,
    processes: cluster.processes,
    build: cluster.build,
    loadAverage: [loadBefore, os.loadavg()[0]],
    setupSeconds: cluster.setupSeconds,
    elapsed,
    metrics: {
      ...metrics,
      latencies: { ...metrics.latencies },
      counts: { ...metrics.counts },
      propagation: [...metrics.propagation],
    },
    rssAfterSetup,
    peakRss,
    rssEnd: servers.map((s) => rssBytes(s.child.pid)),
    cpu,
    feeds: devices.length,
  };
}

/** Headline figures of one measurement. */
function summary(r) {
  const sorted = (xs) => Float64Array.from(xs).sort();
  const m = r.metrics;
  const offeredPushes = (r.feeds / (EDIT_INTERVAL_MS / 1000)) * r.elapsed;
  const requests = m.counts.push + m.counts.pull;
  const serverCpu = r.cpu.servers.reduce((a, b) => a + b, 0);
  return {
    backend: r.backend,
    processes: r.processes,
    ...(BUILDS.length > 1 ? { build: r.build } : {}),
    devices: r.feeds,
    requestsPerS: Math.round(requests / r.elapsed),
    // Server processes plus the database's backends, per request answered.
    cpuMsPerRequest: Number((((serverCpu + r.cpu.db) * 1000) / requests).toFixed(3)),
    serverCpuMsPerRequest: Number(((serverCpu * 1000) / requests).toFixed(3)),
    dbCpuMsPerRequest: Number(((r.cpu.db * 1000) / requests).toFixed(3)),
    // This process (the simulated devices): not counted above; a share near 1 core means the
    // generator, not the servers, would be what limits.
    generatorCpuMsPerRequest: Number(((r.cpu.self * 1000) / requests).toFixed(3)),
    generatorCoreShare: Number((r.cpu.self / r.elapsed).toFixed(2)),
    ...(r.backend === 'postgres'
      ? { dbTransactionsPerRequest: Number((r.cpu.transactions / requests).toFixed(2)) }
      : {}),
    loadAverage: Number(r.loadAverage[1].toFixed(1)),
    p99Ms: Number(percentile(sorted([...m.latencies.push, ...m.latencies.pull]), 0.99).toFixed(1)),
    propagationP99Ms: Number(percentile(sorted(m.propagation), 0.99).toFixed(1)),
    // Conflict retries are pushes too, so only first attempts count against the offered rate.
    deliveredShare: Number(((m.counts.push - m.counts.conflicts) / offeredPushes).toFixed(3)),
    // Edits are a Poisson process: fewer first pushes than 3 standard deviations below the mean
    // means the servers held the devices back (an edit waits for the previous one to be answered).
    offeredHeld: m.counts.push - m.counts.conflicts >= offeredPushes - 3 * Math.sqrt(offeredPushes),
    conflicts: m.counts.conflicts,
    errors: m.errors,
  };
}

function report(r) {
  const m = r.metrics;
  const sorted = (xs) => Float64Array.from(xs).sort();
  const push = sorted(m.latencies.push);
  const pull = sorted(m.latencies.pull);
  const all = sorted([...m.latencies.push, ...m.latencies.pull]);
  const prop = sorted(m.propagation);
  const ms = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1));
  const mb = (xs) => xs.map((x) => `${(x / 1048576).toFixed(0)} MB`).join(' + ');
  const requests = m.counts.push + m.counts.pull;
  console.log(
    `\n${r.backend}: ${r.processes} server process${r.processes > 1 ? 'es' : ''}${BUILDS.length > 1 ? ` [build: ${r.build}]` : ''}, ${r.feeds} devices (${r.feeds} live feeds), ${r.elapsed.toFixed(1)} s (setup ${r.setupSeconds.toFixed(1)} s)`,
  );
  console.log(
    `  throughput     ${(requests / r.elapsed).toFixed(0)} requests/s (${(m.counts.push / r.elapsed).toFixed(0)} pushes/s, ${(m.counts.pull / r.elapsed).toFixed(0)} pulls/s), ${(m.counts.feedEvents / r.elapsed).toFixed(0)} feed events/s`,
  );
  console.log(
    `  latency        all p50 ${ms(percentile(all, 0.5))} ms, p99 ${ms(percentile(all, 0.99))} ms | push p50 ${ms(percentile(push, 0.5))} / p99 ${ms(percentile(push, 0.99))} ms | pull p50 ${ms(percentile(pull, 0.5))} / p99 ${ms(percentile(pull, 0.99))} ms`,
  );
  console.log(
    `  propagation    push sent -> other devices' feeds: p50 ${ms(percentile(prop, 0.5))} ms, p99 ${ms(percentile(prop, 0.99))} ms, max ${ms(prop.at(-1) ?? NaN)} ms (${prop.length} deliveries)`,
  );
  console.log(
    `  conflicts      ${m.counts.conflicts} (409, pulled and retried) | feed reconnects ${m.counts.feedReconnects}`,
  );
  console.log(
    `  errors         ${m.errors}${m.errorSamples.length ? ` e.g. ${m.errorSamples.join(' | ')}` : ''}`,
  );
  console.log(
    `  server RSS     after setup ${mb(r.rssAfterSetup)}, peak ${mb(r.peakRss)}, end ${mb(r.rssEnd)}`,
  );
  const share = (x) => `${((x / r.elapsed) * 100).toFixed(0)}%`;
  console.log(
    `  CPU (of one core)  servers ${r.cpu.servers.map(share).join(' + ')}${r.backend === 'postgres' ? `, PostgreSQL backends ${share(r.cpu.db)}` : ''}, load generator ${share(r.cpu.self)}; machine load average ${r.loadAverage.map((x) => x.toFixed(1)).join(' -> ')} on ${os.cpus().length} cores`,
  );
  const perRequest = (x) => ((x * 1000) / requests).toFixed(3);
  const serverCpu = r.cpu.servers.reduce((a, b) => a + b, 0);
  console.log(
    `  CPU per request    ${perRequest(serverCpu + r.cpu.db)} ms (servers ${perRequest(serverCpu)} ms + PostgreSQL backends ${perRequest(r.cpu.db)} ms)${r.backend === 'postgres' ? `; ${(r.cpu.transactions / requests).toFixed(2)} database transactions per request` : ''}`,
  );
}

const results = [];
let failed = false;
if (!CAPACITY) {
  console.log(
    `bench:load: ${DEVICES} devices (${DEVICES_PER_ACCOUNT} per account), an edit every ${EDIT_INTERVAL_MS / 1000} s per device on average, ${DURATION_S} s per configuration`,
  );
  for (const config of CONFIGS) {
    // One cluster per build, all set up before any measurement; then windows alternate between
    // builds (A B, B A, ...), so both see the same machine load.
    const clusters = [];
    try {
      for (const build of BUILDS) {
        const cluster = await startCluster({ ...config, build });
        clusters.push(cluster);
        await growTo(cluster, DEVICES);
      }
      const rounds = BUILDS.length > 1 ? ROUNDS : 1;
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? clusters : [...clusters].reverse();
        for (const cluster of order) {
          const result = await measure(cluster, DURATION_S);
          report(result);
          results.push({ ...summary(result), ...(rounds > 1 ? { round } : {}) });
          if (result.metrics.errors > 0) failed = true;
        }
      }
    } finally {
      for (const cluster of clusters) await cluster.stop();
    }
  }
  if (BUILDS.length > 1) {
    console.log(
      `\nthis build (${BUILDS[0].root}) against the other (${BUILDS[1].root}), medians over rounds:`,
    );
    for (const config of CONFIGS) {
      const of = (label) =>
        results.filter(
          (r) => r.backend === config.backend && r.processes === config.processes && r.build === label,
        );
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
      const line = (label) => {
        const rs = of(label);
        return `${median(rs.map((r) => r.cpuMsPerRequest)).toFixed(3)} ms CPU/request, ${median(rs.map((r) => r.requestsPerS))} req/s, p99 ${median(rs.map((r) => r.p99Ms))} ms`;
      };
      const ratio =
        median(of('this').map((r) => r.cpuMsPerRequest)) / median(of('other').map((r) => r.cpuMsPerRequest));
      console.log(
        `  ${config.backend}:${config.processes}  this: ${line('this')} | other: ${line('other')} | CPU/request this/other ${ratio.toFixed(2)}x`,
      );
    }
  }
  console.log(
    `RESULT ${JSON.stringify({ bench: 'load', mode: 'fixed', intervalS: EDIT_INTERVAL_MS / 1000, results })}`,
  );
} else {
  console.log(
    `bench:load --capacity: devices (${DEVICES_PER_ACCOUNT} per account) editing every ${EDIT_INTERVAL_MS / 1000} s on average; from ${START_DEVICES} devices x${STEP} per ${STEP_DURATION_S}-s step while p99 < ${P99_LIMIT_MS} ms, the offered edits delivered, no errors`,
  );
  for (const config of CONFIGS) {
    const cluster = await startCluster(config);
    let best = null;
    try {
      for (let count = START_DEVICES; count <= MAX_DEVICES; count = Math.round(count * STEP)) {
        await growTo(cluster, count);
        // The first step warms the servers up (JIT, pools, caches) unmeasured, as later steps are.
        if (count === START_DEVICES) await measure(cluster, 5);
        const s = summary(await measure(cluster, STEP_DURATION_S));
        const pass = s.p99Ms < P99_LIMIT_MS && s.offeredHeld && s.errors === 0;
        console.log(
          `  ${config.backend}:${config.processes} ${String(s.devices).padStart(6)} devices: ${s.requestsPerS} req/s, p99 ${s.p99Ms} ms, propagation p99 ${s.propagationP99Ms} ms, delivered ${(s.deliveredShare * 100).toFixed(0)} %, ${s.errors} errors, CPU ${s.cpuMsPerRequest} ms/request (generator ${s.generatorCpuMsPerRequest}), load avg ${s.loadAverage} -> ${pass ? 'holds' : 'over capacity'}`,
        );
        if (!pass) break;
        best = s;
      }
    } finally {
      await cluster.stop();
    }
    results.push({ ...config, capacityDevices: best?.devices ?? 0, atCapacity: best });
  }
  const base = results.find((r) => r.backend === 'sqlite' && r.processes === 1)?.capacityDevices;
  console.log('\ncapacity (highest device count that held; ratio to SQLite with 1 process):');
  for (const r of results) {
    console.log(
      `  ${`${r.backend}, ${r.processes} process${r.processes > 1 ? 'es' : ''}`.padEnd(22)} ${String(r.capacityDevices).padStart(6)} devices${base ? `  ${(r.capacityDevices / base).toFixed(2)}x` : ''}${r.atCapacity ? `  (${r.atCapacity.requestsPerS} req/s, p99 ${r.atCapacity.p99Ms} ms, propagation p99 ${r.atCapacity.propagationP99Ms} ms, CPU ${r.atCapacity.cpuMsPerRequest} ms/request)` : ''}`,
    );
  }
  console.log(
    `RESULT ${JSON.stringify({ bench: 'load', mode: 'capacity', intervalS: EDIT_INTERVAL_MS / 1000, p99LimitMs: P99_LIMIT_MS, results })}`,
  );
}
if (failed) {
  console.error('\nbench:load: errors occurred (there must be none)');
  process.exitCode = 1;
}
