// Start-up cost of the CLI: wall time of `tessera list --json` on a vault of 1,000 entries, beside
// a bare `node -e 0` measured in the same run (alternating, so machine load hits both alike).
// Usage: npm run bench:cli   Aim: the median ratio under 2x (issue 14).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entry } from './entries.mjs';

const ENTRIES = 1000;
const WARMUP = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/cli/bin/tessera.js');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', 'packages/cli'], { cwd: root, stdio: 'inherit' });
// The bundled CLI the bin script starts (packages/cli/scripts/bundle.mjs), from what tsc just wrote.
execFileSync(process.execPath, ['packages/cli/scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });

const home = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const env = { ...process.env, TESSERA_HOME: home, TESSERA_KEY_STORE: 'file' };
delete env.TESSERA_PASSPHRASE;
delete env.TESSERA_PASSPHRASE_FILE;
try {
  // 1,000 distinct TOTP entries in one write, through the same library the CLI uses.
  const { openNodeVault } = await import('../packages/vault/dist/node/index.js');
  const vault = await openNodeVault({ home, keyStore: 'file' });
  await vault.addMany(Array.from({ length: ENTRIES }, (_, n) => entry(n)));

  const check = spawnSync(process.execPath, [bin, 'list', '--json'], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (check.status !== 0) throw new Error(`tessera list failed: ${check.stderr}`);
  const listed = JSON.parse(check.stdout);
  if (listed.length !== ENTRIES || !listed.every((e) => /^\d{6}$/.test(e.code)))
    throw new Error('tessera list --json did not print 1,000 codes');

  const commands = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'tessera list --json': [process.execPath, [bin, 'list', '--json']],
  };
  const wall = (file, args) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(file, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [name, [file, args]] of Object.entries(commands)) {
      const ms = wall(file, args);
      if (i >= WARMUP) times[name].push(ms);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rows = Object.entries(times).map(([name, xs]) => ({
    command: name,
    'median ms': median(xs).toFixed(1),
    'min ms': Math.min(...xs).toFixed(1),
    'max ms': Math.max(...xs).toFixed(1),
  }));
  console.log(
    `\n${RUNS} alternating runs each (after ${WARMUP} warm-up), ${ENTRIES} entries, Node ${process.version}`,
  );
  console.table(rows);
  const ratio = median(times['tessera list --json']) / median(times['node -e 0']);
  const minRatio = Math.min(...times['tessera list --json']) / Math.min(...times['node -e 0']);
  console.log(`ratio (median): ${ratio.toFixed(2)}x   ratio (min): ${minRatio.toFixed(2)}x   aim: under 2x`);
  console.log(
    'RESULT ' +
      JSON.stringify({
        bench: 'cli',
        node: process.version,
        entries: ENTRIES,
        runs: RUNS,
        listMedianMs: Number(median(times['tessera list --json']).toFixed(1)),
        nodeMedianMs: Number(median(times['node -e 0']).toFixed(1)),
        ratio: Number(ratio.toFixed(2)),
        minRatio: Number(minRatio.toFixed(2)),
      }),
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
