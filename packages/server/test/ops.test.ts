import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '@tessera/protocol';
import { startServer } from '@tessera/server';
import {
  Api,
  BACKENDS,
  approvalLink,
  login,
  newDevice,
  trustedAccount,
  uniqueEmail,
  useStore,
} from './helpers.js';
import { pgBin } from './pg-bin.js';

const METRICS_TOKEN = 'metrics-token-'.padEnd(40, 'x');
const metricsAuth = { authorization: `Bearer ${METRICS_TOKEN}` };

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe.each(BACKENDS)('operations (%s)', (backend) => {
  const store = useStore(backend);
  let api: Api;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = join(store.dataDir, 'web');
    await mkdir(join(webRoot, 'assets'), { recursive: true });
    await writeFile(
      join(webRoot, 'index.html'),
      '<!doctype html><title>Tessera</title><script type="module" src="/assets/app-1234.js"></script>',
    );
    await writeFile(join(webRoot, 'assets', 'app-1234.js'), 'console.log(1)');
    api = new Api((await store.start({ webRoot, metrics: { token: METRICS_TOKEN } })).url);
  });

  it('counts API requests against the per-address limit, not the files of the web app', async () => {
    const limited = new Api(
      (await store.start({ webRoot, httpRateLimit: { max: 3, windowMs: 60_000 } })).url,
    );
    // A page load fetches many files (scripts, icons); none of them spend the API's budget.
    for (let n = 0; n < 10; n++) expect((await limited.get('/assets/app-1234.js')).status).toBe(200);
    for (let n = 0; n < 3; n++) expect((await limited.get('/v1/meta')).status).toBe(200);
    const blocked = await limited.get('/v1/meta');
    expect(blocked.status).toBe(429);
    expect(JSON.stringify(blocked.body)).toMatch(/Too many requests from this address/);
  });

  it('answers health and readiness, and describes every protocol route in /openapi.json', async () => {
    expect((await api.get('/healthz')).status).toBe(200);
    expect((await api.get('/readyz')).body).toEqual({ ok: true });
    const doc = (await api.get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of Object.values(ROUTES)) {
      expect(
        doc.paths[route.url]?.[route.method.toLowerCase()],
        `${route.method} ${route.url}`,
      ).toBeDefined();
    }
    expect(
      doc.paths['/v1/items'].post.requestBody.content['application/json'].schema.properties.items.maxItems,
    ).toBeGreaterThan(0);
  });

  it('counts sign-ins, restores by path, pushes, conflicts and feed connections', async () => {
    const before = (await api.get('/metrics', metricsAuth)).body as string;
    const account = await trustedAccount(api, uniqueEmail());
    const device = newDevice();
    const join = await login(api, { email: account.email, password: account.password, device });
    const add = approvalLink(account, join.body.deviceId, device);
    await account.api.post('/v1/circle', { link: add, wraps: [] });
    const id = randomUUID();
    await account.api.post('/v1/items', {
      items: [{ id, baseVersion: 0, epoch: 1, ciphertext: 'AAAA', deleted: false }],
    });
    await account.api.post('/v1/items', {
      items: [{ id, baseVersion: 0, epoch: 1, ciphertext: 'AAAA', deleted: false }],
    });
    const after = (await api.get('/metrics', metricsAuth)).body as string;
    const delta = (name: string, labels = '') => metric(after, name, labels) - metric(before, name, labels);
    expect(delta('tessera_sign_ins_total', 'outcome="succeeded"')).toBe(1);
    expect(delta('tessera_restores_total', 'path="approval",outcome="success"')).toBe(1);
    expect(delta('tessera_item_pushes_total', 'outcome="ok"')).toBe(1);
    expect(delta('tessera_item_pushes_total', 'outcome="conflict"')).toBe(1);
    expect(delta('tessera_item_conflicts_total')).toBe(1);
    expect(after).toMatch(/^tessera_feed_connections \d+$/m);
  });

  it('logs requests without tokens, cookies, OPAQUE messages or ciphertext', async () => {
    const lines: string[] = [];
    const server = await store.start({
      logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } },
    });
    const logged = new Api(server.url);
    const account = await trustedAccount(logged, uniqueEmail());
    const ciphertext = 'Q2lwaGVydGV4dE1hcmtlcg'.repeat(4);
    await account.api.post('/v1/items', {
      items: [{ id: randomUUID(), baseVersion: 0, epoch: 1, ciphertext, deleted: false }],
    });
    const res = await login(logged, {
      email: account.email,
      password: account.password,
      deviceId: account.deviceId,
    });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    await logged.as(null).get('/v1/devices', { cookie });
    await account.api.get('/v1/devices', { authorization: 'Bearer nonsense' });
    // An issuer icon's path names a service the user has an account with.
    await fetch(`${server.url.replace(/\/$/, '')}/icons/github.svg`);
    const text = lines.join('');
    expect(text).toContain('/v1/items'); // requests are logged
    expect(text).toMatch(/"reqId":"[^"]+","req":/); // with their request id (lazyChildLogger)
    expect(text).toContain('"url":"/icons/*"');
    expect(text).not.toContain('github');
    for (const secret of [
      account.api.token!,
      res.body.session,
      cookie.split('=')[1]!,
      ciphertext.slice(0, 30),
    ]) {
      expect(text.includes(secret)).toBe(false);
    }
    expect(text).not.toMatch(
      /"(registrationRecord|startLoginRequest|finishLoginRequest|loginResponse)":"[A-Za-z0-9_-]{20,}/,
    );
  });

  it('serves the web app with a strict CSP, long-lived hashed assets and an SPA fallback', async () => {
    const index = await fetch(`${api.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Tessera</title>');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${api.url}/assets/app-1234.js`);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    const deep = await fetch(`${api.url}/settings/devices`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${api.url}/missing.js`)).status).toBe(404);
    const apiMiss = await api.get('/v1/nothing');
    expect(apiMiss.status).toBe(404);
    expect(apiMiss.body.error.code).toBe('not-found');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL tool as the `postgres` user when the tests run as root (initdb refuses root). */
function pgTool(tool: string, args: string[]): void {
  const path = pgBin(tool);
  if (process.getuid?.() === 0)
    execFileSync('runuser', ['-u', 'postgres', '--', path, ...args], { stdio: 'ignore' });
  else execFileSync(path, args, { stdio: 'ignore' });
}

describe('an unavailable database', () => {
  let dir: string;
  let port: number;
  const stop = () => pgTool('pg_ctl', ['-D', join(dir, 'pg'), '-m', 'immediate', 'stop']);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-pgdown-'));
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
    port = await freePort();
    pgTool('initdb', ['-D', join(dir, 'pg'), '-U', 'postgres', '-A', 'trust']);
    pgTool('pg_ctl', [
      '-D',
      join(dir, 'pg'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  });
  afterAll(async () => {
    try {
      stop();
    } catch {
      /* already stopped by the test */
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with a clear error, not a hang, and /readyz says not ready', async () => {
    const server = await startServer({
      database: `postgres://postgres@127.0.0.1:${port}/postgres`,
      httpRateLimit: false,
    });
    try {
      const api = new Api(server.url);
      const account = await trustedAccount(api, uniqueEmail());
      stop();
      const res = await account.api.get('/v1/items');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { code: 'database-unavailable', message: 'The database is unavailable; try again shortly.' },
      });
      expect((await api.get('/readyz')).status).toBe(503);
      expect((await api.get('/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

/**
 * Runs `tessera serve` on a free port; resolves with the printed URL once it listens. Silent unless
 * `args` give a level, or `defaultLogLevel` leaves the level to serve's default.
 */
async function serve(args: string[], options: { defaultLogLevel?: boolean } = {}) {
  const data = await mkdtemp(join(tmpdir(), 'tessera-serve-'));
  const cli = join(import.meta.dirname, '../../cli/bin/tessera.js');
  const level = options.defaultLogLevel ? [] : ['--log-level', 'silent'];
  const env = { ...process.env };
  delete env.TESSERA_LOG_LEVEL;
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', data, ...level, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(?:listens on |\(API only\): )(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const stop = async () => {
    child.kill('SIGKILL');
    await rm(data, { recursive: true, force: true });
  };
  return { child, url, stop, output: () => out };
}

describe('tessera serve', () => {
  it('prints the URL to open, serves, and stops cleanly on SIGTERM', async () => {
    const { child, url, stop } = await serve([]);
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await stop();
    }
  });

  it('prints a localhost address for the browser (passkeys refuse an IP) and a line per request on request', async () => {
    const { url, stop, output } = await serve(['--log-level', 'info', '--log-format', 'text']);
    try {
      const port = new URL(url).port;
      expect(output()).toContain(`Tessera keychain server: open http://localhost:${port}\n`);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await expect.poll(() => output()).toMatch(/^\d\d:\d\d:\d\d GET \/healthz 200 \d+ ms$/m);
      expect(output()).not.toMatch(/^\{/m);
    } finally {
      await stop();
    }
  });

  it('logs no line per request by default (warnings and errors only)', async () => {
    const { child, url, stop, output } = await serve(['--log-format', 'text'], { defaultLogLevel: true });
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/no-such-file.txt`)).status).toBe(404);
      // Pipes are written synchronously, and 'close' comes after the last of its output.
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).toContain('Tessera keychain server');
      expect(output()).not.toMatch(/\/healthz|no-such-file/);
    } finally {
      await stop();
    }
  });

  it('serves the built web app, and with --no-web no HTML at all', async () => {
    const webIndex = join(import.meta.dirname, '../../web/dist/index.html');
    expect(existsSync(webIndex), 'the web app must be built first (npm run build)').toBe(true);
    const withWeb = await serve([]);
    try {
      const page = await fetch(`${withWeb.url}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    } finally {
      await withWeb.stop();
    }
    const apiOnly = await serve(['--no-web']);
    try {
      for (const path of ['/', '/index.html', '/settings/devices', '/sw.js', '/share.html']) {
        const res = await fetch(`${apiOnly.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type'), path).not.toMatch(/html/);
      }
      expect(
        (await fetch(`${apiOnly.url}/v1/meta`, { headers: { 'tessera-client': 'tessera-cli/0.2.0' } }))
          .status,
      ).toBe(200);
    } finally {
      await apiOnly.stop();
    }
  });
});
