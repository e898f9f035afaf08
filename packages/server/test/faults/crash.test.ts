/**
 * Crash safety: a server process is killed (SIGKILL, no chance to clean up) while many devices push
 * at once. After a restart on the same database every acknowledged push is there, and the push that
 * was in flight for each device is there entirely or not at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, trustedAccount, uniqueEmail } from '../helpers.js';
import { freshDatabase, sharedSecrets, sleep, spawnServer, waitFor, type ServerProcess } from './harness.js';

const ACCOUNTS = 4;
const WORKERS_PER_ACCOUNT = 2;
/** Kill once this many pushes were acknowledged, so the crash lands in the middle of the traffic. */
const ACKED_BEFORE_KILL = 60;

interface ItemState {
  version: number;
  ciphertext: string;
  deleted: boolean;
}

interface Push {
  items: Array<{ id: string; baseVersion: number; epoch: number; ciphertext: string; deleted: boolean }>;
  outcome: 'pending' | 'acked' | 'refused' | 'unknown';
  versions?: Record<string, number>;
}

/**
 * One device pushing in a loop: new items (batches of 1-20), edits and deletions of its own items.
 * Items belong to one worker only, so its server state is a pure function of its pushes.
 */
class Worker {
  readonly pushes: Push[] = [];
  /** What the server holds for this worker's items after its acknowledged pushes. */
  readonly acked = new Map<string, ItemState>();
  stopped = false;

  constructor(public api: Api) {}

  async run(onAck: () => void): Promise<void> {
    while (!this.stopped) {
      const push: Push = { items: this.nextBatch(), outcome: 'pending' };
      this.pushes.push(push);
      let res;
      try {
        res = await this.api.post('/v1/items', { items: push.items });
      } catch {
        push.outcome = 'unknown';
        return;
      }
      if (res.status !== 200) {
        push.outcome = res.status >= 500 ? 'unknown' : 'refused';
        if (push.outcome === 'unknown') return;
        throw new Error(`push refused: ${res.status} ${JSON.stringify(res.body)}`);
      }
      push.outcome = 'acked';
      push.versions = Object.fromEntries(
        res.body.versions.map((v: { id: string; version: number }) => [v.id, v.version]),
      );
      for (const item of push.items) {
        this.acked.set(item.id, {
          version: push.versions![item.id]!,
          ciphertext: item.ciphertext,
          deleted: item.deleted,
        });
      }
      onAck();
    }
  }

  private nextBatch(): Push['items'] {
    const own = [...this.acked.entries()];
    const edits = own.length > 5 && Math.random() < 0.5;
    if (!edits) {
      return Array.from({ length: 1 + Math.floor(Math.random() * 20) }, () => ({
        id: randomUUID(),
        baseVersion: 0,
        epoch: 1,
        ciphertext: cipher(),
        deleted: false,
      }));
    }
    const chosen = own.sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 10));
    return chosen.map(([id, state]) => ({
      id,
      baseVersion: state.version,
      epoch: 1,
      ciphertext: cipher(),
      deleted: Math.random() < 0.2,
    }));
  }

  /** The server state this worker's items may be in: after the acked pushes, or also after the one in flight. */
  possibleStates(): Array<Map<string, Pick<ItemState, 'ciphertext' | 'deleted'>>> {
    const strip = (m: Map<string, ItemState>) =>
      new Map([...m].map(([id, s]) => [id, { ciphertext: s.ciphertext, deleted: s.deleted }]));
    const base = strip(this.acked);
    const inFlight = this.pushes.find((p) => p.outcome === 'unknown');
    if (!inFlight) return [base];
    const after = new Map(base);
    for (const item of inFlight.items)
      after.set(item.id, { ciphertext: item.ciphertext, deleted: item.deleted });
    return [base, after];
  }
}

/** A ciphertext-like value of varied size (the server never decrypts), unique per push. */
const cipher = () => randomBytes(200 + Math.floor(Math.random() * 3000)).toString('base64url');

async function pullAll(api: Api): Promise<{ head: number; items: Array<ItemState & { id: string }> }> {
  const items = [];
  let since = 0;
  for (;;) {
    const page = await api.get(`/v1/items?since=${since}&limit=1000`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    if (!page.body.more) return { head: page.body.head, items };
    since = page.body.items.at(-1).version;
  }
}

describe.each(['sqlite', 'postgres'] as const)('SIGKILL during concurrent pushes (%s)', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('keeps every acknowledged push and never half of one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let database = `sqlite:${join(dataDir, 'tessera.sqlite')}`;
    if (backend === 'postgres') {
      const db = await freshDatabase('crash');
      cleanups.push(() => db.drop());
      database = db.url;
    }
    const env = await sharedSecrets();
    let server: ServerProcess = await spawnServer({ database, dataDir, env });
    cleanups.push(() => server.stop());

    const accounts = [];
    for (let i = 0; i < ACCOUNTS; i++)
      accounts.push(await trustedAccount(new Api(server.url), uniqueEmail('crash')));
    const workers = accounts.flatMap((a) =>
      Array.from({ length: WORKERS_PER_ACCOUNT }, () => new Worker(a.api)),
    );
    let acked = 0;
    const running = workers.map((w) => w.run(() => acked++));
    await waitFor('pushes to be acknowledged', () => acked >= ACKED_BEFORE_KILL, 30_000);
    await sleep(Math.random() * 20);
    server.child.kill('SIGKILL');
    expect((await server.exited).signal).toBe('SIGKILL');
    await Promise.all(running);
    const inFlight = workers.filter((w) => w.pushes.some((p) => p.outcome === 'unknown')).length;

    server = await spawnServer({ database, dataDir, env });
    let committedInFlight = 0;
    for (const account of accounts) {
      const api = new Api(server.url, account.api.token);
      const { head, items } = await pullAll(api);
      // Versions are unique and the head is the highest of them: no version was handed out twice.
      const versions = items.map((i) => i.version);
      expect(new Set(versions).size).toBe(versions.length);
      expect(head).toBe(Math.max(0, ...versions));
      const onServer = new Map(items.map((i) => [i.id, { ciphertext: i.ciphertext, deleted: i.deleted }]));
      for (const worker of workers.filter((w) => w.api === account.api)) {
        const mine = new Map(
          [...onServer].filter(([id]) => worker.pushes.some((p) => p.items.some((it) => it.id === id))),
        );
        const states = worker.possibleStates();
        const match = states.findIndex((s) => sameState(s, mine));
        expect(
          match,
          'the server holds every acked push of the device, and all or nothing of the one in flight',
        ).toBeGreaterThanOrEqual(0);
        if (match === 1) committedInFlight++;
      }
      // The restarted server takes new pushes on top.
      const more = await api.post('/v1/items', {
        items: [{ id: randomUUID(), baseVersion: 0, epoch: 1, ciphertext: cipher(), deleted: false }],
      });
      expect(more.body.head).toBe(head + 1);
    }
    console.info(
      `${backend}: killed after ${acked} acknowledged pushes; ${inFlight} pushes in flight, ${committedInFlight} of them committed before the kill`,
    );
  });
});

function sameState(
  a: Map<string, { ciphertext: string; deleted: boolean }>,
  b: Map<string, { ciphertext: string; deleted: boolean }>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [id, s] of a) {
    const t = b.get(id);
    if (!t || t.ciphertext !== s.ciphertext || t.deleted !== s.deleted) return false;
  }
  return true;
}
