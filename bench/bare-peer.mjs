// The bench:server peer: a bare Fastify server (the keychain server's own fastify, better-sqlite3 and
// pg, resolved from packages/server) with no plugins, hooks or schemas, answering twins of two routes
// on the keychain server's own database:
//   GET /healthz   -> {"ok":true}, as the keychain server's no-op route;
//   GET /v1/items  -> the /v1 pull: the same SQL text (Kysely's compiled form, checked below against
//                     the server's builder), the same prepared-statement reuse, the same JSON answer.
// The session is resolved as the keychain server does on a cache hit (SHA-256 of the bearer token, a
// Map look-up), reading the sessions row once per token, so both do one query per pull.
// Run as a child: `node bench/bare-peer.mjs DATABASE_URL`; it sends {url} over IPC, stops on a message.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const serverRequire = createRequire(new URL('../packages/server/package.json', import.meta.url));
const { default: Fastify } = await import(serverRequire.resolve('fastify'));

/** The pull's SQL as Kysely compiles it (packages/server/src/routes/items.ts). */
export const PULL_SQL = {
  sqlite:
    'select "accounts"."item_head", "items"."id", "items"."version", "items"."epoch", "items"."ciphertext", "items"."deleted" from "accounts" left join "items" on "items"."account_id" = "accounts"."id" and "items"."version" > ? where "accounts"."id" = ? order by "items"."version" limit ?',
  postgres:
    'select "accounts"."item_head", "items"."id", "items"."version", "items"."epoch", "items"."ciphertext", "items"."deleted" from "accounts" left join "items" on "items"."account_id" = "accounts"."id" and "items"."version" > $1 where "accounts"."id" = $2 order by "items"."version" limit $3',
};
const SESSION_SQL = {
  sqlite: 'select account_id from sessions where token_hash = ?',
  postgres: 'select account_id from sessions where token_hash = $1',
};
const DEFAULT_LIMIT = 500; // LIMITS.defaultPullLimit

const { pullQuery } = await import('../packages/server/dist/routes/items.js');

/** Fails when the keychain server's pull builder no longer compiles to PULL_SQL (the twin would drift). */
async function checkSameSql() {
  const k = await import(serverRequire.resolve('kysely'));
  for (const [dialect, Adapter, Compiler] of [
    ['sqlite', k.SqliteAdapter, k.SqliteQueryCompiler],
    ['postgres', k.PostgresAdapter, k.PostgresQueryCompiler],
  ]) {
    const db = new k.Kysely({
      dialect: {
        createAdapter: () => new Adapter(),
        createDriver: () => new k.DummyDriver(),
        createIntrospector: (d) => new k.SqliteIntrospector(d),
        createQueryCompiler: () => new Compiler(),
      },
    });
    const { sql } = pullQuery(db, 0, '', 1).compile();
    if (sql !== PULL_SQL[dialect])
      throw new Error(`bare pull SQL differs from the server's (${dialect}): ${sql}`);
  }
}
await checkSameSql();

/** One query function per driver, with the statement prepared once as the keychain server does. */
async function openDriver(url) {
  if (url.startsWith('sqlite:')) {
    const { default: BetterSqlite } = await import(serverRequire.resolve('better-sqlite3'));
    const sqlite = new BetterSqlite(url.slice('sqlite:'.length));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    const pull = sqlite.prepare(PULL_SQL.sqlite);
    const session = sqlite.prepare(SESSION_SQL.sqlite);
    return {
      pull: async (params) => pull.all(...params),
      session: async (hash) => session.get(hash)?.account_id,
      close: async () => sqlite.close(),
    };
  }
  const { default: pg } = await import(serverRequire.resolve('pg'));
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return {
    pull: async (values) => (await pool.query({ name: 'bare_pull', text: PULL_SQL.postgres, values })).rows,
    session: async (hash) =>
      (await pool.query({ name: 'bare_session', text: SESSION_SQL.postgres, values: [hash] })).rows[0]
        ?.account_id,
    close: () => pool.end(),
  };
}

const driver = await openDriver(process.argv[2]);
const sessions = new Map();
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ ok: true }));
app.get('/v1/items', async (request, reply) => {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  const hash = token && createHash('sha256').update(token).digest('hex');
  let accountId = hash && sessions.get(hash);
  if (hash && accountId === undefined) {
    accountId = await driver.session(hash);
    if (accountId) sessions.set(hash, accountId);
  }
  if (!accountId) return reply.code(401).send({ error: { code: 'unauthorized' } });
  const since = Number(request.query.since ?? 0);
  const limit = Number(request.query.limit ?? DEFAULT_LIMIT);
  const rows = await driver.pull([since, accountId, limit + 1]);
  const head = Number(rows[0]?.item_head ?? 0);
  if (rows.length === 1 && rows[0].id === null) rows.length = 0;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return {
    items: page.map((r) => ({
      id: r.id,
      version: Number(r.version),
      epoch: r.epoch,
      ciphertext: r.ciphertext,
      deleted: r.deleted === 1,
    })),
    head,
    more,
  };
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ url });
process.on('message', async () => {
  await app.close();
  await driver.close();
  process.exit(0);
});
