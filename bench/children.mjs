// Child processes and throw-away databases shared by the benchmarks.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/**
 * Forks `script` with `args` and waits for the {url} it sends once listening. The child is killed if
 * this process exits first (a failure must not leave a server holding the terminal).
 * @returns {Promise<{child: import('node:child_process').ChildProcess, url: string, stop: () => Promise<void>}>}
 */
export async function startChild(script, args, execArgv = []) {
  const child = fork(script, args, { stdio: 'inherit', execArgv });
  const { url } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  const kill = () => child.kill();
  process.once('exit', kill);
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
    process.off('exit', kill);
  };
  return { child, url, stop };
}

/** The keychain server (bench/serve.mjs) in its own process; `execArgv` e.g. ['--cpu-prof']. */
export function forkServer({ database, dataDir, execArgv = [] }) {
  return startChild(new URL('./serve.mjs', import.meta.url).pathname, [database, dataDir], execArgv);
}

/**
 * A fresh PostgreSQL database next to `adminUrl`'s, for one benchmark run; `drop` removes it.
 * @returns {Promise<{url: string, drop: () => Promise<void>}>}
 */
export async function createPgDatabase(adminUrl) {
  const { default: pg } = await import('pg');
  const name = `tessera_bench_${randomUUID().replace(/-/g, '')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
