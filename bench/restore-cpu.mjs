// bench:restore in CPU time, for a machine too loaded for wall-clock figures: client (this process)
// plus server (its own process, read from /proc/PID/task/*/schedstat, so Linux only) CPU for a raw pull of 1,000
// items and for a recovery-key restore of them (sign-in, recover, first sync round), the KDF's CPU
// (OPAQUE's Argon2id, measured apart) subtracted; ratio = median over runs of restore / raw pull.
// `--root DIR` measures another checkout's build (e.g. main's), so old and new builds can alternate:
//   for r in 1 2; do for t in ../main .; do node bench/restore-cpu.mjs --root $t; done; done
// The sign-in is the one `tessera keychain recover --server ...` makes (`signInToRecover`: no approval
// run), or `login` in a checkout that predates it. Ends with one `RESULT {json}` line. Builds nothing: run `npm run build` (or tsc -b) first.
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kdfTimer } from './kdf.mjs';
import { entry } from './entries.mjs';
const { values } = parseArgs({
  options: {
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    runs: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'sqlite' },
  },
});
const root = resolve(values.root);
const RUNS = Number(values.runs);
const backend = values.backend;
const { forkServer, createPgDatabase } = await import(join(root, 'bench/children.mjs'));
const { openNodeVault } = await import(join(root, 'packages/vault/dist/node/index.js'));
const kc = await import(join(root, 'packages/vault/dist/keychain/index.js'));
const env = { ...process.env, TESSERA_KEY_STORE: 'file' };
const dir = mkdtempSync(join(tmpdir(), 'prc-'));
const PASSWORD = 'correct horse battery staple';
let homes = 0;
async function device() {
  const vault = await openNodeVault({ home: join(dir, `home-${++homes}`), env });
  return {
    vault,
    keychain: new kc.Keychain({
      host: vault,
      deviceKeys: kc.metaDeviceKeyStore(vault),
      clientId: 'tessera-cli/0.2.0',
    }),
  };
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let serverPid = 0;
// The server's CPU in ms: the run time of each of its threads from /proc/PID/task/TID/schedstat
// (nanoseconds), not /proc/PID/stat's 10 ms ticks, which are too coarse for a 20 ms phase.
const serverCpu = () =>
  readdirSync(`/proc/${serverPid}/task`).reduce((sum, tid) => {
    try {
      return (
        sum + Number(readFileSync(`/proc/${serverPid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
      );
    } catch {
      return sum; // a thread that ended between the listing and the read
    }
  }, 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// KDF CPU apart (bench/kdf.mjs), measured beside every restore.
const kdfTimes = [];
const kdfCpu = await kdfTimer({ password: PASSWORD, clock: cpu });
const pgDb =
  backend === 'postgres'
    ? await createPgDatabase(
        process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      )
    : null;
const server = await forkServer({
  database: pgDb?.url ?? `sqlite:${join(dir, 's.sqlite')}`,
  dataDir: join(dir, 'server'),
});
serverPid = server.child.pid;
const a = await device();
await a.vault.addMany(Array.from({ length: 1000 }, (_, n) => entry(n)));
let rk = '';
await kc.signup(a.keychain, {
  server: server.url,
  email: 'b@example.com',
  password: PASSWORD,
  deviceName: 'A',
  keepRecoveryKey: async (k) => void (rk = k),
});
await kc.syncRound(a.keychain);
const raw = [],
  restore = [],
  ratio = [];
for (let i = 0; i < RUNS; i++) {
  let c = cpu(),
    s = serverCpu();
  for (let since = 0, more = true; more;) {
    const p = await a.keychain.client().call('items', { query: { since, limit: 1000 } });
    since = p.items.at(-1)?.version ?? since;
    more = p.more && p.items.length > 0;
  }
  const rawCpu = cpu() - c + (serverCpu() - s);
  const d = await device();
  const kdfBefore = kdfCpu();
  c = cpu();
  s = serverCpu();
  await (kc.signInToRecover ?? kc.login)(d.keychain, {
    server: server.url,
    email: 'b@example.com',
    password: PASSWORD,
    deviceName: `R${i}`,
    // The join that follows (its wraps come with the sign-in's answer from a server that folds them).
    joinBy: 'recovery-key',
  });
  await kc.recoverWithRecoveryKey(d.keychain, rk);
  await kc.syncRound(d.keychain);
  const spent = cpu() - c + (serverCpu() - s);
  const kdf = (kdfBefore + kdfCpu()) / 2;
  kdfTimes.push(kdf);
  const restoreCpu = spent - kdf;
  if (d.vault.entries().length !== 1000) throw new Error('restore incomplete');
  raw.push(rawCpu);
  restore.push(restoreCpu);
  ratio.push(restoreCpu / rawCpu);
}
await server.stop();
await pgDb?.drop();
rmSync(dir, { recursive: true, force: true });
const r1 = (x) => Math.round(x * 10) / 10;
console.log(
  `RESULT ${JSON.stringify({ bench: 'restore-cpu', root, backend, runs: RUNS, entries: 1000, kdfCpuMs: r1(median(kdfTimes)), rawPullCpuMs: r1(median(raw)), restoreBesidesKdfCpuMs: r1(median(restore)), ratio: r1(median(ratio)), loadAverage: loadavg().map(r1) })}`,
);
