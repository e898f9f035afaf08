import type { MetaValue } from './types.js';

/** Meta key under which the keychain client stores its last measurement of the server's clock. */
export const SERVER_CLOCK_META_KEY = 'serverClock';

/** How far the local clock may be from the server's before commands warn (TOTP steps are 30 s). */
export const CLOCK_SKEW_WARN_MS = 5_000;

/** A measured offset: server time minus local time, in milliseconds. */
export interface ServerClock {
  offsetMs: number;
  /** Local unix milliseconds when measured. */
  measuredAt: number;
  /** Round trip of the measuring request; the offset is accurate to about half of it. */
  roundTripMs: number;
}

/**
 * Offset from one request: the server's `time` (GET /v1/meta) against the midpoint of the local
 * send and receive times (the NTP estimate, RFC 5905 §8, with one sample).
 */
export function measureServerClock({
  serverTime,
  sentAt,
  receivedAt,
}: {
  serverTime: number;
  sentAt: number;
  receivedAt: number;
}): ServerClock {
  return {
    offsetMs: Math.round(serverTime - (sentAt + receivedAt) / 2),
    measuredAt: receivedAt,
    roundTripMs: Math.max(0, receivedAt - sentAt),
  };
}

/** Reads a ServerClock back from meta; null when absent or malformed. */
export function serverClockFromMeta(value: MetaValue | undefined): ServerClock | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { offsetMs, measuredAt, roundTripMs } = value;
  // A time Date cannot show (NaN, beyond ±8.64e15 ms) would make the warning itself throw.
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) return null;
  if (typeof measuredAt !== 'number' || Number.isNaN(new Date(measuredAt).getTime())) return null;
  return { offsetMs, measuredAt, roundTripMs: typeof roundTripMs === 'number' ? roundTripMs : 0 };
}

/** A one-line warning when the local clock is known to be off by more than `thresholdMs`, else null. */
export function clockSkewWarning(clock: ServerClock | null, thresholdMs = CLOCK_SKEW_WARN_MS): string | null {
  if (!clock || Math.abs(clock.offsetMs) <= thresholdMs) return null;
  const seconds = Math.round(Math.abs(clock.offsetMs) / 1000);
  const direction = clock.offsetMs > 0 ? 'behind' : 'ahead of';
  return (
    `this computer's clock is ${seconds} s ${direction} the keychain server's (measured ${new Date(clock.measuredAt).toISOString()}); ` +
    "codes are computed with the server's time; set the system clock (enable NTP)"
  );
}

/**
 * Unix seconds to compute codes for: `explicit` when given (`--time`), else the device clock
 * corrected by the measured server offset when that offset is large enough to warn about (codes
 * then match the service's clock even on a device whose clock is off), else the device clock.
 */
export function codeTime(opts: {
  clock: ServerClock | null;
  deviceNowMs: number;
  explicit?: number;
}): number {
  if (opts.explicit !== undefined) return opts.explicit;
  const off = clockSkewWarning(opts.clock) ? opts.clock!.offsetMs : 0;
  return (opts.deviceNowMs + off) / 1000;
}
