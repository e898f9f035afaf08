import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationUris } from '@tessera/formats';
import { parseUri } from '@tessera/otp';
import { addSecret, fails, listJson, ok, RFC_SECRET, tempDir } from './vault-harness.js';

describe('tessera add', () => {
  it('adds from a secret with defaults filled, and from a secret with every field', () => {
    const home = join(tempDir(), 'home');
    expect(addSecret(home, 'jbsw y3dp ehpk 3pxp', 'GitHub', 'alice')).toBe('added GitHub (alice)\n');
    ok(home, [
      'add',
      '--secret',
      RFC_SECRET,
      '--issuer',
      'Bank',
      '--account',
      'me',
      '--type',
      'HOTP',
      '--algorithm',
      'sha256',
      '--digits',
      '8',
      '--counter',
      '5',
    ]);
    const [github, bank] = listJson(home);
    expect(github).toMatchObject({
      type: 'totp',
      issuer: 'GitHub',
      account: 'alice',
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
      tags: [],
      deviceOnly: false,
    });
    expect(bank).toMatchObject({
      type: 'hotp',
      algorithm: 'SHA256',
      digits: 8,
      period: null,
      counter: 5,
      code: null,
      secondsLeft: null,
    });
  });

  it('adds from an otpauth:// URI, with --issuer/--account overriding the label', () => {
    const home = join(tempDir(), 'home');
    ok(home, [
      'add',
      '--uri',
      'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&period=60',
    ]);
    ok(home, [
      'add',
      '--uri',
      `otpauth://totp/Old:x?secret=${RFC_SECRET}`,
      '--issuer',
      'New',
      '--account',
      'y',
    ]);
    expect(listJson(home).map((e) => [e.issuer, e.account, e.period])).toEqual([
      ['Example', 'alice@example.com', 60],
      ['New', 'y', 30],
    ]);
  });

  it('adds every entry of an otpauth-migration:// URI in one go', async () => {
    const home = join(tempDir(), 'home');
    const entries = [
      'otpauth://totp/One:a?secret=JBSWY3DPEHPK3PXP',
      `otpauth://hotp/Two:b?secret=${RFC_SECRET}&counter=3`,
    ].map((uri) => parseUri(uri));
    const [uri] = migrationUris(entries).uris;
    expect(ok(home, ['add', '--uri', uri!])).toBe('added One (a)\nadded Two (b)\n');
    expect(listJson(home).map((e) => [e.issuer, e.counter])).toEqual([
      ['One', null],
      ['Two', 3],
    ]);
  });

  it('adds from a QR code image', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const QRCode = (await import('qrcode')).default;
    const png = join(dir, 'code.png');
    writeFileSync(
      png,
      await QRCode.toBuffer('otpauth://totp/Shop:carol?secret=JBSWY3DPEHPK3PXP&issuer=Shop', { type: 'png' }),
    );
    expect(ok(home, ['add', '--qr', png, '--tag', 'scanned'])).toBe('added Shop (carol)\n');
    expect(listJson(home)[0]).toMatchObject({ issuer: 'Shop', account: 'carol', tags: ['scanned'] });
    writeFileSync(join(dir, 'blank.png'), await QRCode.toBuffer('not an otpauth uri', { type: 'png' }));
    expect(fails(home, ['add', '--qr', join(dir, 'blank.png')])).toMatch(/blank\.png/);
    expect(fails(home, ['add', '--qr', join(dir, 'missing.png')])).toBe(
      `${join(dir, 'missing.png')} does not exist`,
    );
  });

  it('marks device-only entries and tags them', () => {
    const home = join(tempDir(), 'home');
    const out = ok(home, [
      'add',
      '--secret',
      'JBSWY3DPEHPK3PXP',
      '--issuer',
      'Local',
      '--account',
      'x',
      '--device-only',
      '--tag',
      'work',
      '--tag',
      'vpn',
      '--json',
    ]);
    const parsed = JSON.parse(out) as { added: Array<Record<string, unknown>>; duplicates: unknown[] };
    expect(parsed.added[0]).toMatchObject({
      issuer: 'Local',
      account: 'x',
      deviceOnly: true,
      tags: ['work', 'vpn'],
    });
    expect(parsed.duplicates).toEqual([]);
    expect(listJson(home)[0]).toMatchObject({ deviceOnly: true, tags: ['work', 'vpn'] });
  });

  it('binds an entry to sites with --site, which list --json shows; a bad site stores nothing', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'Bank', 'alice', [
      '--site',
      'Bank.Example.com',
      '--site',
      'bank.example.org',
    ]);
    expect(listJson(home)[0]).toMatchObject({
      issuer: 'Bank',
      sites: ['bank.example.com', 'bank.example.org'],
    });
    expect(
      fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXQ', '--issuer', 'X', '--site', 'https://x.example']),
    ).toBe('sites: "https://x.example" is not a domain name like example.com');
    expect(listJson(home)).toHaveLength(1);
  });

  it('refuses a duplicate (same secret, type, issuer and account) and changes nothing', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    const before = readFileSync(join(home, 'vault.bin'));
    const id = listJson(home)[0]!.id as string;
    expect(fails(home, ['add', '--uri', 'otpauth://totp/github:ALICE?secret=jbswy3dpehpk3pxp'])).toBe(
      `github (ALICE) is already in the vault (id ${id}); nothing added`,
    );
    expect(readFileSync(join(home, 'vault.bin'))).toEqual(before);
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice-work'); // another account is another entry
    expect(listJson(home)).toHaveLength(2);
  });

  it('explains each wrong use precisely and stores nothing', () => {
    const home = join(tempDir(), 'home');
    expect(fails(home, ['add'])).toBe('give exactly one of --uri, --qr or --secret');
    expect(fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXP'])).toBe(
      '--secret needs --issuer and/or --account to name the entry',
    );
    expect(fails(home, ['add', '--secret', 'JBSWY3DP!', '--issuer', 'x'])).toMatch(/^secret: not Base32/);
    expect(fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXP', '--issuer', 'x', '--digits', 'six'])).toBe(
      '--digits: must be a whole number, got "six"',
    );
    expect(fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXP', '--issuer', 'x', '--digits', '12'])).toMatch(
      /^digits: /,
    );
    expect(fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXP', '--issuer', 'x', '--type', 'motp'])).toMatch(
      /^type: unsupported "motp"/,
    );
    expect(fails(home, ['add', '--uri', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP', '--period', '60'])).toBe(
      '--period goes with --secret; a URI or QR code carries its own parameters',
    );
    expect(
      fails(home, [
        'add',
        '--uri',
        'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP',
        '--secret',
        'JBSWY3DPEHPK3PXP',
      ]),
    ).toBe('give exactly one of --uri, --qr or --secret');
    expect(fails(home, ['add', '--uri', 'otpauth://totp/x'])).toMatch(/secret/);
    expect(existsSync(home)).toBe(false);
  });
});
