import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canon, canonOfJsonValue, compareVersions, parseClientHeader, ROUTES } from '@tessera/protocol';

describe('canon', () => {
  it('sorts keys recursively and drops whitespace', () => {
    expect(canon({ b: 1, a: [{ d: null, c: 'é' }], e: { z: true, y: 'x"' } })).toBe(
      '{"a":[{"c":"é","d":null}],"b":1,"e":{"y":"x\\"","z":true}}',
    );
  });
  it('refuses values JSON cannot carry', () => {
    expect(() => canon(Number.NaN)).toThrow(/non-finite/);
    expect(() => canon({ a: [1, Number.POSITIVE_INFINITY] })).toThrow(/non-finite/);
    expect(() => canon([undefined])).toThrow(/undefined/);
  });

  // canon writes plain data with JSON.stringify (after sorting keys); it must give exactly the text
  // of the definition, a recursive join of sorted keys, for every value, hashed or signed.
  it('gives the same text as the recursive definition for any value', () => {
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
      return `{${keys
        .sort()
        .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    };
    const key = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom('9', '10', '0', '01', '__proto__', 'constructor', 'a', 'B', 'é', '😀', '\ud800'),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.boolean(),
        fc.constant(null),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
        // Objects built key by key in any order, some values undefined (dropped by canon).
        fc
          .array(fc.tuple(key, fc.option(tie('value'), { nil: undefined })), { maxLength: 5 })
          .map((pairs) => {
            const o: Record<string, unknown> = {};
            for (const [k, v] of pairs)
              Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
            return o;
          }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(canon(v)).toBe(reference(v));
        // What JSON.parse gives back (already in canonical order) takes the fast path and agrees too.
        expect(canon(JSON.parse(canon(v)))).toBe(canon(v));
      }),
      { numRuns: 3000 },
    );
    // Values that are not plain data keep the definition's text.
    const date = new Date(0);
    expect(canon({ b: date, a: 1 })).toBe('{"a":1,"b":{}}');
    expect(canon([1, [2, { y: 1, x: 2 }]])).toBe('[1,[2,{"x":2,"y":1}]]');
  });

  // The fast path walks an object's keys with for...in (no key array): only its own keys count, as
  // in Object.keys, so an enumerable property on Object.prototype changes neither the text nor the
  // path (the inherited function, a value JSON cannot carry, would otherwise send it to the slow one).
  it('reads only own keys, whatever Object.prototype carries', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const parsed = JSON.parse('{"a":1,"b":{"c":[true,null,"x"]}}') as unknown;
    const unsorted = JSON.parse('{"b":{"c":[true,null,"x"]},"a":1}') as unknown;
    let texts: (string | undefined)[];
    // Read outside the pollution: the test runner's own code must not see it.
    Object.defineProperty(proto, 'aa', {
      value: () => 1,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    try {
      texts = [
        canonOfJsonValue(parsed),
        canonOfJsonValue(unsorted),
        canon({ z: 1, y: { x: undefined, w: 2 } }),
      ];
    } finally {
      delete proto.aa;
    }
    expect(texts).toEqual([
      '{"a":1,"b":{"c":[true,null,"x"]}}',
      '{"a":1,"b":{"c":[true,null,"x"]}}',
      '{"y":{"w":2},"z":1}',
    ]);
  });
});

describe('client header', () => {
  it('parses client and version', () => {
    expect(parseClientHeader('tessera-web/1.2.3-rc.1')).toEqual({
      client: 'tessera-web',
      version: '1.2.3-rc.1',
    });
  });
  it.each(['', 'tessera-cli', 'tessera-cli/1.2', 'tessera-cli/01.2.3', 'Tessera/1.2.3', 'x/1.2.3 extra'])(
    'refuses %j',
    (value) => expect(parseClientHeader(value)).toBeNull(),
  );
  it('orders versions by SemVer precedence', () => {
    const sorted = [
      '1.0.0',
      '0.9.10',
      '1.0.0-rc.1',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '0.10.0',
      '1.0.0-rc.11',
      '1.0.0-rc.2',
    ];
    sorted.sort(compareVersions);
    expect(sorted).toEqual([
      '0.9.10',
      '0.10.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-rc.1',
      '1.0.0-rc.2',
      '1.0.0-rc.11',
      '1.0.0',
    ]);
  });
});

describe('routes', () => {
  it('covers every route of PROTOCOL.md §4 once', () => {
    const keys = Object.values(ROUTES).map((r) => `${r.method} ${r.url}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('POST /v1/items');
    expect(keys).toContain('GET /v1/feed');
  });
});
