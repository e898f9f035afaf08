import { describe, expect, it } from 'vitest';
import { ReadCoalescer } from '../src/read-coalescer.js';

/** A stand-in for the database: a value that "commits" change, and reads that can be held open. */
class Store {
  value = 1;
  reads = 0;
  private releases: (() => void)[] = [];
  /** A read that takes its snapshot when it starts and answers once released. */
  read = async (started: () => void): Promise<number> => {
    started();
    this.reads++;
    const snapshot = this.value;
    await new Promise<void>((resolve) => this.releases.push(resolve));
    return snapshot;
  };
  releaseAll(): void {
    for (const r of this.releases.splice(0)) r();
  }
  /** Resolves once `n` reads have started (they start a turn of the event loop after the request). */
  async started(n: number): Promise<void> {
    while (this.reads < n) await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ReadCoalescer', () => {
  it('requests that arrive before the read starts share it', async () => {
    const store = new Store();
    const coalescer = new ReadCoalescer<number>();
    const runs = [1, 2, 3].map(() => coalescer.run('k', store.read));
    expect(runs.map((r) => r.joined)).toEqual([false, true, true]);
    await store.started(1);
    store.releaseAll();
    expect(await Promise.all(runs.map((r) => r.result))).toEqual([1, 1, 1]);
    expect(store.reads).toBe(1);
  });

  it('a request after the read started never joins it: it sees a change committed in between', async () => {
    // The cross-process race: the read on this process started, then a push committed on another
    // process and its client (told by that process) pulls here before this process hears of it.
    const store = new Store();
    const coalescer = new ReadCoalescer<number>();
    const first = coalescer.run('k', store.read);
    await store.started(1);
    store.value = 2;
    const second = coalescer.run('k', store.read);
    expect(second.joined).toBe(false);
    await store.started(2);
    store.releaseAll();
    expect(await first.result).toBe(1);
    expect(await second.result).toBe(2);
  });

  it('requests queued behind a busy connection pool join the read still waiting for one', async () => {
    const store = new Store();
    const coalescer = new ReadCoalescer<number>();
    let connectionFree!: () => void;
    const pool = new Promise<void>((resolve) => (connectionFree = resolve));
    const waitForConnection = async (started: () => void) => {
      await pool;
      return store.read(started);
    };
    const first = coalescer.run('k', waitForConnection);
    await new Promise((resolve) => setImmediate(resolve));
    store.value = 2; // committed while the read waits for a connection: it will see it
    const late = coalescer.run('k', waitForConnection);
    expect(late.joined).toBe(true);
    connectionFree();
    await store.started(1);
    store.releaseAll();
    expect([await first.result, await late.result]).toEqual([2, 2]);
  });

  it('keys are separate, and a failed read fails its joiners only: the next request reads anew', async () => {
    const coalescer = new ReadCoalescer<string>();
    const a = coalescer.run('a', async (started) => (started(), 'a'));
    const b = coalescer.run('b', async (started) => (started(), 'b'));
    expect([a.joined, b.joined]).toEqual([false, false]);
    expect([await a.result, await b.result]).toEqual(['a', 'b']);
    const failing = coalescer.run('a', async (started) => {
      started();
      throw new Error('database away');
    });
    const joiner = coalescer.run('a', async () => 'never');
    await expect(failing.result).rejects.toThrow('database away');
    await expect(joiner.result).rejects.toThrow('database away');
    const after = coalescer.run('a', async (started) => (started(), 'back'));
    expect(after.joined).toBe(false);
    expect(await after.result).toBe('back');
  });
});
