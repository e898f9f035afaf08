import { describe, expect, it } from 'vitest';
import { canon, compareVersions, parseClientHeader, ROUTES } from '@tessera/protocol';

describe('canon', () => {
  it('sorts keys recursively and drops whitespace', () => {
    expect(canon({ b: 1, a: [{ d: null, c: 'é' }], e: { z: true, y: 'x"' } })).toBe(
      '{"a":[{"c":"é","d":null}],"b":1,"e":{"y":"x\\"","z":true}}',
    );
  });
  it('refuses values JSON cannot carry', () => {
    expect(() => canon(Number.NaN)).toThrow(/non-finite/);
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
