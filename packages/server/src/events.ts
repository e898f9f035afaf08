/**
 * The per-account event log (what the feed sends and replays) and the bus that wakes feeds when an
 * account has new events: PostgreSQL LISTEN/NOTIFY across processes (one listening connection per
 * process), or a process-local emitter on SQLite.
 */
import { EventEmitter } from 'node:events';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { FeedEventType } from '@tessera/protocol';
import type { MainDatabase } from './db/tables.js';
import type { TailItem } from './item-tail.js';
import { PG_TIMEOUTS } from './db/connect.js';

export const NOTIFY_CHANNEL = 'tessera_events';
/** Longest announcement with the event's data (PostgreSQL refuses payloads of 8000 bytes or more). */
export const NOTIFY_PAYLOAD_MAX_BYTES = 7900;
/** Separate from the events: a push must not evict every cached session of its account. */
export const SESSIONS_CHANNEL = 'tessera_sessions';
/** Wakes every feed of every account (after the bus reconnects and may have missed notifications). */
export const ALL_ACCOUNTS = '*';

/**
 * An event as its notification announces it (PostgreSQL, migration 0008): with the id of the
 * account's previous event, so a feed that has sent exactly `prev` can send this one without reading
 * the log (routes/feed.ts). `data` is null when the event was too large to carry.
 */
export interface AnnouncedEvent {
  accountId: string;
  prev: number;
  id: number;
  type: string;
  data: string | null;
  /**
   * An `items` event's pushed rows (migration 0009), when they fit the notification: the versions
   * they took, in order. Absent when not announced (too large, an older push function).
   */
  items?: TailItem[];
}

/** The compact rows of a notification (`[id, version, epoch, ciphertext, deleted 0/1]`), or undefined. */
function announcedItems(x: unknown): TailItem[] | undefined {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  const items: TailItem[] = [];
  for (const row of x) {
    if (!Array.isArray(row) || row.length !== 5) return undefined;
    const [id, version, epoch, ciphertext, deleted] = row as unknown[];
    if (
      typeof id !== 'string' ||
      !Number.isSafeInteger(version) ||
      !Number.isSafeInteger(epoch) ||
      typeof ciphertext !== 'string' ||
      (deleted !== 0 && deleted !== 1)
    )
      return undefined;
    items.push({
      id,
      version: version as number,
      epoch: epoch as number,
      ciphertext,
      deleted: deleted === 1,
    });
  }
  return items;
}

/**
 * The payload of a `tessera_events` notification: the JSON object migration 0008's trigger sends
 * (with 0009, an `items` event's rows in `x`),
 * or (before it) the bare account id. Anything else is ignored (null).
 */
export function parseAnnouncement(payload: string): { accountId: string; event?: AnnouncedEvent } | null {
  if (!payload.startsWith('{')) return { accountId: payload };
  try {
    const o = JSON.parse(payload) as {
      a?: unknown;
      p?: unknown;
      i?: unknown;
      t?: unknown;
      d?: unknown;
      x?: unknown;
    };
    if (typeof o.a !== 'string') return null;
    const valid =
      Number.isSafeInteger(o.p) &&
      Number.isSafeInteger(o.i) &&
      typeof o.t === 'string' &&
      (o.d === null || typeof o.d === 'string');
    if (!valid) return { accountId: o.a };
    const items = announcedItems(o.x);
    return {
      accountId: o.a,
      event: {
        accountId: o.a,
        prev: o.p as number,
        id: o.i as number,
        type: o.t as string,
        data: o.d as string | null,
        ...(items ? { items } : {}),
      },
    };
  } catch {
    return null;
  }
}

/**
 * Appends an event; call inside a transaction that holds the account row lock (`lockAccount`), so
 * event ids of one account commit in id order and a feed resuming after id N misses nothing.
 */
export async function appendEvent(
  trx: Transaction<MainDatabase>,
  accountId: string,
  type: FeedEventType,
  data: unknown,
): Promise<void> {
  await trx
    .insertInto('events')
    .values({ account_id: accountId, type, data: JSON.stringify(data), created_at: Date.now() })
    .execute();
}

export interface EventBus {
  /**
   * Tells every process that the accounts have new events (call after commit). On PostgreSQL the
   * commit itself does (a trigger on `events`), so this returns at once.
   */
  publish(accountIds: string[]): Promise<void>;
  /**
   * Calls `wake` when the account (or ALL_ACCOUNTS) is published; with the event when the
   * notification announced one (PostgreSQL), without when it did not (SQLite, a reconnect).
   */
  subscribe(accountId: string, wake: (event?: AnnouncedEvent) => void): () => void;
  /**
   * Tells this process (at once, before returning) and every other process that sessions or device
   * statuses of the account changed (sign-out, device trusted or removed, account deleted), so
   * cached sessions go (`SessionCache`). Call after commit.
   */
  revokeSessions(accountId: string): Promise<void>;
  /** Calls `listener` with the account id, or ALL_ACCOUNTS when notifications may have been missed. */
  onSessionsRevoked(listener: (accountId: string) => void): () => void;
  /**
   * Whether every other process's revocation reaches this one now: PostgreSQL while its LISTEN
   * connection is up (its loss is reported at once as a revocation of ALL_ACCOUNTS). Never on
   * SQLite, where processes sharing a file have no channel between them.
   */
  revocationsHeard(): boolean;
  close(): Promise<void>;
}

/** Emitter event of session revocations (a symbol: it cannot collide with an account id). */
const REVOKED = Symbol('sessions revoked');

function onRevoked(emitter: EventEmitter, listener: (accountId: string) => void): () => void {
  emitter.on(REVOKED, listener);
  return () => emitter.off(REVOKED, listener);
}

class LocalBus implements EventBus {
  constructor(private readonly emitter: EventEmitter) {}
  async publish(accountIds: string[]): Promise<void> {
    for (const id of new Set(accountIds)) this.emitter.emit(id);
  }
  subscribe(accountId: string, wake: (event?: AnnouncedEvent) => void): () => void {
    this.emitter.on(accountId, wake);
    this.emitter.on(ALL_ACCOUNTS, wake);
    return () => {
      this.emitter.off(accountId, wake);
      this.emitter.off(ALL_ACCOUNTS, wake);
    };
  }
  async revokeSessions(accountId: string): Promise<void> {
    this.emitter.emit(REVOKED, accountId);
  }
  onSessionsRevoked(listener: (accountId: string) => void): () => void {
    return onRevoked(this.emitter, listener);
  }
  revocationsHeard(): boolean {
    return false;
  }
  async close(): Promise<void> {}
}

// Servers in one process sharing one SQLite file share one emitter, like processes share NOTIFY.
const localEmitters = new Map<string, EventEmitter>();

export function localBus(location: string): EventBus {
  let emitter = localEmitters.get(location);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    localEmitters.set(location, emitter);
  }
  return new LocalBus(emitter);
}

/** The listening connection's `application_name`. */
export const LISTEN_APPLICATION_NAME = 'tessera-listen';

/** Longest wait between attempts to re-open the LISTEN connection (one cheap connect per process). */
const LISTEN_RETRY_MAX_MS = 2_000;

/** LISTEN on a dedicated connection; reconnects with back-off and then wakes every feed. */
export async function postgresBus(options: {
  url: string;
  db: Kysely<MainDatabase>;
  onError: (err: Error) => void;
}): Promise<EventBus> {
  const pg = (await import('pg')).default;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const local = new LocalBus(emitter);
  let client: InstanceType<typeof pg.Client> | null = null;
  let closed = false;
  let retryMs = 500;
  let timer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: PG_TIMEOUTS.connectMs,
      // A revocation's NOTIFY goes out here (`revokeSessions`): a sick connection must fail it over
      // to the pool, never hang the request, as the pool's own limits ensure for every other query.
      query_timeout: PG_TIMEOUTS.queryMs,
      // Names it in pg_stat_activity, for operators (and the tests that cut it).
      application_name: LISTEN_APPLICATION_NAME,
    });
    let ownPid = -1;
    c.on('notification', (msg) => {
      if (msg.channel === NOTIFY_CHANNEL && msg.payload) {
        const announced = parseAnnouncement(msg.payload);
        if (announced) emitter.emit(announced.accountId, announced.event);
      }
      // Our own revocation was applied here before it was sent (`revokeSessions`); its echo would
      // only empty the account's cached sessions a second time, at some later moment.
      if (msg.channel === SESSIONS_CHANNEL && msg.payload && msg.processId !== ownPid) {
        emitter.emit(REVOKED, msg.payload);
      }
    });
    c.on('error', (err) => {
      options.onError(err);
      reconnectLater(c);
    });
    c.on('end', () => reconnectLater(c));
    await c.connect();
    // A notification names the backend that sent it: PostgreSQL's way to tell a session its own.
    ownPid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await c.query(`LISTEN ${NOTIFY_CHANNEL}; LISTEN ${SESSIONS_CHANNEL}`);
    client = c;
    retryMs = 500;
  };
  const reconnectLater = (c: InstanceType<typeof pg.Client>) => {
    if (closed || client !== c || timer) return;
    client = null;
    // Revocations sent from now until the reconnect are missed: sessions cached here go now.
    emitter.emit(REVOKED, ALL_ACCOUNTS);
    c.end().catch(() => {});
    timer = setTimeout(() => {
      timer = null;
      connect()
        .then(() => {
          // Revocations may have been missed while disconnected: forget every cached session too.
          emitter.emit(REVOKED, ALL_ACCOUNTS);
          emitter.emit(ALL_ACCOUNTS);
        })
        .catch((err: Error) => {
          options.onError(err);
          // Capped low: until it reconnects, feeds here miss other processes' changes.
          retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MAX_MS);
          const dead = new pg.Client();
          client = dead;
          reconnectLater(dead);
        });
    }, retryMs);
    timer.unref();
  };

  await connect();
  return {
    // The events table's trigger (migrations 0004 and 0008) notifies when each event commits.
    async publish() {},
    subscribe: (accountId, wake) => local.subscribe(accountId, wake),
    async revokeSessions(accountId) {
      // Here at once (the notification comes back to this process too, later), then everywhere.
      emitter.emit(REVOKED, accountId);
      // Sent on the listening connection, so its echo is known as ours; through the pool while that
      // connection is down or fails (an echo then empties the cache once more: harmless).
      const c = client;
      if (c) {
        try {
          await c.query('SELECT pg_notify($1, $2)', [SESSIONS_CHANNEL, accountId]);
          return;
        } catch {
          // The connection's own error handler reconnects; the pool still reaches the others.
        }
      }
      await sql`select pg_notify(${SESSIONS_CHANNEL}, ${accountId})`.execute(options.db);
    },
    onSessionsRevoked: (listener) => onRevoked(emitter, listener),
    revocationsHeard: () => client !== null && !closed,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
