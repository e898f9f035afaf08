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
  ...(process.argv[4] ? { webRoot: process.argv[4], logger: false } : {}),
});
process.send({ url: server.url });
process.on('message', async () => {
  await server.close();
  process.exit(0);
});
