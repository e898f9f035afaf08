/**
 * Identical reads that are waiting to start share one database read.
 *
 * When an account changes, all of its devices are told at once and pull the same page (same
 * account, same `since`, same limit) within a moment of each other; on PostgreSQL each read is a
 * network round trip, a large part of a pull's cost (bench/FINDINGS.md).
 *
 * The rule that keeps this correct: a request joins a read only while that read has not yet
 * started, i.e. before it has a database connection and sends its statement. So the shared read's
 * snapshot is taken after every joined request arrived, and therefore after every change any of
 * their clients could have known of when sending (a push answered by another process, a feed event
 * heard from anywhere): each client gets what a read of its own would have given it, or newer. A
 * read that has started takes no one; a request arriving then waits for a read of its own (or one it
 * shares with others arriving after it started). Nothing here depends on this process having heard
 * of a change, so the cross-process race (a push commits on process A, a pull arrives at process B
 * before B hears the notification) cannot give a stale page.
 */
export class ReadCoalescer<T> {
  private readonly waiting = new Map<string, Promise<T>>();

  /**
   * The result of `read` for `key`, shared with requests for the same key that arrive before the
   * read starts. `read` must call `started()` before it sends anything to the database (and after
   * acquiring its connection, so requests queued behind a busy pool still join); the read is first
   * deferred to the next turn of the event loop, so requests parsed in the same turn join it.
   */
  run(key: string, read: (started: () => void) => Promise<T>): { result: Promise<T>; joined: boolean } {
    const pending = this.waiting.get(key);
    if (pending) return { result: pending, joined: true };
    let open = true;
    const started = () => {
      if (!open) return;
      open = false;
      if (this.waiting.get(key) === result) this.waiting.delete(key);
    };
    const result = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => read(started))
      .finally(started);
    this.waiting.set(key, result);
    return { result, joined: false };
  }
}
