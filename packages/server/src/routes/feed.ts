/**
 * The live feed: server-sent events per device (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Each connection remembers the last event id it sent; when the bus says its account has news, it
 * reads the event log after that id, so resuming (`Last-Event-ID`) and live delivery are one path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FEED_PING_INTERVAL_MS } from '@tessera/protocol';
import type { ServerContext, Session } from '../context.js';
import { handle } from '../route.js';

const BATCH = 200;

interface FeedConnection {
  /** Ends the stream; `last` is written first (e.g. a reconnection hint). */
  close(last?: string): void;
}

/** Reconnection delay hinted to feeds closed by a shutdown: 1-5 s, spread so they do not all return at once. */
export const shutdownRetryHint = () => `retry: ${1000 + Math.floor(Math.random() * 4000)}\n\n`;

/** Open feeds of this server, closed on shutdown with a reconnection hint (SSE `retry:` field). */
export class FeedHub {
  readonly connections = new Set<FeedConnection>();
  closeAll(): void {
    for (const c of [...this.connections]) c.close(shutdownRetryHint());
  }
}

function lastEventId(request: FastifyRequest): number | null {
  const raw = request.headers['last-event-id'];
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

export function feedRoutes(app: FastifyInstance, ctx: ServerContext, hub: FeedHub): void {
  handle(app, ctx, 'feed', async ({ session, request, reply }) => {
    let lastId = lastEventId(request);
    if (lastId === null) {
      const row = await ctx.db
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('max'))
        .where('account_id', '=', session.accountId)
        .executeTakeFirst();
      lastId = Number(row?.max ?? 0);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      // Headers set by hooks so far (CORS for a web app on another origin): hijacking skips the rest.
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');

    let closed = false;
    let running = false;
    let again = false;
    const sessionAlive = async (s: Session) => {
      const row = await ctx.db
        .selectFrom('sessions')
        .select('token_hash')
        .where('token_hash', '=', s.tokenHash)
        .executeTakeFirst();
      return row !== undefined;
    };
    // Sends everything after lastId; a wake during a run schedules one more run.
    const pump = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          for (;;) {
            const rows = await ctx.db
              .selectFrom('events')
              .select(['id', 'type', 'data'])
              .where('account_id', '=', session.accountId)
              .where('id', '>', lastId!)
              .orderBy('id')
              .limit(BATCH)
              .execute();
            if (closed) return;
            if (
              rows.some((r) => r.type === 'devices' || r.type === 'circle') &&
              !(await sessionAlive(session))
            ) {
              connection.close();
              return;
            }
            for (const r of rows) {
              res.write(`id: ${r.id}\nevent: ${r.type}\ndata: ${r.data}\n\n`);
              lastId = Number(r.id);
            }
            if (rows.length < BATCH) break;
          }
          // An account deleted or a session revoked without events of its own (sign-out elsewhere).
          if (!(await sessionAlive(session))) {
            connection.close();
            return;
          }
        } while (again && !closed);
      } catch (err) {
        ctx.log.warn({ err }, 'feed read failed; closing the stream so the client reconnects');
        connection.close();
      } finally {
        running = false;
      }
    };
    const ping = setInterval(() => res.write(': ping\n\n'), FEED_PING_INTERVAL_MS);
    const unsubscribe = ctx.bus.subscribe(session.accountId, () => void pump());
    const connection: FeedConnection = {
      close(last) {
        if (closed) return;
        closed = true;
        clearInterval(ping);
        unsubscribe();
        hub.connections.delete(connection);
        ctx.metrics.feedConnections.dec();
        res.end(last);
      },
    };
    hub.connections.add(connection);
    ctx.metrics.feedConnections.inc();
    request.raw.on('close', () => connection.close());
    res.on('close', () => connection.close());
    await pump();
  });
}
