/* global TextEncoder */
// Restore and live-sync latency of the keychain, with the real server in a process of its own
// (SQLite, then PostgreSQL) and Node vaults in this one.
//  1. Credentials to all entries usable on a new device, 1,000 entries, by the recovery-key path and
//     by approval; the deliberate KDF time (OPAQUE's Argon2id key stretching of the password) is
//     measured on its own beside every restore (just before and after it) and subtracted from that
//     restore, and the CPace run of approval (both devices' share
//     of the PAKE, computed in one process), whose cost the issue caps at 50 ms.
//  2. Time for an edit on one device to appear on another through the change feed, p50 and p99 over
//     200 edits.
// The peer in the same run: pulling the same 1,000 items as raw HTTP (no decryption, no merge), so
// the report shows what the client's own work costs as a ratio. The raw pull and both restore paths
// alternate (the order rotates every run), RESTORES runs each; each path's ratio is the median over
// runs of (path minus KDF) / the raw pull of the same run. Ends with one `RESULT {json}` line.
//  3. The PIN path with three escrow realms next to the single embedded realm (bench/realm-pin.mjs).
// PostgreSQL: TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Usage: npm run bench:restore [-- --backends sqlite,postgres --runs 7]   (builds the packages first)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPgDatabase, forkServer } from './children.mjs';
import { kdfTimer } from './kdf.mjs';
import { entry } from './entries.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', 'packages/cli'], { cwd: root, stdio: 'inherit' });
const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    runs: { type: 'string', default: '7' },
  },
});
// Only the PIN path below still starts servers in this process (bench/realm-pin.mjs).
const { startServer } = await import('../packages/server/dist/index.js');
const { openNodeVault } = await import('../packages/vault/dist/node/index.js');
const kc = await import('../packages/vault/dist/keychain/index.js');
const pake = await import('../packages/vault/dist/pake/index.js');

const ENTRIES = 1000;
const EDITS = 200;
const RESTORES = Number(values.runs);
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'bench@example.com';
const ADMIN_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const env = { ...process.env, TESSERA_KEY_STORE: 'file' };
let homes = 0;

let dir = '';
async function device() {
  const vault = await openNodeVault({ home: join(dir, `home-${++homes}`), env });
  const keychain = new kc.Keychain({
    host: vault,
    deviceKeys: kc.metaDeviceKeyStore(vault),
    clientId: 'tessera-cli/0.2.0',
  });
  return { vault, keychain };
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const median = (xs) => quantile(xs, 0.5);
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** Both devices' CPace work for one approval (shares, ISK, tags), median of 20 runs. */
function pakeTime() {
  const random = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));
  const enc = (t) => new TextEncoder().encode(t);
  const inputs = { prs: enc('08057614'), ci: pake.lvCat(enc('ci'), random(32), random(32)), sid: random(16) };
  const ada = enc('a');
  const adb = enc('b');
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = now();
    const a = pake.startCpace({ ...inputs, random });
    const b = pake.startCpace({ ...inputs, random });
    const kb = pake.finishCpace({
      y: b.y,
      peerShare: a.share,
      sid: inputs.sid,
      ya: a.share,
      ada,
      yb: b.share,
      adb,
    });
    const ka = pake.finishCpace({
      y: a.y,
      peerShare: b.share,
      sid: inputs.sid,
      ya: a.share,
      ada,
      yb: b.share,
      adb,
    });
    times.push(ms(t));
    if (!ka || !kb || ka.tagB.some((x, j) => x !== kb.tagB[j])) throw new Error('CPace run did not agree');
  }
  return quantile(times, 0.5);
}

// The KDF beside each restore (bench/kdf.mjs), in wall time.
const kdfOnce = await kdfTimer({ password: PASSWORD, clock: () => Number(process.hrtime.bigint()) / 1e6 });
const kdfAll = [];
const pakeMs = pakeTime();
const summary = [];
for (const backend of values.backends.split(',')) summary.push(await measure(backend));

function round1(x) {
  return Math.round(x * 10) / 10;
}

/** One backend: a fresh server process and database, RESTORES alternating runs, the feed latency. */
async function measure(backend) {
  dir = mkdtempSync(join(tmpdir(), 'tessera-bench-restore-'));
  const pgDatabase = backend === 'postgres' ? await createPgDatabase(ADMIN_URL) : null;
  const server = await forkServer({
    database: pgDatabase?.url ?? `sqlite:${join(dir, 'server.sqlite')}`,
    dataDir: join(dir, 'server'),
  });
  try {
    const a = await device();
    await a.vault.addMany(Array.from({ length: ENTRIES }, (_, n) => entry(n)));
    let recoveryKey = '';
    await kc.signup(a.keychain, {
      server: server.url,
      email: EMAIL,
      password: PASSWORD,
      deviceName: 'A',
      keepRecoveryKey: async (k) => void (recoveryKey = k),
    });
    await kc.syncRound(a.keychain);

    // Peer: the same items as raw HTTP.
    async function rawPull() {
      const t0 = now();
      let count = 0;
      for (let since = 0, more = true; more;) {
        const page = await a.keychain.client().call('items', { query: { since, limit: 1000 } });
        count += page.items.length;
        since = page.items.at(-1)?.version ?? since;
        more = page.more && page.items.length > 0;
      }
      if (count < ENTRIES) throw new Error(`raw pull got ${count} items`);
      return ms(t0);
    }

    // Recovery-key path: sign in (one password KDF), recover, restore.
    async function byRecoveryKey() {
      const d = await device();
      const t = now();
      // The sign-in `tessera keychain recover --server ...` makes (no approval run; `login` before it existed).
      await (kc.signInToRecover ?? kc.login)(d.keychain, {
        server: server.url,
        email: EMAIL,
        password: PASSWORD,
        deviceName: `R${homes}`,
        // The join that follows (its wraps come with the sign-in's answer from a server that folds them).
        joinBy: 'recovery-key',
      });
      await kc.recoverWithRecoveryKey(d.keychain, recoveryKey);
      await kc.syncRound(d.keychain);
      const took = ms(t);
      if (d.vault.entries().length !== ENTRIES)
        throw new Error(`restored ${d.vault.entries().length} entries`);
      return { d, took };
    }

    // Approval path: sign in, then the trusted device approves while the new device waits (both sides of
    // the CPace run at once, polling the relay every 5 ms), restore.
    async function byApprovalOf() {
      const d = await device();
      const t = now();
      const joined = await kc.login(d.keychain, {
        server: server.url,
        email: EMAIL,
        password: PASSWORD,
        deviceName: `A${homes}`,
      });
      await Promise.all([
        kc.approve(a.keychain, { code: joined.verificationCode, pollMs: 5 }),
        kc.awaitApproval(d.keychain, { pollMs: 5 }),
      ]);
      await kc.syncRound(d.keychain);
      const took = ms(t);
      if (d.vault.entries().length !== ENTRIES)
        throw new Error(`restored ${d.vault.entries().length} entries`);
      return { d, took };
    }

    // Each path, and the raw pull, runs RESTORES times; the order rotates every run so none carries the
    // others' warm-up (JIT, first use of the WebAssembly modules) or a slow moment of the machine alone.
    // The report takes medians, and each path's ratio is taken against the raw pull of its own run.
    const recoveryTimes = [];
    const approvalTimes = [];
    const rawTimes = [];
    // The KDF beside each restore: (before + after) / 2, subtracted from that restore's time.
    const recoveryKdf = [];
    const approvalKdf = [];
    const kdfBeside = async (run, kdfs) => {
      const before = kdfOnce();
      const result = await run();
      const kdf = (before + kdfOnce()) / 2;
      kdfs.push(kdf);
      kdfAll.push(kdf);
      return result;
    };
    const orders = [
      ['raw', 'recovery', 'approval'],
      ['approval', 'raw', 'recovery'],
      ['recovery', 'approval', 'raw'],
    ];
    let b = null;
    for (let i = 0; i < RESTORES; i++) {
      for (const path of orders[i % orders.length]) {
        if (path === 'raw') rawTimes.push(await rawPull());
        else if (path === 'recovery') {
          const run = await kdfBeside(byRecoveryKey, recoveryKdf);
          b ??= run.d;
          recoveryTimes.push(run.took);
        } else {
          approvalTimes.push((await kdfBeside(byApprovalOf, approvalKdf)).took);
        }
      }
    }
    const byRecovery = median(recoveryTimes);
    const byApproval = median(approvalTimes);
    const rawMs = median(rawTimes);
    const recoveryBesides = median(recoveryTimes.map((t, i) => t - recoveryKdf[i]));
    const approvalBesides = median(approvalTimes.map((t, i) => t - approvalKdf[i]));
    const recoveryRatio = median(recoveryTimes.map((t, i) => (t - recoveryKdf[i]) / rawTimes[i]));
    const approvalRatio = median(approvalTimes.map((t, i) => (t - approvalKdf[i]) / rawTimes[i]));

    // Live edits: B follows the feed; A edits and pushes; time until B's vault shows the edit.
    const controller = new globalThis.AbortController();
    let waiter = null;
    b.vault.onChange(() => waiter?.());
    let connected;
    const ready = new Promise((resolve) => (connected = resolve));
    const following = kc.follow(b.keychain, {
      signal: controller.signal,
      onConnected: () => connected(),
      onError: (e) => console.error('follow:', e.message),
    });
    await ready;
    const ids = a.vault.entries().map((e) => e.id);
    // The aim's figure is the edit reaching B (B's vault shows it); the sender's own round goes on
    // after its push (its state save) and is awaited before the next edit, timed beside it.
    const latencies = [];
    const senderDone = [];
    for (let i = 0; i < EDITS; i++) {
      const id = ids[i % ids.length];
      const issuer = `Edited ${i}`;
      const t = now();
      const seen = new Promise((resolve) => {
        waiter = () => b.vault.get(id)?.issuer === issuer && resolve(ms(t));
      });
      await a.vault.rename(id, { issuer });
      await kc.syncRound(a.keychain);
      senderDone.push(ms(t));
      latencies.push(await seen);
    }
    controller.abort();
    await following;

    const kdfRecovery = median(recoveryKdf);
    const kdfApproval = median(approvalKdf);
    const r = (x) => x.toFixed(0).padStart(6);
    console.log(
      `${backend}: restore of ${ENTRIES} entries, credentials to usable (KDF apart), median of ${RESTORES} runs each:`,
    );
    console.log(
      `  recovery key  total ${r(byRecovery)} ms   KDF ${r(kdfRecovery)} ms   besides KDF ${r(recoveryBesides)} ms   ratio to raw pull ${recoveryRatio.toFixed(1)}x`,
    );
    console.log(
      `  approval      total ${r(byApproval)} ms   KDF ${r(kdfApproval)} ms   besides KDF ${r(approvalBesides)} ms   ratio to raw pull ${approvalRatio.toFixed(1)}x`,
    );
    console.log(
      `  approval's CPace run (both devices' work) ${pakeMs.toFixed(1)} ms (aim < 50 ms); approval minus recovery key ${r(byApproval - byRecovery)} ms (relay round trips and the PAKE)`,
    );
    console.log(`  peer: raw HTTP pull of the same ${ENTRIES} items ${r(rawMs)} ms (median)`);
    console.log(
      `edit to another device through the feed, ${EDITS} edits: p50 ${r(quantile(latencies, 0.5))} ms   p99 ${r(quantile(latencies, 0.99))} ms   (aim: p99 < 100 ms, one server process); the sender's round done p50 ${r(quantile(senderDone, 0.5))} ms   p99 ${r(quantile(senderDone, 0.99))} ms`,
    );
    return {
      backend,
      recoveryRatio: round1(recoveryRatio),
      approvalRatio: round1(approvalRatio),
      recoveryBesidesKdfMs: Math.round(recoveryBesides),
      approvalBesidesKdfMs: Math.round(approvalBesides),
      rawPullMs: Math.round(rawMs),
      feedP50Ms: Math.round(quantile(latencies, 0.5)),
      feedP99Ms: Math.round(quantile(latencies, 0.99)),
      senderRoundP50Ms: Math.round(quantile(senderDone, 0.5)),
      senderRoundP99Ms: Math.round(quantile(senderDone, 0.99)),
    };
  } finally {
    await server.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The PIN path: three escrow realms (2 of 3) next to the single embedded realm (issue 12).
const { measureRealmPin, reportRealmPin } = await import('./realm-pin.mjs');
reportRealmPin(await measureRealmPin({ startServer, openNodeVault, kc }));
console.log(
  `RESULT ${JSON.stringify({ bench: 'restore', entries: ENTRIES, runs: RESTORES, kdfMs: round1(median(kdfAll)), cpaceMs: round1(pakeMs), results: summary, loadAverage: loadavg().map(round1) })}`,
);
