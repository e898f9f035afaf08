/* global Buffer, fetch, TextEncoder */
// Load test of the keychain server: autocannon against pull and push with realistic payloads, on
// SQLite and on PostgreSQL, and against a no-op route (/healthz) of the same server in the same run.
// The peer in the same run: a bare Fastify server (bench/bare-peer.mjs: the same fastify, the same
// driver, the same database and the same pull SQL, nothing else) with twins of the no-op and the
// pull-10 routes. Real and bare alternate, round after round (which goes first swaps each round),
// and each real route is reported as the median over rounds of its ratio to its bare twin
// (issue 14 aims: pull >= 0.7x, no-op >= 0.8x), next to the ratio of their CPU time per request
// (Linux /proc), which a shared machine disturbs far less. Both servers run in child processes.
// Prints requests/s, p50 and p99 latency, the ratios, and ends with one `RESULT {json}` line.
// Needs a build (`npm run build`). PostgreSQL: TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Usage: npm run bench:server [-- --duration 3 --rounds 5 --connections 10 --backends sqlite,postgres]
//        npm run bench:server -- --profile DIR (a CPU profile of the server under the pull-10 route)
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPgDatabase, forkServer, startChild } from './children.mjs';

const HEADER = { 'Tessera-Client': 'tessera-bench/0.2.0' };

await main();

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '5' },
      // Profiles the keychain server (node --cpu-prof into DIR) under the pull-10 route alone.
      profile: { type: 'string' },
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
  const rounds = Number(values.rounds);
  const summary = [];
  const b64u = (b) => Buffer.from(b).toString('base64url');
  // A realistic item: a 512-byte bucket sealed with XChaCha20-Poly1305 (24-byte nonce, 16-byte tag).
  const ciphertext = () => b64u(randomBytes(24 + 512 + 16));

  for (const backend of values.backends.split(',')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
    const pgDatabase = backend === 'postgres' ? await createPgDatabase(admin) : null;
    const database = pgDatabase?.url ?? `sqlite:${join(dataDir, 'bench.sqlite')}`;
    const execArgv = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
    const server = await forkServer({ database, dataDir, execArgv });
    const url = server.url;
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
    if (values.profile) {
      const r = await autocannon({
        url,
        connections,
        duration,
        requests: [{ path: `/v1/items?since=${head - 10}`, headers: auth }],
      });
      console.log(
        `${backend}: profiled pull 10 changes, ${r.requests.average.toFixed(0)} req/s, into ${values.profile}`,
      );
      await server.stop();
      await pgDatabase?.drop();
      await rm(dataDir, { recursive: true, force: true });
      continue;
    }
    // The bare peer opens the same database once the keychain server has created and filled it.
    const bare = await startChild(new URL('./bare-peer.mjs', import.meta.url).pathname, [database]);
    const pull10 = `/v1/items?since=${head - 10}`;
    const pairs = [
      ['no-op (GET /healthz)', { requests: [{ path: '/healthz' }] }, { requests: [{ path: '/healthz' }] }],
      [
        'pull 10 changes (GET /v1/items)',
        { requests: [{ path: pull10, headers: auth }] },
        { requests: [{ path: pull10, headers: auth }] },
      ],
    ];
    // CPU time the server process spent per answered request: unlike req/s, it barely moves when
    // other work shares the machine, so its ratio is the steadier one here.
    const pidOf = { [url]: server.child.pid, [bare.url]: bare.child.pid };
    const run = async (target, opts) => {
      const cpu0 = cpuMs(pidOf[target]);
      const r = await autocannon({ url: target, connections, duration, ...opts });
      const cpu = cpuMs(pidOf[target]) - cpu0;
      return {
        cpuUsPerRequest: (cpu * 1000) / Math.max(1, r.requests.total),
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        bad: r.non2xx + r.errors + r.timeouts,
      };
    };
    // Both answer the same pull the same way before anything is timed.
    const [realBody, bareBody] = await Promise.all(
      [url, bare.url].map(async (u) => (await fetch(u + pull10, { headers: auth })).json()),
    );
    if (JSON.stringify(realBody) !== JSON.stringify(bareBody))
      throw new Error('the bare pull answers differently from the keychain server');
    const samples = pairs.map(() => ({ real: [], bare: [] }));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['real', 'bare'] : ['bare', 'real'];
      for (const [i, [, realOpts, bareOpts]] of pairs.entries()) {
        for (const side of order)
          samples[i][side].push(
            await run(side === 'real' ? url : bare.url, side === 'real' ? realOpts : bareOpts),
          );
      }
    }
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const pick = (runs) => ({
      cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      bad: runs.reduce((n, r) => n + r.bad, 0),
    });
    const twins = pairs.map(([name], i) => ({
      name,
      real: pick(samples[i].real),
      bare: pick(samples[i].bare),
      // Per-round ratios: both sides of a round saw the same machine load.
      ratio: median(samples[i].real.map((r, j) => r.rps / samples[i].bare[j].rps)),
      ratios: samples[i].real.map((r, j) => r.rps / samples[i].bare[j].rps),
      // Bare CPU per request over real CPU per request: 1 means the real route costs what the bare does.
      cpuRatio: median(samples[i].real.map((r, j) => samples[i].bare[j].cpuUsPerRequest / r.cpuUsPerRequest)),
    }));
    await bare.stop();

    // The heavier routes of the real server, one pass each, as a ratio to its own no-op.
    const results = [
      { name: 'no-op (GET /healthz)', ...twins[0].real },
      { name: 'pull 10 changes (GET /v1/items)', ...twins[1].real },
    ];
    for (const [name, opts] of [
      ['pull all 200 (GET /v1/items)', { requests: [{ path: '/v1/items?since=0', headers: auth }] }],
      ['push 1 edit (POST /v1/items)', { requests: [pushRequest] }],
    ])
      results.push({ name, ...(await run(url, opts)) });
    const base = results[0].rps;
    console.log(
      `\n${backend}: ${connections} connections, ${duration} s per route and round, ${rounds} rounds`,
    );
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
    console.log(
      'against the bare Fastify twin (median req/s over rounds; ratio = median of per-round ratios):',
    );
    for (const t of twins) {
      console.log(
        `  ${t.name.padEnd(34)} real ${t.real.rps.toFixed(0).padStart(6)}  bare ${t.bare.rps.toFixed(0).padStart(6)}` +
          `  ratio ${t.ratio.toFixed(2)}x  (rounds: ${t.ratios.map((x) => x.toFixed(2)).join(' ')})` +
          `  CPU/request real ${t.real.cpuUsPerRequest.toFixed(0)} µs bare ${t.bare.cpuUsPerRequest.toFixed(0)} µs, ratio ${t.cpuRatio.toFixed(2)}x` +
          (t.bare.bad ? `  bare non-2xx ${t.bare.bad}` : ''),
      );
    }
    summary.push({
      backend,
      noopRatio: round2(twins[0].ratio),
      pullRatio: round2(twins[1].ratio),
      noopCpuRatio: round2(twins[0].cpuRatio),
      pullCpuRatio: round2(twins[1].cpuRatio),
      noopRps: { real: Math.round(twins[0].real.rps), bare: Math.round(twins[0].bare.rps) },
      pullRps: { real: Math.round(twins[1].real.rps), bare: Math.round(twins[1].bare.rps) },
      pullAllVsNoop: round2(results[2].rps / base),
      pushVsNoop: round2(results[3].rps / base),
    });
    await server.stop();
    await pgDatabase?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (!values.profile)
    console.log(
      `RESULT ${JSON.stringify({ bench: 'server', connections, durationS: duration, rounds, results: summary })}`,
    );
}

/** User + system CPU of a process so far (Linux /proc; clock ticks assumed 100 per second). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function round2(x) {
  return Math.round(x * 100) / 100;
}
