import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc, HybridClock, isHlc, maxHlc, parseHlc } from '@tessera/vault';

const parts = fc.record({
  ms: fc.integer({ min: 0, max: 9_999_999_999_999 }),
  counter: fc.integer({ min: 0, max: 9999 }),
  deviceId: fc.stringMatching(/^[a-f0-9]{1,16}$/),
});

describe('hybrid logical clocks', () => {
  it('string order is clock order (ms, then counter, then device)', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const byParts =
          a.ms - b.ms ||
          a.counter - b.counter ||
          (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);
        const sa = formatHlc(a);
        const sb = formatHlc(b);
        const byString = sa < sb ? -1 : sa > sb ? 1 : 0;
        expect(Math.sign(byString)).toBe(Math.sign(byParts));
        expect(parseHlc(sa)).toEqual(a);
      }),
    );
  });

  it('ticks strictly increase even when the wall clock stands still or goes back', () => {
    let wall = 1_700_000_000_000;
    const clock = new HybridClock('dev1', () => wall);
    const seen = [clock.tick(), clock.tick()];
    wall -= 60_000; // NTP step backwards
    seen.push(clock.tick(), clock.tick());
    wall += 120_000;
    seen.push(clock.tick());
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    expect(seen[0]).toBe('1700000000000:0000:dev1');
    expect(seen[2]).toBe('1700000000000:0002:dev1');
    expect(seen[4]).toBe('1700000060000:0000:dev1');
  });

  it('past 9999 events in one millisecond, borrows the next millisecond so order holds', () => {
    const clock = new HybridClock('d', () => 5, '0000000000005:9998:d');
    const a = clock.tick();
    const b = clock.tick();
    expect([a, b]).toEqual(['0000000000005:9999:d', '0000000000006:0000:d']);
  });

  it('after observing a clock from a device whose clock runs ahead, ticks are later than it', () => {
    const clock = new HybridClock('slow', () => 1000);
    const remote = '0000000009000:0003:fast';
    clock.observe(remote);
    expect(clock.tick() > remote).toBe(true);
    expect(clock.tick()).toBe('0000000009000:0005:slow');
  });

  it('refuses malformed clocks and device ids', () => {
    expect(isHlc('1700000000000:0000:dev')).toBe(true);
    for (const bad of [
      '170000000000:0000:dev',
      '1700000000000:000:dev',
      '1700000000000:0000:',
      '1700000000000:0000:a:b',
      42,
    ]) {
      expect(isHlc(bad)).toBe(false);
    }
    expect(() => parseHlc('nope')).toThrow(/not a hybrid logical clock/);
    expect(() => new HybridClock('has:colon')).toThrow(/device id/);
    expect(maxHlc(undefined, '0000000000001:0000:a')).toBe('0000000000001:0000:a');
  });
});
