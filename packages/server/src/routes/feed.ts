/**
 * The live feed: server-sent events per device (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Each connection remembers the last event id it sent; when the bus says its account has news, it
 * reads the event log after that id, so resuming (`Last-Event-ID`) and live delivery are one path.
 *
 * Cost per event (bench/FINDINGS.md): on PostgreSQL the notification carries the event and the id
 * of the account's previous event (migration 0008), so a feed that has sent that previous event
 * sends the new one without any read; otherwise (SQLite, a gap after a lost notification, a resume,
 * an event too large to carry) the feeds of one account on one process, woken together, share one
 * read of the log (`FeedHub.eventsAfter`). The session is re-checked only when it can have changed:
 * a revocation on the bus, a `devices` or `circle` event, and at each ping (sessions that simply
 * expire; answered by this process's session cache when it holds the session, see session-cache.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FEED_PING_INTERVAL_MS } from '@tessera/protocol';
import type { ServerContext, Session } from '../context.js';
import { ALL_ACCOUNTS, type AnnouncedEvent } from '../events.js';
import { ItemTail, type ItemsPage } from '../item-tail.js';
import { handle } from '../route.js';

const BATCH = 200;
/** Announced events kept per account with feeds here: enough for a burst between two pumps. */
const ANNOUNCED_KEPT = 64;

interface FeedConnection {
  /** Ends the stream; `last` is written first (e.g. a reconnection hint). */
  close(last?: string): void;
}

/** Reconnection delay hinted to feeds closed by a shutdown: 1-5 s, spread so they do not all return at once. */
export const shutdownRetryHint = () => `retry: ${1000 + Math.floor(Math.random() * 4000)}\n\n`;

type EventRow = { id: number | string | bigint; type: string; data: string };

/** Open feeds of this server, closed on shutdown with a reconnection hint (SSE `retry:` field). */
export class FeedHub {
  readonly connections = new Set<FeedConnection>();
  /** Reads in flight, by account, position and wake: feeds asking for the same rows share one query. */
  private readonly reads = new Map<string, Promise<EventRow[]>>();
  /**
   * Per account with feeds here: the serial of its latest wake, taken from one counter that only
   * grows, so a key is never reused, even after the account's last feed left and a new one came.
   */
  private readonly wakes = new Map<
    string,
    { count: number; feeds: number; stop: () => void; announced: AnnouncedEvent[]; tail: ItemTail }
  >();
  private serial = 0;

  constructor(private readonly ctx: ServerContext) {}

  closeAll(): void {
    for (const c of [...this.connections]) c.close(shutdownRetryHint());
  }

  /**
   * Calls `wake` when the account has news. The hub's own listener is registered first, so a wake
   * is counted before any feed hears it: a read asked for after a wake never joins a read that
   * started before it (which could predate the change the wake announces).
   */
  follow(accountId: string, wake: () => void): () => void {
    let counter = this.wakes.get(accountId);
    if (!counter) {
      const fresh = {
        count: ++this.serial,
        feeds: 0,
        stop: () => {},
        announced: [] as AnnouncedEvent[],
        tail: new ItemTail(),
      };
      fresh.stop = this.ctx.bus.subscribe(accountId, (event) => {
        fresh.count = ++this.serial;
        // A wake without its event (SQLite, the LISTEN connection re-opened) may hide pushes.
        if (!event) fresh.tail.reset();
        else if (event.type === 'items') fresh.tail.add(event.items, itemsHead(event.data));
        if (event && event.data !== null) {
          // The rows stay with the tail only (this list keeps superseded events too).
          fresh.announced.push(event.items ? { ...event, items: undefined } : event);
          if (fresh.announced.length > ANNOUNCED_KEPT) fresh.announced.shift();
        }
      });
      this.wakes.set(accountId, fresh);
      counter = fresh;
    }
    counter.feeds++;
    const stop = this.ctx.bus.subscribe(accountId, wake);
    const owned = counter;
    return () => {
      stop();
      if (--owned.feeds === 0) {
        owned.stop();
        this.wakes.delete(accountId);
      }
    };
  }

  /**
   * Up to BATCH events of the account after `lastId`, in id order: from the announced events when
   * they continue exactly from `lastId` (each names its predecessor, so a lost notification shows
   * as a gap and falls back to a read), else from the log.
   */
  eventsAfter(accountId: string, lastId: number): Promise<EventRow[]> {
    const chained = this.announcedAfter(accountId, lastId);
    if (chained) {
      this.ctx.metrics.feedEventsAnnounced.inc(chained.length);
      return Promise.resolve(chained);
    }
    const key = `${accountId}\u0000${lastId}\u0000${this.wakes.get(accountId)?.count ?? 0}`;
    let read = this.reads.get(key);
    if (!read) {
      this.ctx.metrics.feedReads.inc();
      read = this.ctx.db
        .selectFrom('events')
        .select(['id', 'type', 'data'])
        .where('account_id', '=', accountId)
        .where('id', '>', lastId)
        .orderBy('id')
        .limit(BATCH)
        .execute()
        .finally(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }

  /**
   * A pull's page from the account's recent item changes as announced here, when they cover it and
   * reach `atLeast` (item-tail.ts); null when the database must be read. Kept only for accounts
   * with feeds on this process: their devices are the ones that pull when told of a change.
   */
  itemsFromTail(accountId: string, since: number, limit: number, atLeast: number): ItemsPage | null {
    return this.wakes.get(accountId)?.tail.page(since, limit, atLeast) ?? null;
  }

  /** The announced events that follow `lastId` without a gap, or null when none does. */
  private announcedAfter(accountId: string, lastId: number): EventRow[] | null {
    const announced = this.wakes.get(accountId)?.announced;
    if (!announced?.length) return null;
    let start = announced.findIndex((e) => e.prev === lastId);
    if (start < 0) return null;
    const rows: EventRow[] = [];
    for (let at = lastId; start < announced.length && rows.length < BATCH; start++) {
      const e = announced[start]!;
      if (e.prev !== at) break;
      rows.push({ id: e.id, type: e.type, data: e.data! });
      at = e.id;
    }
    return rows;
  }
}

/** The head an `items` event announces (`{"head":N}`, as the push writes it), or -1. */
function itemsHead(data: string | null): number {
  const m = data === null ? null : /^\{"head":(\d{1,15})\}$/.exec(data);
  return m ? Number(m[1]) : -1;
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
            const rows = await hub.eventsAfter(session.accountId, lastId!);
            // A revocation heard before these events is settled before they are sent.
            await sessionCheck;
            if (closed) return;
            if (
              rows.some((r) => r.type === 'devices' || r.type === 'circle') &&
              !(await sessionAlive(session))
            ) {
              connection.close();
              return;
            }
            for (const r of rows) {
              // A device not yet approved is not told the keychain's notices (issue 18).
              if (!(r.type === 'notice' && session.deviceStatus !== 'trusted'))
                res.write(`id: ${r.id}\nevent: ${r.type}\ndata: ${r.data}\n\n`);
              lastId = Number(r.id);
            }
            if (rows.length < BATCH) break;
          }
        } while (again && !closed);
      } catch (err) {
        ctx.log.warn({ err }, 'feed read failed; closing the stream so the client reconnects');
        connection.close();
      } finally {
        running = false;
      }
    };
    // A session revoked without events of its own (sign-out elsewhere, account deleted), or expired.
    // The ping's check may be answered by the session cache: an entry there is as fresh as the one
    // every request of this process trusts, and a revocation empties it before it calls here.
    let sessionCheck: Promise<void> | null = null;
    const checkSession = (cacheSuffices = false) => {
      const previous = sessionCheck;
      const check = (async () => {
        await previous;
        try {
          if (closed) return;
          if (cacheSuffices) {
            const now = ctx.clock();
            if ((ctx.sessionCache.get(session.tokenHash, now)?.expiresAt ?? 0) > now) return;
          }
          if (!(await sessionAlive(session))) connection.close();
        } catch (err) {
          ctx.log.warn({ err }, 'feed session check failed; closing the stream so the client reconnects');
          connection.close();
        }
      })();
      sessionCheck = check;
      void check.finally(() => {
        if (sessionCheck === check) sessionCheck = null;
      });
      return check;
    };
    const ping = setInterval(() => {
      res.write(': ping\n\n');
      void checkSession(true);
    }, FEED_PING_INTERVAL_MS);
    const unsubscribe = hub.follow(session.accountId, () => void pump());
    const unsubscribeRevoked = ctx.bus.onSessionsRevoked((accountId) => {
      if (accountId === session.accountId || accountId === ALL_ACCOUNTS) void checkSession();
    });
    const connection: FeedConnection = {
      close(last) {
        if (closed) return;
        closed = true;
        clearInterval(ping);
        unsubscribe();
        unsubscribeRevoked();
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
