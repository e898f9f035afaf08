/**
 * Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", 2014) as fixed-width strings
 * `"<ms 13 digits>:<counter 4 digits>:<deviceId>"`, so that string order is clock order
 * (docs/PROTOCOL.md §3). The device id breaks ties between devices.
 */

const HLC_PATTERN = /^(\d{13}):(\d{4}):([A-Za-z0-9_-]{1,64})$/;
const MAX_COUNTER = 9999;

export interface HlcParts {
  ms: number;
  counter: number;
  deviceId: string;
}

/** Parses and validates an HLC string; throws on anything else. */
export function parseHlc(text: string): HlcParts {
  const m = HLC_PATTERN.exec(text);
  if (!m) throw new Error(`not a hybrid logical clock: ${JSON.stringify(text.slice(0, 80))}`);
  return { ms: Number(m[1]), counter: Number(m[2]), deviceId: m[3]! };
}

/** True when `text` is a well-formed HLC string. */
export function isHlc(text: unknown): text is string {
  return typeof text === 'string' && HLC_PATTERN.test(text);
}

/** Formats clock parts as the fixed-width string. */
export function formatHlc({ ms, counter, deviceId }: HlcParts): string {
  return `${String(ms).padStart(13, '0')}:${String(counter).padStart(4, '0')}:${deviceId}`;
}

/** The later of two clocks (string order), treating `undefined` as the earliest. */
export function maxHlc(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/**
 * One device's clock. `tick()` stamps a local event; `observe()` folds in a clock seen from elsewhere
 * so the next tick is later than it, even when this machine's wall clock is behind.
 */
export class HybridClock {
  private ms = 0;
  private counter = 0;

  constructor(
    readonly deviceId: string,
    private readonly now: () => number = () => Date.now(),
    last?: string,
  ) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(deviceId))
      throw new Error(`invalid HLC device id ${JSON.stringify(deviceId)}`);
    if (last) this.observe(last);
  }

  /** A new clock value, strictly later than every value this clock has produced or observed. */
  tick(): string {
    const wall = Math.floor(this.now());
    if (wall > this.ms) {
      this.ms = wall;
      this.counter = 0;
    } else {
      this.bump();
    }
    return this.current();
  }

  /** Records a clock from another device or an earlier session; never moves backwards. */
  observe(remote: string): void {
    const r = parseHlc(remote);
    if (r.ms > this.ms || (r.ms === this.ms && r.counter > this.counter)) {
      this.ms = r.ms;
      this.counter = r.counter;
    }
  }

  /** The latest value produced or observed (for persisting across sessions). */
  current(): string {
    return formatHlc({ ms: this.ms, counter: this.counter, deviceId: this.deviceId });
  }

  /** Same millisecond: count up; past 4 digits, borrow the next millisecond so order still holds. */
  private bump(): void {
    if (this.counter < MAX_COUNTER) {
      this.counter += 1;
    } else {
      this.ms += 1;
      this.counter = 0;
    }
  }
}
