/* global performance */
// The PIN restore path with three escrow realms (2 of 3) next to the single realm embedded in the
// keychain server, same run, alternating (issue 12: aim under 1.5x). Measures `recoverWithPin` on a
// fresh signed-in device: the realm round trips (in parallel), the escrow wrap and the join link.
// The keychain servers run in this process; the three realms each in a process of their own (`tessera
// realm serve`), as they would on machines of their own; on loopback, so no network latency counts.
// Used by bench/restore.bench.mjs; standalone: node bench/realm-pin.mjs (after npm run build).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 7;
/** Unmeasured rounds first: a realm serving many users has compiled its code and built its tables. */
const WARMUP = 5;
const PIN = '48213957';
const PASSWORD = 'correct horse battery staple';

const BIN = fileURLToPath(new URL('../packages/cli/bin/tessera.js', import.meta.url));

/** `tessera realm serve` in its own process; resolves with its URL and a stop function. */
function realmProcess(dataDir) {
  const child = spawn(
    process.execPath,
    [BIN, 'realm', 'serve', '--port', '0', '--data', dataDir, '--log-level', 'silent'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /Tessera escrow realm \S+: (http:\/\/\S+)/.exec(out);
      if (m)
        resolve({
          url: m[1],
          close: () => new Promise((done) => (child.once('close', done), child.kill('SIGTERM'))),
        });
    });
    child.once('close', (code) => reject(new Error(`realm exited ${code}`)));
  });
}

export async function measureRealmPin({ startServer, openNodeVault, kc }) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-realm-pin-'));
  const env = { ...process.env, TESSERA_KEY_STORE: 'file' };
  let homes = 0;
  const device = async () => {
    const vault = await openNodeVault({ home: join(dir, `home-${++homes}`), env });
    return new kc.Keychain({
      host: vault,
      deviceKeys: kc.metaDeviceKeyStore(vault),
      clientId: 'tessera-cli/0.2.0',
    });
  };
  const realms = await Promise.all([1, 2, 3].map((i) => realmProcess(join(dir, `realm-${i}`))));
  const relaxed = { limit: 1e6, windowMs: 3_600_000, freeAttempts: 1e6, baseDelayMs: 1, maxDelayMs: 1 };
  const rateLimits = {
    signInAccount: relaxed,
    signInAddress: relaxed,
    recoveryAccount: relaxed,
    recoveryAddress: relaxed,
  };
  const setups = {
    embedded: await startServer({
      port: 0,
      dataDir: join(dir, 'embedded'),
      httpRateLimit: false,
      rateLimits,
    }),
    '3 realms': await startServer({
      port: 0,
      dataDir: join(dir, 'realms'),
      httpRateLimit: false,
      rateLimits,
      escrowRealms: { urls: realms.map((r) => r.url), threshold: 2 },
    }),
  };
  try {
    for (const [name, server] of Object.entries(setups)) {
      const first = await device();
      await kc.signup(first, {
        server: server.url,
        email: `${name.replace(' ', '-')}@example.com`,
        password: PASSWORD,
        deviceName: 'first',
        keepRecoveryKey: async () => {},
      });
      await kc.setPin(first, PIN);
    }
    const times = { embedded: [], '3 realms': [] };
    for (let run = -WARMUP; run < RUNS; run++) {
      for (const [name, server] of Object.entries(setups)) {
        const d = await device();
        await kc.login(d, {
          server: server.url,
          email: `${name.replace(' ', '-')}@example.com`,
          password: PASSWORD,
          deviceName: `run ${run}`,
        });
        const start = performance.now();
        await kc.recoverWithPin(d, PIN);
        if (run >= 0) times[name].push(performance.now() - start);
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const embedded = median(times.embedded);
    const three = median(times['3 realms']);
    return { embeddedMs: embedded, threeRealmsMs: three, ratio: three / embedded, runs: RUNS };
  } finally {
    for (const server of Object.values(setups)) await server.close();
    await Promise.all(realms.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One report line, and the machine-readable RESULT line the other benchmarks print. */
export function reportRealmPin(r) {
  console.log(
    `PIN restore step (recoverWithPin), median of ${r.runs} alternating runs: embedded realm ${r.embeddedMs.toFixed(1)} ms, ` +
      `3 realms (2 of 3) ${r.threeRealmsMs.toFixed(1)} ms = ${r.ratio.toFixed(2)}x (aim < 1.5x)`,
  );
  console.log(
    `RESULT realm-pin ratio=${r.ratio.toFixed(3)} embedded_ms=${r.embeddedMs.toFixed(1)} realms_ms=${r.threeRealmsMs.toFixed(1)}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startServer } = await import('../packages/server/dist/index.js');
  const { openNodeVault } = await import('../packages/vault/dist/node/index.js');
  const kc = await import('../packages/vault/dist/keychain/index.js');
  reportRealmPin(await measureRealmPin({ startServer, openNodeVault, kc }));
}
