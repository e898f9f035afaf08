import type { Command } from 'commander';
import { CliError } from '../errors.js';

interface ServeOptions {
  port?: string;
  host?: string;
  data?: string;
  database?: string;
  minClientVersion?: string;
  logLevel?: string;
  logFormat?: string;
  trustProxy?: string;
  metricsTokenFile?: string;
  metricsHost?: string;
  metricsPort?: string;
  corsOrigin?: string;
  escrowRealms?: string;
  escrowThreshold?: string;
  /** false with --no-web. */
  web: boolean;
}

const DEFAULT_PORT = 8080;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Warnings and errors; `info` adds a line per request. */
export const DEFAULT_LOG_LEVEL = 'warn';

export function port(value: string, option = '--port'): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new CliError(`${option}: must be 0-65535, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Who may read /metrics: a token from a file and/or a separate listener; neither = not served. */
export async function metricsAccess(
  options: Pick<ServeOptions, 'metricsTokenFile' | 'metricsHost' | 'metricsPort'>,
  env: NodeJS.ProcessEnv,
) {
  const tokenFile = options.metricsTokenFile ?? env.TESSERA_METRICS_TOKEN_FILE;
  const host = options.metricsHost ?? env.TESSERA_METRICS_HOST;
  const listenPort = options.metricsPort ?? env.TESSERA_METRICS_PORT;
  if (host !== undefined && listenPort === undefined)
    throw new CliError('--metrics-host: give --metrics-port (or TESSERA_METRICS_PORT) too');
  let token: string | undefined;
  if (tokenFile !== undefined) {
    const { readFile } = await import('node:fs/promises');
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new CliError(`--metrics-token-file: cannot read ${tokenFile}: ${(err as Error).message}`);
    }
  }
  if (token === undefined && listenPort === undefined) return {};
  return {
    metrics: {
      ...(token !== undefined ? { token } : {}),
      ...(listenPort !== undefined
        ? { port: port(listenPort, '--metrics-port'), host: host ?? '127.0.0.1' }
        : {}),
    },
  };
}

/** The proxies whose X-Forwarded-* headers count; "1" (which used to trust every peer) is refused. */
export function trustProxy(value: string | undefined): { trustProxy?: string } {
  if (value === undefined || value === '') return {};
  if (/^(1|true|yes|on)$/i.test(value.trim()))
    throw new CliError(
      `--trust-proxy/TESSERA_TRUST_PROXY: name the addresses of your reverse proxies (e.g. 127.0.0.1 or 10.0.0.0/8), not ${JSON.stringify(value)}: trusting every peer would let clients choose their own address`,
    );
  return { trustProxy: value };
}

/**
 * The logger of --log-level/--log-format (or their environment variables). The default level is
 * `warn`: warnings and errors (a database lost, an unexpected error), not a line per request, which
 * `info` adds (docs/SERVER.md "Logs"). A busy server's request lines are mostly noise, cost CPU on
 * every request and say who used the server when.
 */
export async function loggerOption(
  options: Pick<ServeOptions, 'logLevel' | 'logFormat'>,
  env: NodeJS.ProcessEnv,
): Promise<false | Record<string, unknown>> {
  const logLevel = options.logLevel ?? env.TESSERA_LOG_LEVEL ?? DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.includes(logLevel))
    throw new CliError(
      `--log-level: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  const logFormat = options.logFormat ?? env.TESSERA_LOG_FORMAT ?? (process.stdout.isTTY ? 'text' : 'json');
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new CliError(`--log-format: must be text or json, got ${JSON.stringify(logFormat)}`);
  if (logLevel === 'silent') return false;
  const { textLogStream } = await import('../log-lines.js');
  return { level: logLevel, ...(logFormat === 'text' ? { stream: textLogStream(process.stdout) } : {}) };
}

/** `tessera serve`: the keychain server and the web app, until SIGTERM or SIGINT (then a graceful stop). */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the keychain server and the web app')
    .option('--port <port>', `port to listen on (or TESSERA_PORT; default ${DEFAULT_PORT})`)
    .option('--host <host>', 'address to listen on (or TESSERA_HOST; default 127.0.0.1)')
    .option(
      '--data <dir>',
      'directory for the SQLite database and secret files (or TESSERA_DATA; default <platform data dir>/server)',
    )
    .option(
      '--database <url>',
      'sqlite:PATH or postgres://… (or DATABASE_URL; default an SQLite file in the data directory)',
    )
    .option(
      '--min-client-version <semver>',
      'clients older than this get "update required" (or TESSERA_MIN_CLIENT_VERSION)',
    )
    .option(
      '--trust-proxy <addresses>',
      'addresses of the reverse proxies in front (IPs, CIDR ranges, "loopback"; comma-separated): only their X-Forwarded-For/-Proto are believed (or TESSERA_TRUST_PROXY)',
    )
    .option(
      '--metrics-token-file <file>',
      'serve /metrics to requests with this bearer token (or TESSERA_METRICS_TOKEN_FILE; default: /metrics is not served)',
    )
    .option('--metrics-port <port>', 'serve /metrics on a separate listener (or TESSERA_METRICS_PORT)')
    .option(
      '--metrics-host <host>',
      'address of the metrics listener (or TESSERA_METRICS_HOST; default 127.0.0.1)',
    )
    .option(
      '--cors-origin <origins>',
      'origins of a web app served elsewhere that may call the API, comma-separated, e.g. https://app.example.org (or TESSERA_CORS_ORIGINS)',
    )
    .option(
      '--escrow-realms <urls>',
      'comma-separated URLs of escrow realms (`tessera realm serve`) run by others, which hold PINs (or TESSERA_ESCROW_REALMS; default: one realm inside this server, run by you)',
    )
    .option(
      '--escrow-threshold <t>',
      'how many of the escrow realms must answer to check a PIN (or TESSERA_ESCROW_THRESHOLD; default a majority)',
    )
    .option('--no-web', 'serve the API only, no web app (or TESSERA_NO_WEB=1)')
    .option(
      '--log-level <level>',
      `${LOG_LEVELS.join('|')} (or TESSERA_LOG_LEVEL; default ${DEFAULT_LOG_LEVEL}; info: a line per request)`,
    )
    .option(
      '--log-format <format>',
      'text (a line per request) or json (or TESSERA_LOG_FORMAT; default text on a terminal, json otherwise)',
    )
    .action(async (options: ServeOptions) => {
      const env = process.env;
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { fileURLToPath } = await import('node:url');
      const { defaultHome } = await import('@tessera/vault/node');
      const { startServer } = await import('@tessera/server');
      const dataDir = options.data ?? env.TESSERA_DATA ?? join(defaultHome(), 'server');
      // The web app built by `npm run build -w packages/web`, next to this package in the workspace.
      const webRoot = fileURLToPath(new URL('../../../web/dist', import.meta.url));
      const database = options.database ?? env.DATABASE_URL;
      const web = options.web && env.TESSERA_NO_WEB !== '1';
      const corsOrigins = options.corsOrigin ?? env.TESSERA_CORS_ORIGINS;
      const realmUrls = options.escrowRealms ?? env.TESSERA_ESCROW_REALMS;
      const threshold = options.escrowThreshold ?? env.TESSERA_ESCROW_THRESHOLD;
      if (threshold !== undefined && !realmUrls)
        throw new CliError('--escrow-threshold: give --escrow-realms (or TESSERA_ESCROW_REALMS) too');
      let server;
      try {
        server = await startServer({
          port: port(options.port ?? env.TESSERA_PORT ?? String(DEFAULT_PORT)),
          host: options.host ?? env.TESSERA_HOST ?? '127.0.0.1',
          dataDir,
          ...(database ? { database } : {}),
          ...(web && existsSync(join(webRoot, 'index.html')) ? { webRoot } : {}),
          ...(corsOrigins ? { corsOrigins } : {}),
          ...(realmUrls ? { escrowRealms: { urls: realmUrls, threshold } } : {}),
          ...(await metricsAccess(options, env)),
          ...((options.minClientVersion ?? env.TESSERA_MIN_CLIENT_VERSION)
            ? { minClientVersion: options.minClientVersion ?? env.TESSERA_MIN_CLIENT_VERSION }
            : {}),
          logger: await loggerOption(options, env),
          ...trustProxy(options.trustProxy ?? env.TESSERA_TRUST_PROXY),
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot start the server: ${(err as Error).message}`);
      }
      process.stdout.write(
        web
          ? `Tessera keychain server: open ${browserUrl(server.url)}\n${loopbackNote(server.url)}`
          : `Tessera keychain server (API only): ${server.url}\n`,
      );
      if (server.metricsUrl) process.stdout.write(`Metrics: ${server.metricsUrl}/metrics\n`);
      await new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          process.stderr.write(`tessera serve: ${signal}, stopping (finishing requests in flight)\n`);
          server.close().then(resolveStop, resolveStop);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}

/**
 * On loopback, the address to open is `localhost`: WebAuthn (passkey unlock and restore) refuses an
 * IP address as its relying party ("This is an invalid domain"), and localhost is a secure context.
 */
function browserUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]') parsed.hostname = 'localhost';
  return parsed.toString().replace(/\/$/, '');
}

function loopbackNote(url: string): string {
  if (browserUrl(url) === url.replace(/\/$/, '')) return '';
  return `  (localhost, not the address, so that passkeys work; the server listens on ${url.replace(/\/$/, '')})\n`;
}
