/* global performance, Buffer */
// The floor under bench:restore's recovery-key path (issue 14: the restore besides the KDF < 3× a raw
// HTTP pull of the same 1,000 items). With the real server in a process of its own (SQLite, then
// PostgreSQL) and Node clients in this one, each run makes a fresh account of 1,000 entries and times,
// in an order that rotates every run (five paths, five orders):
//  (a) raw: the raw pull of its 1,000 items, as bench:restore does it (one `GET /v1/items`, parsed);
//  (b) replay: the HTTP requests of one recovery-key restore, as recorded once from a real restore
//      through a recording fetch (below: checked against the recording, so a change of the client's
//      requests fails this bench instead of measuring something else), sent with the same bodies'
//      shapes, the same order and the same concurrency, with the client's crypto precomputed or left
//      out where the server allows it: the vault key is known before the clock starts (the recovery
//      wrap is not opened, the key not checked), nothing is opened, merged or written. What the server
//      checks afresh cannot be precomputed and is done between the requests, off the clock: OPAQUE's
//      `finishLogin` (a fresh server nonce each sign-in; it holds the KDF), and the folded circle's
//      verification, the add-device link's signature and the device's own wrap (they name the device
//      id `sessions/finish` assigns and the head it answers, ~1 – 2 ms; `linkGapMs`). So `replayMs` is network + server time (and the client's `JSON.parse` of the answers,
//      as in (a)) of the protocol's requests alone; the link's gap is taken out even when the held
//      page is in flight across it, so it is a lower bound;
//  (b') two variants of (b), to price request orders the protocol could take: `link-first` (the held
//      page asked for right after the add-device link instead of at the sign-in's answer, so the
//      server answers the link before it produces the page; the link's gap then holds no request) and
//      `page-only` (the sign-in and the page alone: the requests a restore would need before its
//      entries are usable if the link and the round came after, or were folded into, them);
//  (c) real: a real recovery-key restore (`signInToRecover` + `recoverWithRecoveryKey` + `syncRound`),
//      the KDF timed beside it and subtracted as bench:restore does, with wall-time marks from its
//      fetch, its vault's `applyRemote` and `updateMeta`;
//  and after the three, off the clock, one more real restore under the V8 sampling profiler
//  (node:inspector, 50 µs), its samples attributed to the innermost client function of a phase table
//  (OPAQUE finish, circle verification, wrap open, link sign, items parse, per-item open, merge and
//  vault write, ...): the client's CPU per phase (the profiler slows the process; read them as shares).
// Ends with one `RESULT {json}` line. Builds the packages first (tsc -b packages/cli; `--no-build` not).
// FLOOR_DEBUG=1 prints the profile's unplaced stacks (phase "other"), to extend the phase table.
// Usage: npm run bench:restore-floor [-- --backends sqlite,postgres --runs 7]
//   PostgreSQL: TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPgDatabase, forkServer } from './children.mjs';
import { kdfTimer } from './kdf.mjs';
import { entry } from './entries.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    runs: { type: 'string', default: '7' },
    'no-build': { type: 'boolean', default: false },
  },
});
if (!values['no-build']) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'packages/cli'], { cwd: root, stdio: 'inherit' });
}
const { openNodeVault } = await import('../packages/vault/dist/node/index.js');
const kc = await import('../packages/vault/dist/keychain/index.js');
const opaque = await import('../packages/vault/dist/keychain/opaque.js');

const ENTRIES = 1000;
const RUNS = Number(values.runs);
const PASSWORD = 'correct horse battery staple';
const CLIENT = 'tessera-cli/0.2.0';
const ADMIN_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const env = { ...process.env, TESSERA_KEY_STORE: 'file' };
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;

let dir = '';
let homes = 0;
let accounts = 0;

/** A device whose fetch and vault writes are timed (`marks`), for the real restore's phases. */
async function device({ record = null } = {}) {
  const vault = await openNodeVault({ home: join(dir, `home-${++homes}`), env });
  const marks = { requests: [], applyRemote: [], updateMeta: [] };
  for (const name of ['applyRemote', 'updateMeta']) {
    const inner = vault[name].bind(vault);
    vault[name] = async (...args) => {
      const t = now();
      try {
        return await inner(...args);
      } finally {
        marks[name].push([t, now()]);
      }
    };
  }
  const fetch = async (url, init) => {
    const u = new URL(url);
    const entry = {
      method: init?.method ?? 'GET',
      path: u.pathname,
      query: u.search,
      bodyBytes: typeof init?.body === 'string' ? Buffer.byteLength(init.body) : 0,
      body: record && typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      sent: now(),
      answered: 0,
      bytes: 0,
    };
    marks.requests.push(entry);
    const response = await globalThis.fetch(url, init);
    // Answered: when its body is parsed (the client's `call` reads every answer with `json()`).
    entry.answered = now();
    entry.bytes = Number(response.headers.get('content-length') ?? 0);
    const json = response.json.bind(response);
    response.json = async () => {
      const value = await json();
      entry.answered = now();
      return value;
    };
    return response;
  };
  const keychain = new kc.Keychain({
    host: vault,
    deviceKeys: kc.metaDeviceKeyStore(vault),
    clientId: CLIENT,
    fetch,
  });
  return { vault, keychain, marks };
}

/** A fresh account: device A with 1,000 entries, signed up and synced. */
async function newAccount(server) {
  const email = `floor${++accounts}@example.com`;
  const a = await device();
  await a.vault.addMany(Array.from({ length: ENTRIES }, (_, n) => entry(n)));
  let recoveryKey = '';
  await kc.signup(a.keychain, {
    server: server.url,
    email,
    password: PASSWORD,
    deviceName: 'A',
    keepRecoveryKey: async (k) => void (recoveryKey = k),
  });
  await kc.syncRound(a.keychain);
  const state = a.keychain.requireState();
  const epoch = state.circle.epoch;
  return { email, a, recoveryKey, vk: kc.fromB64u(state.vaultKeys[String(epoch)]), server };
}

/** (a) The raw pull, as bench:restore's. */
async function rawPull(account) {
  const t0 = now();
  let count = 0;
  for (let since = 0, more = true; more;) {
    const page = await account.a.keychain.client().call('items', { query: { since, limit: ENTRIES } });
    count += page.items.length;
    since = page.items.at(-1)?.version ?? since;
    more = page.more && page.items.length > 0;
  }
  if (count < ENTRIES) throw new Error(`raw pull got ${count} items`);
  return now() - t0;
}

/** (c) A real recovery-key restore, as bench:restore's; `marks` are its device's. */
async function realRestore(account, options = {}) {
  const d = await device(options);
  const t0 = now();
  await kc.signInToRecover(d.keychain, {
    server: account.server.url,
    email: account.email,
    password: PASSWORD,
    deviceName: `R${homes}`,
    joinBy: 'recovery-key',
  });
  await kc.recoverWithRecoveryKey(d.keychain, account.recoveryKey);
  await kc.syncRound(d.keychain);
  const t1 = now();
  if (d.vault.entries().length !== ENTRIES) throw new Error(`restored ${d.vault.entries().length} entries`);
  return { t0, t1, took: t1 - t0, marks: d.marks };
}

// The requests of one recovery-key restore, in the order they are sent; `after` names what each
// waits for (the concurrency), as recorded from the real client. `record()` checks a real restore
// against this list, and `replay()` sends exactly these.
const PROTOCOL = [
  { key: 'meta', method: 'GET', path: '/v1/meta', after: 'start' },
  { key: 'start', method: 'POST', path: '/v1/sessions/start', after: 'start' },
  { key: 'finish', method: 'POST', path: '/v1/sessions/finish', after: 'meta, start, OPAQUE finish (KDF)' },
  { key: 'page', method: 'GET', path: '/v1/items', after: 'finish' },
  { key: 'link', method: 'POST', path: '/v1/circle', after: 'finish, circle check, wrap open, link sign' },
  { key: 'notices', method: 'GET', path: '/v1/notices', after: 'link, join state write' },
  {
    key: 'tail',
    method: 'GET',
    path: '/v1/items',
    after: 'page, and the round taking it (link, join state write)',
  },
  { key: 'circle', method: 'GET', path: '/v1/circle', after: 'link, join state write' },
];

/**
 * Names a real restore's requests by PROTOCOL's keys, and fails when they are not PROTOCOL's: the
 * same requests, and in PROTOCOL's order except the round's three, whose order depends on when the
 * held page arrives (the tail is asked for once the page is in and the round has taken it).
 */
function keyed(requests) {
  const got = requests.map((r) => `${r.method} ${r.path}`);
  const want = PROTOCOL.map((r) => `${r.method} ${r.path}`);
  const fixed = PROTOCOL.length - 3;
  const same =
    got.length === want.length &&
    got.slice(0, fixed).join('\n') === want.slice(0, fixed).join('\n') &&
    got.slice(fixed).sort().join('\n') === want.slice(fixed).sort().join('\n');
  if (!same) {
    throw new Error(
      `a recovery-key restore now sends other requests than this bench replays:\n got:\n  ${got.join('\n  ')}\n replayed:\n  ${want.join('\n  ')}`,
    );
  }
  const items = requests.filter((r) => r.path === '/v1/items');
  const byKey = Object.fromEntries(requests.slice(0, fixed).map((r, i) => [PROTOCOL[i].key, r]));
  byKey.notices = requests.find((r) => r.path === '/v1/notices');
  byKey.circle = requests.slice(fixed).find((r) => r.path === '/v1/circle');
  byKey.tail = items[1];
  return byKey;
}

/** One real restore through the recording fetch; fails when its requests are not PROTOCOL's. */
async function record(account) {
  const run = await realRestore(account, { record: true });
  const byKey = keyed(run.marks.requests);
  return PROTOCOL.map((p) => {
    const r = byKey[p.key];
    return {
      ...p,
      query: r.query,
      bodyBytes: r.bodyBytes,
      answerBytes: r.bytes,
      sentMs: round1(r.sent - run.t0),
      answeredMs: round1(r.answered - run.t0),
      body: r.body,
    };
  });
}

/** (b) The recorded requests against a fresh account, the client's crypto off the clock. */
async function replay(account, recorded, mode = 'recorded') {
  const { email, vk } = account;
  const finishInclude = recorded.find((r) => r.key === 'finish').body.include;
  // Precomputed: the OPAQUE start, the device's keys.
  const login = await opaque.startLogin(PASSWORD);
  const keys = await kc.deviceKeysFromCryptoKeys(await kc.generateDeviceKeyPairs({ extractable: true }));
  const name = `P${++homes}`;
  const device = {
    name,
    encPub: kc.b64u(keys.encPub),
    signPub: kc.b64u(keys.signPub),
    nonce: kc.b64u(kc.randomBytes(16)),
  };
  const client = new kc.KeychainClient({ server: account.server.url, client: CLIENT });
  const signer = kc.circleKey(vk);
  const t = {};
  t.start = now();
  const [meta, started] = await Promise.all([
    client.call('meta'),
    client.call('loginStart', { body: { email, startLoginRequest: login.startLoginRequest } }),
  ]);
  t.started = now();
  // Off the clock: OPAQUE's finish (the KDF), which the server's nonce makes fresh each time.
  const finished = await opaque.finishLogin({
    secret: PASSWORD,
    state: login.clientLoginState,
    loginResponse: started.loginResponse,
    expectedServerKey: meta.opaquePublicKey,
  });
  t.finishSent = now();
  const session = await client.call('loginFinish', {
    body: {
      loginId: started.loginId,
      finishLoginRequest: finished.finishLoginRequest,
      device,
      include: finishInclude,
    },
  });
  t.finished = now();
  if (!session.circle || !session.wraps) throw new Error('the server did not fold the circle and the wraps');
  client.session = session.session;
  let page = null;
  const askPage = () => {
    t.pageAsked = now();
    page = client.call('items', { query: { since: 0, limit: ENTRIES } }).then((p) => {
      t.page = now();
      return p;
    });
  };
  if (mode !== 'link-first') askPage();
  if (mode === 'page-only') {
    const p = await page;
    t.done = now();
    if (p.items.length !== ENTRIES) throw new Error(`replayed page held ${p.items.length} items`);
    return {
      ms: t.done - t.start - (t.finishSent - t.started),
      signInMs: t.started - t.start + (t.finished - t.finishSent),
      pageMs: t.page - t.pageAsked,
    };
  }
  // Off the clock: the folded circle verified (other restores of this account may have added
  // devices), the link's signature and the own wrap, which name the device id just assigned.
  const circle = kc.applyLinks(null, session.circle.links, session.circle.head);
  const self = { id: session.deviceId, name, encPub: device.encPub, signPub: device.signPub };
  const link = kc.buildLink(circle, { op: 'add-device', by: self.id, device: self, via: 'recovery', signer });
  const own = {
    recipientId: self.id,
    epoch: circle.epoch,
    wrapped: kc.wrapVaultKey({
      accountId: session.accountId,
      recipientId: self.id,
      epoch: circle.epoch,
      vk,
      recipientPub: keys.encPub,
    }),
  };
  t.linkSent = now();
  const linked = client.call('circlePost', { body: { link, wraps: [own] } });
  if (mode === 'link-first') askPage();
  await linked;
  t.linked = now();
  // The round: notices and circle at once, and the request after the held page as soon as the page
  // is in (prefetch.ts asks for it when the held page resolves).
  const [, tail] = await Promise.all([
    client.call('notices', { query: { since: 0 } }),
    page.then((p) => {
      const last = p.items.reduce((m, i) => Math.max(m, i.version), 0);
      if (p.items.length !== ENTRIES) throw new Error(`replayed page held ${p.items.length} items`);
      return client.call('items', { query: { since: last, limit: ENTRIES, atLeast: p.head } });
    }),
    client.call('circle', { query: { since: circle.head.seq + 1 } }),
  ]);
  t.done = now();
  if (tail.items.length !== 0) throw new Error('items after the page');
  const gaps = t.finishSent - t.started + (t.linkSent - t.finished);
  return {
    ms: t.done - t.start - gaps,
    signInMs: t.started - t.start + (t.finished - t.finishSent),
    pageMs: t.page - t.pageAsked,
    linkMs: t.linked - t.linkSent,
    roundMs: t.done - t.linked,
    linkGapMs: t.linkSent - t.finished,
  };
}

// (c) The client's CPU per phase: the innermost frame of a sample that names one of these functions
// (dist function names; a frame of another name is looked through to its callers).
const PHASES = [
  ['finishLogin', 'OPAQUE finish (KDF)'],
  ['startLogin', 'OPAQUE start'],
  ['newDeviceKeys', 'device keys'],
  ['applyLinks', 'circle verification'],
  ['unwrapVaultKey', 'wrap open'],
  ['checkVaultKeyMatchesCircle', 'vault key check'],
  ['buildLink', 'link sign + own wrap'],
  ['wrapForDevice', 'link sign + own wrap'],
  ['openServerItemWithPlaintext', 'per-item open (AEAD, parse, record checks)'],
  ['recordHashOfPlaintext', 'per-item hash (canon, SHA-256)'],
  ['latestClock', 'per-item clock'],
  ['parseJSONFromBytes', 'answers parse (JSON)'],
  ['applyRemote', 'merge + vault write'],
  ['updateMeta', 'state write (updateMeta)'],
  ['stateForMeta', 'state snapshot (stateForMeta)'],
  ['push', 'push (nothing to push; the pending scan)'],
  ['pull', 'pull, other'],
];
// A frame named in no row above is placed by its file (an async function resumed after an `await`
// has no callers in the profile, so its closures are known by their file only).
const FILES = [
  ['/vault/dist/vault.js', 'merge + vault write'],
  ['/vault/dist/node/', 'merge + vault write'],
  ['/vault/dist/payload.js', 'merge + vault write'],
  ['/vault/dist/file-format.js', 'merge + vault write'],
  ['/keychain/sync.js', 'pull, other'],
  ['/keychain/keychain.js', 'keychain state, other'],
  ['undici', 'HTTP client (undici), other'],
  ['node:net', 'sockets and streams'],
  ['stream_base_commons', 'sockets and streams'],
  ['node:inspector', 'the profiler itself'],
];
const phaseOf = new Map(PHASES);

function cpuByPhase(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const classify = (id) => {
    if (memo.has(id)) return memo.get(id);
    const node = byId.get(id);
    const fn = node.callFrame.functionName;
    const file = FILES.find(([part]) => node.callFrame.url.includes(part));
    let phase;
    if (fn === '(idle)' || fn === '(garbage collector)' || fn === '(program)') phase = fn;
    else if (phaseOf.has(fn)) phase = phaseOf.get(fn);
    else if (parent.has(id)) phase = classify(parent.get(id));
    else phase = 'other';
    if (phase === 'other' && file) phase = file[1];
    // Only a leaf is idle, the collector or the engine.
    if (phase.startsWith('(') && fn !== phase) phase = 'other';
    memo.set(id, phase);
    return phase;
  };
  const out = {};
  const others = {};
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const phase = classify(profile.samples[i]);
    const dt = (deltas[i + 1] ?? 0) / 1000;
    out[phase] = (out[phase] ?? 0) + dt;
    if (process.env.FLOOR_DEBUG && (phase === 'other' || phase.startsWith('HTTP'))) {
      let id = profile.samples[i];
      const chain = [];
      while (id !== undefined && chain.length < 6) {
        const f = byId.get(id).callFrame;
        chain.push(`${f.functionName || '(anon)'}@${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`);
        id = parent.get(id);
      }
      const k = chain.join(' < ');
      others[k] = (others[k] ?? 0) + dt;
    }
  }
  if (process.env.FLOOR_DEBUG)
    for (const [k, v] of Object.entries(others)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 40))
      console.log(v.toFixed(1).padStart(7), k);
  return out;
}

async function profiledRestore(account) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const run = await realRestore(account);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  return { ms: run.took, phases: cpuByPhase(profile) };
}

/** Wall-time phases of one real restore from its marks (ms; the KDF's gap left out). */
function wallPhases(run) {
  const byKey = keyed(run.marks.requests);
  const at = (key) => byKey[key];
  const [join] = run.marks.updateMeta;
  const apply = run.marks.applyRemote[0];
  const roundAnswered = Math.max(at('circle').answered, at('notices').answered);
  return {
    kdfGap: at('finish').sent - Math.max(at('start').answered, at('meta').answered),
    'sign-in requests (meta ‖ start, finish)':
      Math.max(at('start').answered, at('meta').answered) -
      run.t0 +
      (at('finish').answered - at('finish').sent),
    'finish → link sent (circle check, wrap open, link sign)': at('link').sent - at('finish').answered,
    'link request': at('link').answered - at('link').sent,
    'link → round sent (join state write)': at('notices').sent - at('link').answered,
    'join state write (updateMeta)': join ? join[1] - join[0] : 0,
    'round requests (notices ‖ circle)': roundAnswered - at('notices').sent,
    'round → vault write (open the held page)': apply[0] - roundAnswered,
    'vault write (applyRemote)': apply[1] - apply[0],
    'vault write → done (tail, push scan, save)': run.t1 - apply[1],
    'held page answered after finish': at('page').answered - at('finish').answered,
  };
}

// More sign-ins and recovery-key restores from one address than the limits' free attempts
// (bench/serve.mjs).
process.env.TESSERA_BENCH_LOOSE_LIMITS = '1';
const kdfOnce = await kdfTimer({ password: PASSWORD, clock: () => performance.now() });
const summary = [];
let recorded = null;
for (const backend of values.backends.split(',')) summary.push(await measure(backend));

async function measure(backend) {
  dir = mkdtempSync(join(tmpdir(), 'tessera-bench-floor-'));
  const pgDatabase = backend === 'postgres' ? await createPgDatabase(ADMIN_URL) : null;
  const server = await forkServer({
    database: pgDatabase?.url ?? `sqlite:${join(dir, 'server.sqlite')}`,
    dataDir: join(dir, 'server'),
  });
  try {
    // The recording (and a warm-up of every path) on an account of its own.
    const warm = await newAccount(server);
    const rec = await record(warm);
    recorded ??= rec;
    await replay(warm, rec);
    await rawPull(warm);
    const raw = [];
    const floor = [];
    const real = [];
    const kdf = [];
    const replays = [];
    const walls = [];
    const cpu = [];
    const variants = { 'link-first': [], 'page-only': [] };
    const paths = ['raw', 'replay', 'real', 'link-first', 'page-only'];
    const orders = paths.map((_, i) => [...paths.slice(i), ...paths.slice(0, i)]);
    for (let i = 0; i < RUNS; i++) {
      const account = await newAccount(server);
      for (const path of orders[i % orders.length]) {
        if (path === 'raw') raw.push(await rawPull(account));
        else if (path === 'replay') {
          const r = await replay(account, rec);
          replays.push(r);
          floor.push(r.ms);
        } else if (path in variants) {
          variants[path].push((await replay(account, rec, path)).ms);
        } else {
          const before = kdfOnce();
          const run = await realRestore(account);
          const k = (before + kdfOnce()) / 2;
          kdf.push(k);
          real.push(run.took - k);
          const phases = wallPhases(run);
          // The sign-in's own client work besides the KDF: device keys, OPAQUE's finish in place
          // against timed beside, the collector.
          phases['start answered → finish sent, beyond the KDF'] = phases.kdfGap - k;
          delete phases.kdfGap;
          walls.push(phases);
        }
      }
      cpu.push(await profiledRestore(account));
    }
    const ratio = (xs) => round1(median(xs.map((x, i) => x / raw[i])));
    const med = (rows, key) => round1(median(rows.map((r) => r[key])));
    const keysOf = (rows) => [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const cpuPhases = Object.fromEntries(
      keysOf(cpu.map((c) => c.phases))
        .map((k) => [k, round1(median(cpu.map((c) => c.phases[k] ?? 0)))])
        .sort((x, y) => y[1] - x[1]),
    );
    const result = {
      backend,
      rawPullMs: round1(median(raw)),
      replayFloorMs: round1(median(floor)),
      replayRatio: ratio(floor),
      replayLinkFirstMs: round1(median(variants['link-first'])),
      replayLinkFirstRatio: ratio(variants['link-first']),
      replayPageOnlyMs: round1(median(variants['page-only'])),
      replayPageOnlyRatio: ratio(variants['page-only']),
      realBesidesKdfMs: round1(median(real)),
      realRatio: ratio(real),
      kdfMs: round1(median(kdf)),
      replay: Object.fromEntries(Object.keys(replays[0]).map((k) => [k, med(replays, k)])),
      realWall: Object.fromEntries(keysOf(walls).map((k) => [k, med(walls, k)])),
      profiledRestoreMs: round1(median(cpu.map((c) => c.ms))),
      clientCpuMs: cpuPhases,
      runs: {
        raw: raw.map(round1),
        replay: floor.map(round1),
        real: real.map(round1),
        linkFirst: variants['link-first'].map(round1),
        pageOnly: variants['page-only'].map(round1),
      },
    };
    console.log(`${backend}: ${RUNS} runs, medians (each run a fresh account of ${ENTRIES} entries)`);
    console.log(`  (a) raw pull                 ${result.rawPullMs} ms`);
    console.log(
      `  (b) replayed requests        ${result.replayFloorMs} ms   ${result.replayRatio}x the raw pull`,
    );
    console.log(`      ${JSON.stringify(result.replay)}`);
    console.log(
      `      variants: the link sent before the page ${result.replayLinkFirstMs} ms (${result.replayLinkFirstRatio}x); sign-in and page only ${result.replayPageOnlyMs} ms (${result.replayPageOnlyRatio}x)`,
    );
    console.log(
      `  (c) real restore besides KDF ${result.realBesidesKdfMs} ms   ${result.realRatio}x   (KDF ${result.kdfMs} ms)`,
    );
    console.log(`      wall phases ${JSON.stringify(result.realWall)}`);
    console.log(
      `      client CPU by phase (profiled restore, ${result.profiledRestoreMs} ms) ${JSON.stringify(cpuPhases)}`,
    );
    return result;
  } finally {
    await server.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  'recorded requests of one recovery-key restore (ms from its start, answered = its body parsed; SQLite):',
);
for (const r of recorded) {
  console.log(
    `  ${r.sentMs.toFixed(1).padStart(6)} → ${r.answeredMs.toFixed(1).padStart(6)}  ${r.method.padEnd(4)} ${r.path}${r.query}  body ${r.bodyBytes} B, answer ${r.answerBytes} B  (after ${r.after})`,
  );
}
console.log(
  `RESULT ${JSON.stringify({
    bench: 'restore-floor',
    entries: ENTRIES,
    runs: RUNS,
    requests: recorded.map(({ body: _body, ...r }) => r),
    results: summary,
    loadAverage: loadavg().map(round1),
  })}`,
);
