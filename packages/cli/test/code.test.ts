// Runs the real `tessera` binary (built by `npm test`, or `npx tsc -b packages/cli`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SEVEN } from '../../otp/test/fixtures.js';

const BIN = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const RFC_SHA1 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SHA256 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA';
const RFC_SHA512 =
  'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA';

function tessera(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Success: exit 0, the code alone on stdout, nothing on stderr. */
function codeOf(args: string[]): string {
  const result = tessera(['code', ...args]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^[0-9A-Z]+\n$/);
  return result.stdout.trimEnd();
}

describe('tessera code', () => {
  it('prints RFC 6238 codes for each algorithm', () => {
    expect(codeOf(['--secret', RFC_SHA1, '--time', '59', '--digits', '8'])).toBe('94287082');
    expect(
      codeOf(['--secret', RFC_SHA256, '--algorithm', 'SHA256', '--digits', '8', '--time', '1111111109']),
    ).toBe('68084774');
    expect(
      codeOf(['--secret', RFC_SHA512, '--algorithm', 'sha512', '--digits', '8', '--time', '20000000000']),
    ).toBe('47863826');
  });

  it('uses period and the defaults (TOTP, SHA1, 6 digits)', () => {
    expect(codeOf(['--secret', 'WQIQ25BRKZYCJVYP', '--time', '1672531200'])).toBe('194506');
    expect(codeOf(['--secret', 'wqiq 25br kzyc jvyp', '--period', '60', '--time', '1672531200'])).toBe(
      '730364',
    );
  });

  it('prints HOTP codes for RFC 4226 counters, up to 2^64 - 1', () => {
    expect(codeOf(['--secret', RFC_SHA1, '--type', 'hotp', '--counter', '0'])).toBe('755224');
    expect(codeOf(['--secret', RFC_SHA1, '--type', 'hotp', '--counter', '9'])).toBe('520489');
    expect(codeOf(['--secret', RFC_SHA1, '--type', 'hotp', '--counter', '18446744073709551615'])).toBe(
      '094451',
    );
  });

  it('prints Steam codes', () => {
    const secret = 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ';
    expect(codeOf(['--secret', secret, '--type', 'steam', '--time', '1672531200'])).toBe('7W6CJ');
    expect(codeOf(['--uri', `steam://${secret}`, '--time', '1672531200'])).toBe('7W6CJ');
  });

  it('reads URIs: the seven Aegis test entries', () => {
    for (const { uri, code } of SEVEN) expect(codeOf(['--uri', uri, '--time', '1672531200'])).toBe(code);
  });

  it('uses the current time without --time', () => {
    const before = codeOf(['--secret', 'WQIQ25BRKZYCJVYP', '--time', String(Math.floor(Date.now() / 1000))]);
    const now = codeOf(['--secret', 'WQIQ25BRKZYCJVYP']);
    const after = codeOf(['--secret', 'WQIQ25BRKZYCJVYP', '--time', String(Math.floor(Date.now() / 1000))]);
    expect([before, after]).toContain(now);
  });

  it.each([
    [['--secret', 'JBSWY3DP0'], /^tessera: secret: not Base32/],
    [['--secret', 'JBSWY3DP', '--algorithm', 'MD5'], /^tessera: algorithm: unsupported "MD5"/],
    [['--secret', 'JBSWY3DP', '--digits', '11'], /^tessera: digits: must be 6 to 10, got 11/],
    [['--secret', 'JBSWY3DP', '--digits', 'eight'], /^tessera: --digits: must be a whole number/],
    [['--secret', 'JBSWY3DP', '--period', '0'], /^tessera: period: must be 1 to/],
    [['--secret', 'JBSWY3DP', '--type', 'hotp'], /^tessera: --counter is required for --type hotp/],
    [
      ['--secret', 'JBSWY3DP', '--type', 'hotp', '--counter', '18446744073709551616'],
      /^tessera: counter: must be 0 to 2\^64 - 1/,
    ],
    [['--secret', 'JBSWY3DP', '--counter', '1'], /^tessera: --counter applies to --type hotp only/],
    [['--secret', 'JBSWY3DP', '--type', 'motp'], /^tessera: type: unsupported "motp"/],
    [
      ['--secret', 'JBSWY3DP', '--type', 'steam', '--digits', '6'],
      /^tessera: digits: Steam codes always use 5/,
    ],
    [['--secret', 'JBSWY3DP', '--time', 'yesterday'], /^tessera: --time: must be Unix seconds/],
    [['--secret', ''], /^tessera: secret: is missing/],
    [[], /^tessera: give --secret BASE32 or --uri URI/],
    [
      ['--secret', 'JBSWY3DP', '--uri', 'otpauth://totp/a?secret=JBSWY3DP'],
      /^tessera: --secret and --uri exclude/,
    ],
    [['--uri', 'otpauth://totp/a?secret=JBSWY3DP', '--digits', '8'], /^tessera: --digits goes with --secret/],
    [['--uri', 'otpauth://hotp/a?secret=JBSWY3DP'], /^tessera: counter: is required for HOTP/],
    [['--uri', 'http://example.com'], /^tessera: uri: must start with otpauth:\/\//],
  ])('%j fails with one line on stderr', (args, message) => {
    const result = tessera(['code', ...args]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('keeps the secret out of its error messages', () => {
    const result = tessera(['code', '--secret', 'TOPSECRETVALUE8']);
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('TOPSECRET');
  });
});

describe('tessera uri parse', () => {
  it('prints the entry as JSON with a canonical secret', () => {
    const result = tessera([
      'uri',
      'parse',
      'otpauth://totp/ACME%20Co:john@example.com?secret=hxdm-vjec-jjws-rb3h&issuer=ACME+Co&image=x',
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      type: 'totp',
      secret: 'HXDMVJECJJWSRB3H',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
      issuer: 'ACME Co',
      account: 'john@example.com',
      extra: { image: 'x' },
    });
  });

  it('parses each of the seven Aegis test URIs, also from standard input', () => {
    for (const { uri, entry } of SEVEN) {
      expect(JSON.parse(tessera(['uri', 'parse', uri]).stdout)).toEqual(entry);
    }
    const { uri, entry } = SEVEN[4]!;
    const result = tessera(['uri', 'parse', '-'], `${uri}\n`);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(entry);
  });

  it('fails with one line naming the field', () => {
    const result = tessera(['uri', 'parse', 'otpauth://totp/a?secret=JBSWY3DP&period=abc']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('tessera: period: must be a whole number, got "abc"\n');
  });
});
