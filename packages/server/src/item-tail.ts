/**
 * The recent item changes of one account, as this process heard them announced (PostgreSQL,
 * migration 0009: a push's notification carries its rows when they fit), so a pull whose range they
 * cover is answered without a database read (routes/items.ts).
 *
 * What makes it exact: a push's versions are consecutive (head - n + 1 … head) and pushes of one
 * account commit, and are announced, in version order (each holds the account row lock). The tail
 * knows every item whose current version lies in (base, head]: a push continues it only when its
 * first version is head + 1; anything else (a lost notification, a push announced without its rows,
 * the LISTEN connection re-opened) starts it afresh at that push, or empties it. A pull is answered
 * from it only when its `since` is at or after `base` and the tail's head reaches the head the client
 * says it must at least see (`atLeast`): a head learned from a notification lags a push committed on
 * another process, and a client refuses an older head than one it has seen (`server-rollback`).
 */

export interface TailItem {
  id: string;
  version: number;
  epoch: number;
  ciphertext: string;
  deleted: boolean;
}

export interface ItemsPage {
  items: TailItem[];
  head: number;
  more: boolean;
}

/**
 * Bounds per account (the tail is kept for every account with a feed on the process): caught-up
 * devices pull within moments of a change, so a few recent items serve them; older ranges read.
 */
export const TAIL_KEPT = 16;
/** Ciphertext characters kept per account (a notification carries at most ~7,900 bytes). */
export const TAIL_MAX_CHARS = 16_384;

export class ItemTail {
  /** Every item whose version is in (base, head] is in `entries`; head < 0: nothing known. */
  private base = -1;
  private head = -1;
  /** By version, one per id (its latest). */
  private entries: TailItem[] = [];
  /** Ciphertext characters in `entries`. */
  private chars = 0;

  /** Forgets everything (a push announced without its rows, a gap in the notifications). */
  reset(): void {
    this.base = -1;
    this.head = -1;
    this.entries = [];
    this.chars = 0;
  }

  /**
   * A push announced with its rows (versions consecutive, the last one `head`), or without them
   * (`items` undefined): that push's range is unknown here, so the tail is emptied.
   */
  add(items: readonly TailItem[] | undefined, head: number): void {
    const first = items?.[0]?.version;
    if (
      !items ||
      first === undefined ||
      items.some((it, i) => it.version !== first + i) ||
      first + items.length - 1 !== head
    ) {
      this.reset();
      return;
    }
    if (this.head !== first - 1) {
      // Not the next push after what is known (a notification was lost, or this is the first
      // heard): only this push's range is known.
      this.entries = [];
      this.chars = 0;
      this.base = first - 1;
    }
    const ids = new Set(items.map((it) => it.id));
    const superseded = this.entries.filter((e) => ids.has(e.id));
    if (superseded.length > 0) {
      this.entries = this.entries.filter((e) => !ids.has(e.id));
      for (const e of superseded) this.chars -= e.ciphertext.length;
    }
    for (const it of items) {
      this.entries.push(it);
      this.chars += it.ciphertext.length;
    }
    this.head = head;
    while (this.entries.length > TAIL_KEPT || (this.chars > TAIL_MAX_CHARS && this.entries.length > 1)) {
      const dropped = this.entries.shift()!;
      this.chars -= dropped.ciphertext.length;
      this.base = dropped.version;
    }
  }

  /**
   * The page a read of the database would give after `since` (at the moment this tail's head was
   * committed), when the tail covers it and its head is at least `atLeast`; else null (read).
   */
  page(since: number, limit: number, atLeast: number): ItemsPage | null {
    if (this.head < 0 || since < this.base || since > this.head || this.head < atLeast) return null;
    const after = this.entries.filter((e) => e.version > since);
    return { items: after.slice(0, limit), head: this.head, more: after.length > limit };
  }
}
