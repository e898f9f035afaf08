// A keychain server in a process of its own, for the benchmarks (the load generator or the clients
// must not share its event loop). `node bench/serve.mjs DATABASE_URL DATA_DIR [WEB_ROOT]`: sends {url}
// over IPC once listening and closes on any message; with WEB_ROOT it serves the web app too. Needs a
// build (packages/server/dist).
const { startServer } = await import('../packages/server/dist/index.js');
// The per-address request limit is for the Internet; a benchmark from one address would trip it.
const server = await startServer({
  database: process.argv[2],
  dataDir: process.argv[3],
  httpRateLimit: false,
  // bench:restore-floor signs in and restores ~40 times per server from one address, past the
  // sign-in and recovery limits' free attempts; every attempt is still counted, in the same transactions.
  ...(process.env.TESSERA_BENCH_LOOSE_LIMITS ? { rateLimits: looseLimits() } : {}),
  ...(process.argv[4] ? { webRoot: process.argv[4], logger: false } : {}),
});
process.send({ url: server.url });
process.on('message', async () => {
  await server.close();
  process.exit(0);
});

function looseLimits() {
  const loose = {
    limit: 100_000,
    windowMs: 3_600_000,
    freeAttempts: 100_000,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
  };
  return { signInAccount: loose, signInAddress: loose, recoveryAccount: loose, recoveryAddress: loose };
}
