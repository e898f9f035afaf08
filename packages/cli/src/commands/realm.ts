import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, loggerOption, metricsAccess, port, trustProxy } from './serve.js';

interface RealmServeOptions {
  port?: string;
  host?: string;
  data?: string;
  database?: string;
  logLevel?: string;
  logFormat?: string;
  trustProxy?: string;
  metricsTokenFile?: string;
  metricsHost?: string;
  metricsPort?: string;
}

const DEFAULT_PORT = 8090;

/**
 * `tessera realm serve`: one escrow realm (docs/PROTOCOL.md §11) as its own service, with its own
 * key and database, until SIGTERM or SIGINT. Several realms are only worth more than one when
 * different people run them on different machines (docs/DEPLOY.md "Escrow realms").
 */
export function register(program: Command): void {
  const realm = program.command('realm').description('run an escrow realm (PIN guess limits for keychains)');
  realm
    .command('serve')
    .description('run one escrow realm: its own key pair, secret and database')
    .option('--port <port>', `port to listen on (or TESSERA_REALM_PORT; default ${DEFAULT_PORT})`)
    .option('--host <host>', 'address to listen on (or TESSERA_REALM_HOST; default 127.0.0.1)')
    .option(
      '--data <dir>',
      'directory for the realm secret and its SQLite database (or TESSERA_REALM_DATA; default <platform data dir>/realm)',
    )
    .option(
      '--database <url>',
      'sqlite:PATH or postgres://… of this realm alone, never the keychain database (or TESSERA_REALM_DATABASE; default realm.sqlite in the data directory)',
    )
    .option('--trust-proxy <addresses>', 'addresses of the reverse proxies in front (or TESSERA_TRUST_PROXY)')
    .option('--metrics-token-file <file>', 'serve /metrics to requests with this bearer token')
    .option('--metrics-port <port>', 'serve /metrics on a separate listener')
    .option('--metrics-host <host>', 'address of the metrics listener (default 127.0.0.1)')
    .option(
      '--log-level <level>',
      `${LOG_LEVELS.join('|')} (or TESSERA_LOG_LEVEL; default ${DEFAULT_LOG_LEVEL}; info: a line per request)`,
    )
    .option('--log-format <format>', 'text or json (or TESSERA_LOG_FORMAT)')
    .action(async (options: RealmServeOptions) => {
      const env = process.env;
      const { join } = await import('node:path');
      const { defaultHome } = await import('@tessera/vault/node');
      const { startRealm } = await import('@tessera/server');
      const dataDir = options.data ?? env.TESSERA_REALM_DATA ?? join(defaultHome(), 'realm');
      const database = options.database ?? env.TESSERA_REALM_DATABASE;
      let running;
      try {
        running = await startRealm({
          port: port(options.port ?? env.TESSERA_REALM_PORT ?? String(DEFAULT_PORT)),
          host: options.host ?? env.TESSERA_REALM_HOST ?? '127.0.0.1',
          dataDir,
          ...(database ? { database } : {}),
          logger: await loggerOption(options, env),
          ...(await metricsAccess(options, env)),
          ...trustProxy(options.trustProxy ?? env.TESSERA_TRUST_PROXY),
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot start the realm: ${(err as Error).message}`);
      }
      process.stdout.write(
        `Tessera escrow realm ${running.realmId}: ${running.url}\n` +
          `  public key ${running.publicKey} (compare it with what keychains pin)\n`,
      );
      if (running.metricsUrl) process.stdout.write(`Metrics: ${running.metricsUrl}/metrics\n`);
      await new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          process.stderr.write(`tessera realm serve: ${signal}, stopping\n`);
          running.close().then(resolveStop, resolveStop);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
