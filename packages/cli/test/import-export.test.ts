// Runs the real `tessera` binary (built by `npm test`, or `npx tsc -b packages/cli`) in temp dirs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportEntries } from '@tessera/formats';

const BIN = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

const URIS = [
  'otpauth://totp/Example:alice@example.com?secret=jbswy3dpehpk3pxp====&issuer=Example',
  'otpauth://hotp/Counter:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7&digits=8&algorithm=SHA256',
  'otpauth://steam/Steam:carol?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
];

const ONE_ENTRY = [
  {
    type: 'totp' as const,
    secret: 'JBSWY3DPEHPK3PXP',
    algorithm: 'SHA1' as const,
    digits: 6,
    period: 30,
    counter: null,
    issuer: 'Example',
    account: 'alice',
  },
];

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-import-'));
  env = { ...process.env, TESSERA_HOME: join(dir, 'home'), TESSERA_KEY_STORE: 'file', TESSERA_PASSWORD: '' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tessera(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...env, ...extraEnv },
    cwd: dir,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function storedUris(): string[] {
  const r = tessera(['export', '--format', 'otpauth']);
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('tessera import', () => {
  it('--dry-run --json prints the entries in the documented shape and stores nothing', () => {
    const r = tessera(['import', '--dry-run', '--json', file('list.txt', URIS.join('\n') + '\n')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        type: 'totp',
        issuer: 'Example',
        account: 'alice@example.com',
        secret: 'JBSWY3DPEHPK3PXP',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
      },
      {
        type: 'hotp',
        issuer: 'Counter',
        account: 'bob',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA256',
        digits: 8,
        period: null,
        counter: 7,
      },
      {
        type: 'steam',
        issuer: 'Steam',
        account: 'carol',
        secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
        algorithm: 'SHA1',
        digits: 5,
        period: 30,
        counter: null,
      },
    ]);
    expect(existsSync(join(dir, 'home'))).toBe(false);
  });

  it('stores entries, reports duplicates on a second import, and skipped entries with reasons', () => {
    const list = file(
      'list.txt',
      [...URIS, 'otpauth://totp/Bad:dan?secret=JBSWY3DPEHPK3PXP&digits=12'].join('\n'),
    );
    const first = tessera(['import', list]);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/3 added, 0 already stored, 1 skipped/);
    expect(first.stdout).toMatch(/skipped line 4 Bad:dan: digits: must be 6 to 10, got 12/);
    const again = tessera(['import', '--json', list]);
    expect(again.status).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.added).toEqual([]);
    expect(report.duplicates).toHaveLength(3);
    expect(report.skipped[0]).toMatchObject({ index: 3, line: 4, reason: 'digits: must be 6 to 10, got 12' });
    expect(storedUris()).toHaveLength(3);
  });

  it('imports the good lines of a list with a line that is no URI, and names that line', () => {
    const list = file('mixed.txt', [URIS[0], '', 'JBSWY3DPEHPK3PXP pasted by hand', URIS[1]].join('\n'));
    const r = tessera(['import', list]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/2 added, 0 already stored, 1 skipped/);
    expect(r.stdout).toMatch(/^skipped line 3: not an otpauth:\/\/ URI$/m);
    // The stray line may hold a secret: it is named by its number, never echoed.
    expect(r.stdout + r.stderr).not.toContain('pasted by hand');
    expect(storedUris()).toHaveLength(2);
  });

  it('says a missing file does not exist', () => {
    const r = tessera(['import', join(dir, 'nowhere.json')]);
    expect([r.status, r.stderr]).toEqual([1, `tessera: ${join(dir, 'nowhere.json')} does not exist\n`]);
  });

  it('reads an encrypted Aegis export with --password-file or TESSERA_PASSWORD; a wrong password stores nothing', async () => {
    const aegis = await exportEntries({ entries: ONE_ENTRY, format: 'aegis', password: 'hunter2' });
    const vault = file('aegis-export.json', aegis.files[0]!.bytes);
    const wrong = tessera(['import', vault, '--password-file', file('wrong.txt', 'nope\n')]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe(
      'tessera: aegis-export.json: wrong password for this Aegis vault file (or the file was altered)\n',
    );
    expect(existsSync(join(dir, 'home'))).toBe(false);
    const missing = tessera(['import', vault]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /aegis-export\.json: this Aegis vault file is encrypted; give its password/,
    );
    const ok = tessera(['import', vault], { TESSERA_PASSWORD: 'hunter2' });
    expect(ok.stdout).toMatch(/1 added/);
    expect(storedUris()).toEqual([
      'otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30',
    ]);
  });

  it('refuses a file asking for scrypt N = 2^31 at once, naming file and field', async () => {
    const vault = JSON.parse(
      (await exportEntries({ entries: ONE_ENTRY, format: 'aegis', password: 'pw' })).text!,
    );
    vault.header.slots[0].n = 2 ** 31;
    // Refused before any derivation: run, N = 2^31 would need 2 TiB and fail with another message.
    const r = tessera([
      'import',
      file('costly.json', JSON.stringify(vault)),
      '--password-file',
      file('pw', 'pw'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'tessera: costly.json: Aegis vault asks for scrypt N=2^31 (limit 2^20) in field header.slots[0].n; refusing to run a key derivation that costly\n',
    );
  });

  it('names an unknown file and exits 1', () => {
    const r = tessera(['import', file('notes.txt', 'just some notes\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tessera: notes\.txt: not a format Tessera recognises/);
  });

  it('lists the formats', () => {
    const r = tessera(['import', '--list-formats', '--json']);
    const ids = JSON.parse(r.stdout).map((f: { id: string }) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'aegis',
        '2fas',
        'andotp',
        'bitwarden',
        'ente',
        'proton',
        'google-migration',
        'otpauth',
        'tessera',
        'dashlane-json',
      ]),
    );
  });

  it('imports a Dashlane JSON export (otpSecret of AUTHENTIFIANT entries)', () => {
    const dashlane = JSON.stringify({
      AUTHENTIFIANT: [
        { title: 'Example', login: 'alice@example.com', password: 'pw', otpSecret: 'JBSWY3DPEHPK3PXP' },
        { title: 'No code', login: 'zoe', password: 'pw', otpSecret: '' },
      ],
    });
    const r = tessera(['import', '--dry-run', '--json', file('dashlane.json', dashlane)]);
    expect(r.status).toBe(0);
    expect(
      JSON.parse(r.stdout).map((e: { issuer: string; account: string }) => [e.issuer, e.account]),
    ).toEqual([['Example', 'alice@example.com']]);
  });
});

describe('tessera export', () => {
  beforeEach(() => {
    expect(tessera(['import', file('list.txt', URIS.join('\n'))]).status).toBe(0);
  });

  it('writes a Tessera backup that imports back, and needs a password for it', () => {
    const none = tessera(['export', '--format', 'tessera', '--out', join(dir, 'b.json')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/always encrypted/);
    expect(existsSync(join(dir, 'b.json'))).toBe(false);
    const out = tessera(['export', '--format', 'tessera', '--out', join(dir, 'b.json')], {
      TESSERA_PASSWORD: 'pw',
    });
    expect(out.status).toBe(0);
    const back = tessera(['import', '--dry-run', '--json', join(dir, 'b.json')], { TESSERA_PASSWORD: 'pw' });
    expect(JSON.parse(back.stdout).map((e: { account: string }) => e.account)).toEqual([
      'alice@example.com',
      'bob',
      'carol',
    ]);
  });

  it('writes Google QR PNG files into a directory and reports what Google cannot carry', () => {
    const r = tessera(['export', '--format', 'google-qr', '--out', join(dir, 'qr') + '/']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/not exported: Steam \(carol\): type: Steam/);
    const files = readdirSync(join(dir, 'qr'));
    expect(files).toEqual(['google-authenticator-1-of-1.png']);
    expect(
      readFileSync(join(dir, 'qr', files[0]!))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('draws Google QR codes in the terminal without --out', () => {
    const r = tessera(['export', '--format', 'google-qr']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/QR code 1 of 1/);
    expect(r.stdout).toMatch(/[▀▄█]/);
  });

  it('writes an encrypted Aegis vault when a password is given', () => {
    const r = tessera(['export', '--format', 'aegis', '--out', join(dir, 'a.json')], {
      TESSERA_PASSWORD: 'pw',
    });
    expect(r.status).toBe(0);
    const vault = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    expect(vault.header.slots[0].n).toBe(32768);
    const back = tessera(['import', '--dry-run', '--json', join(dir, 'a.json')], { TESSERA_PASSWORD: 'pw' });
    expect(JSON.parse(back.stdout)).toHaveLength(3);
  });

  it('refuses an unknown format', () => {
    const r = tessera(['export', '--format', 'pdf']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown export format "pdf"/);
  });
});
