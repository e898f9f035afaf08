import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { exportEntries } from '@tessera/formats';
import { normalizeEntry } from '@tessera/otp';
import { addSecret, fails, listJson, ok, RFC_SECRET, tempDir, tessera } from './vault-harness.js';

describe('tessera list', () => {
  it('on an empty or missing vault says how to start, prints [] with --json, and creates nothing', () => {
    const home = join(tempDir(), 'nowhere');
    expect(tessera(home, ['list'])).toEqual({
      status: 0,
      stdout: '',
      stderr: 'no entries yet: add one with `tessera add`\n',
    });
    expect(ok(home, ['list', '--json'])).toBe('[]\n');
    expect(existsSync(home)).toBe(false);
  });

  it('prints issuer, account, current code and seconds left (RFC 6238 vectors via --time)', () => {
    const home = join(tempDir(), 'home');
    ok(home, ['add', '--secret', RFC_SECRET, '--issuer', 'RFC', '--account', 'sha1', '--digits', '8']);
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice@example.com');
    ok(home, ['add', '--secret', RFC_SECRET, '--issuer', 'Bank', '--account', 'me', '--type', 'hotp']);
    expect(ok(home, ['list', '--time', '59'])).toBe(
      [
        'RFC     sha1               94287082            1s',
        'GitHub  alice@example.com  996554              1s',
        'Bank    me                 hotp: tessera show',
        '',
      ].join('\n'),
    );
  });

  it('--json gives the entry shape plus id, tags, deviceOnly, code and secondsLeft', () => {
    const home = join(tempDir(), 'home');
    ok(home, [
      'add',
      '--secret',
      RFC_SECRET,
      '--issuer',
      'RFC',
      '--account',
      'sha1',
      '--digits',
      '8',
      '--tag',
      'test',
    ]);
    ok(home, [
      'add',
      '--secret',
      'JBSWY3DPEHPK3PXP',
      '--issuer',
      'Steam',
      '--account',
      'gamer',
      '--type',
      'steam',
    ]);
    const [rfc, steam] = listJson(home, ['--time', '1111111109']);
    expect(Object.keys(rfc!).sort()).toEqual(
      [
        'id',
        'type',
        'issuer',
        'account',
        'secret',
        'algorithm',
        'digits',
        'period',
        'counter',
        'tags',
        'deviceOnly',
        'pinned',
        'sites',
        'icon',
        'code',
        'secondsLeft',
        'folder',
      ].sort(),
    );
    expect(rfc).toMatchObject({
      type: 'totp',
      secret: RFC_SECRET,
      digits: 8,
      period: 30,
      counter: null,
      tags: ['test'],
      deviceOnly: false,
      icon: null,
      folder: null,
      code: '07081804',
      secondsLeft: 1,
    });
    expect(steam).toMatchObject({
      type: 'steam',
      digits: 5,
      code: expect.stringMatching(/^[2-9BCDFGHJKMNPQRTVWXY]{5}$/),
    });
    expect(listJson(home, ['--tag', 'TEST']).map((e) => e.issuer)).toEqual(['RFC']);
  });

  it('--json shows the icon choice a Tessera backup brought in', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const { files } = await exportEntries({
      format: 'tessera',
      password: 'pw',
      kdf: { memoryKiB: 1024, iterations: 2, parallelism: 1 },
      entries: [
        {
          ...normalizeEntry({ secret: RFC_SECRET, issuer: 'Old', account: 'a' }),
          icon: 'simple-icons/github',
        },
        { ...normalizeEntry({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Plain', account: 'b' }), icon: 'none' },
      ],
    });
    writeFileSync(join(dir, 'backup.json'), files[0]!.bytes);
    writeFileSync(join(dir, 'pw'), 'pw');
    ok(home, ['import', join(dir, 'backup.json'), '--password-file', join(dir, 'pw')]);
    expect(listJson(home).map((e) => [e.issuer, e.icon])).toEqual([
      ['Old', 'simple-icons/github'],
      ['Plain', 'none'],
    ]);
  });

  it('leaves secrets out of --json unless --secrets is given', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, RFC_SECRET, 'RFC', 'alice');
    const plain = ok(home, ['list', '--json']);
    expect(plain).not.toContain(RFC_SECRET);
    const [row] = JSON.parse(plain) as Array<Record<string, unknown>>;
    expect(row).not.toHaveProperty('secret');
    expect(row).toMatchObject({ issuer: 'RFC', account: 'alice', code: expect.stringMatching(/^\d{6}$/) });
    expect(listJson(home)[0]).toMatchObject({ secret: RFC_SECRET });
    expect(fails(home, ['list', '--secrets'])).toBe('--secrets goes with --json');
  });

  it('warns on stderr when the clock is known to be off, leaving stdout clean', async () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    const vault = await openNodeVault({ home, keyStore: 'file' });
    const now = Date.now();
    await vault.recordServerTime({ serverTime: now + 95_000, sentAt: now, receivedAt: now });
    const r = tessera(home, ['list', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^tessera: warning: this computer's clock is 95 s behind the keychain server's .*codes are computed with the server's time/,
    );
  });

  it('with the device clock 90 s ahead, list and show give the codes of the true time', async () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    // The device runs 90 s ahead (TESSERA_TEST_CLOCK_OFFSET_MS); its measurement against the
    // server (whose clock is true) finds the server 90 s behind it.
    const skew = 90_000;
    const vault = await openNodeVault({ home, keyStore: 'file' });
    const now = Date.now();
    await vault.recordServerTime({ serverTime: now, sentAt: now + skew, receivedAt: now + skew });
    const env = { TESSERA_TEST_CLOCK_OFFSET_MS: String(skew) };
    const before = Math.floor(Date.now() / 1000);
    const listed = tessera(home, ['list', '--json'], { env });
    const shown = tessera(home, ['show', 'GitHub', '--json'], { env });
    const after = Math.floor(Date.now() / 1000);
    // The true time is somewhere in [before, after]: the code must be that of one of those seconds.
    const truth = new Set(
      [before, after].map((t) =>
        ok(home, ['code', '--secret', 'JBSWY3DPEHPK3PXP', '--time', String(t)]).trim(),
      ),
    );
    const skewed = ok(home, ['code', '--secret', 'JBSWY3DPEHPK3PXP', '--time', String(before + 90)]).trim();
    expect(truth.has(skewed)).toBe(false);
    expect(truth).toContain(JSON.parse(listed.stdout)[0].code);
    expect(truth).toContain(JSON.parse(shown.stdout).code);
    expect(listed.stderr).toMatch(
      /clock is 90 s ahead of the keychain server's .*computed with the server's time/,
    );
  });

  it('refuses a bad --time', () => {
    const r = tessera(join(tempDir(), 'home'), ['list', '--time', 'noon']);
    expect([r.status, r.stderr]).toEqual([
      1,
      'tessera: --time: must be Unix seconds (e.g. 1700000000), got "noon"\n',
    ]);
  });
});
