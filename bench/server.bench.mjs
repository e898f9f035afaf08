/* global Buffer, fetch, TextEncoder */
// Load test of the keychain server: autocannon against pull and push with realistic payloads, on
// SQLite and on PostgreSQL, and against a no-op route (/healthz) of the same server in the same run.
// Prints requests/s, p50 and p99 latency, and each route's ratio to the no-op route.
// Needs a build (`npm run build`). PostgreSQL: TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Usage: npm run bench:server [-- --duration 5 --connections 10 --backends sqlite,postgres]
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const HEADER = { 'Tessera-Client': 'tessera-bench/0.2.0' };

// Child mode: run one server and report its URL (the load generator must not share its event loop).
if (process.argv[2] === '--serve') {
  const { startServer } = await import('../packages/server/dist/index.js');
  const server = await startServer({
    database: process.argv[3],
    dataDir: process.argv[4],
    httpRateLimit: false,
  });
  process.send({ url: server.url });
  process.on('message', async () => {
    await server.close();
    process.exit(0);
  });
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      backends: { type: 'string', default: 'sqlite,postgres' },
    },
  });
  const { default: autocannon } = await import('autocannon');
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { canon } = await import('../packages/protocol/dist/index.js');
  const opaque = await import('@serenity-kit/opaque');
  await opaque.ready;
  const admin = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const b64u = (b) => Buffer.from(b).toString('base64url');
  // A realistic item: a 512-byte bucket sealed with XChaCha20-Poly1305 (24-byte nonce, 16-byte tag).
  const ciphertext = () => b64u(randomBytes(24 + 512 + 16));

  for (const backend of values.backends.split(',')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
    let database = `sqlite:${join(dataDir, 'bench.sqlite')}`;
    let pgName = null;
    let pgAdmin = null;
    if (backend === 'postgres') {
      const pg = (await import('pg')).default;
      pgName = `tessera_bench_${randomUUID().replace(/-/g, '')}`;
      pgAdmin = new pg.Client({ connectionString: admin });
      await pgAdmin.connect();
      await pgAdmin.query(`CREATE DATABASE ${pgName}`);
      const url = new URL(admin);
      url.pathname = `/${pgName}`;
      database = url.toString();
    }
    const child = fork(new URL(import.meta.url).pathname, ['--serve', database, dataDir], {
      stdio: 'inherit',
    });
    const { url } = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    // A failure below must not leave the server child holding the terminal.
    process.once('exit', () => child.kill());
    const call = async (method, path, body, token) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          ...HEADER,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? null : res.json();
    };

    // One account with 200 entries, as a well-used authenticator would hold.
    const email = `bench-${randomUUID()}@example.test`;
    const reg = opaque.client.startRegistration({ password: 'bench password' });
    const { registrationResponse } = await call('POST', '/v1/accounts/register/start', {
      email,
      registrationRequest: reg.registrationRequest,
    });
    const { registrationRecord } = opaque.client.finishRegistration({
      clientRegistrationState: reg.clientRegistrationState,
      registrationResponse,
      password: 'bench password',
    });
    const device = {
      name: 'bench',
      encPub: b64u(randomBytes(32)),
      signPub: b64u(randomBytes(32)),
      nonce: b64u(randomBytes(16)),
    };
    const { deviceId, session } = await call('POST', '/v1/accounts/register/finish', {
      email,
      registrationRecord,
      device,
    });
    // The genesis is signed by its own circle key (the server verifies link signatures).
    const circleSecret = ed25519.utils.randomSecretKey();
    const body = {
      v: 1,
      seq: 0,
      prev: null,
      op: 'genesis',
      epoch: 1,
      circlePub: b64u(ed25519.getPublicKey(circleSecret)),
      device: { id: deviceId, name: 'bench', encPub: device.encPub, signPub: device.signPub },
      recoveryPub: b64u(randomBytes(32)),
      escrowPub: null,
      via: 'genesis',
      by: deviceId,
      at: new Date().toISOString(),
    };
    const link = { ...body, sig: b64u(ed25519.sign(new TextEncoder().encode(canon(body)), circleSecret)) };
    await call(
      'POST',
      '/v1/circle',
      { link, wraps: [{ recipientId: deviceId, epoch: 1, wrapped: b64u(randomBytes(104)) }] },
      session,
    );
    const items = Array.from({ length: 200 }, () => ({
      id: randomUUID(),
      baseVersion: 0,
      epoch: 1,
      ciphertext: ciphertext(),
      deleted: false,
    }));
    const pushed = await call('POST', '/v1/items', { items }, session);
    const head = pushed.head;
    const auth = { ...HEADER, authorization: `Bearer ${session}` };

    // Push: each request edits one entry it owns, with the right base version (no conflicts).
    const pool = pushed.versions.map((v) => ({ ...v }));
    const pushRequest = {
      method: 'POST',
      path: '/v1/items',
      headers: { ...auth, 'content-type': 'application/json' },
      setupRequest(req, context) {
        const item = pool.shift();
        context.item = item;
        return {
          ...req,
          body: JSON.stringify({
            items: [
              { id: item.id, baseVersion: item.version, epoch: 1, ciphertext: ciphertext(), deleted: false },
            ],
          }),
        };
      },
      onResponse(status, body, context) {
        if (status === 200) context.item.version = JSON.parse(body).versions[0].version;
        pool.push(context.item);
      },
    };
    const scenarios = [
      ['no-op (GET /healthz)', { requests: [{ path: '/healthz' }] }],
      [
        'pull 10 changes (GET /v1/items)',
        { requests: [{ path: `/v1/items?since=${head - 10}`, headers: auth }] },
      ],
      ['pull all 200 (GET /v1/items)', { requests: [{ path: '/v1/items?since=0', headers: auth }] }],
      ['push 1 edit (POST /v1/items)', { requests: [pushRequest] }],
    ];
    const results = [];
    for (const [name, opts] of scenarios) {
      const r = await autocannon({ url, connections, duration, ...opts });
      const bad = r.non2xx + r.errors + r.timeouts;
      results.push({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad });
    }
    const base = results[0].rps;
    console.log(`\n${backend}: ${connections} connections, ${duration} s per route`);
    console.log(
      'route'.padEnd(36) +
        'req/s'.padStart(9) +
        'p50 ms'.padStart(9) +
        'p99 ms'.padStart(9) +
        'vs no-op'.padStart(10) +
        'non-2xx'.padStart(9),
    );
    for (const r of results) {
      console.log(
        r.name.padEnd(36) +
          r.rps.toFixed(0).padStart(9) +
          String(r.p50).padStart(9) +
          String(r.p99).padStart(9) +
          (r.rps / base).toFixed(2).padStart(10) +
          String(r.bad).padStart(9),
      );
    }
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    if (pgAdmin) {
      await pgAdmin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      await pgAdmin.end();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}
