// Local backups (`tessera backup`), with the real binary in temporary homes. Time is moved with
// TESSERA_TEST_CLOCK_OFFSET_MS, the CLI's one test clock (home.ts deviceNowMs).
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret, fails, ok, RFC_SECRET, tempDir, tessera } from './vault-harness.js';

const HOUR = 60 * 60_000;
const BACKUP_NAME = /^tessera-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/;

/** A home with one entry, a backup folder and a password file (mode 0600, as it should be). */
function setup(): { home: string; dir: string; passwordFile: string; root: string } {
  const root = tempDir('tessera-backup-');
  const home = join(root, 'home');
  const dir = join(root, 'backups');
  mkdirSync(dir);
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, 'correct horse battery\n', { mode: 0o600 });
  addSecret(home, RFC_SECRET, 'GitHub', 'alice');
  return { home, dir, passwordFile, root };
}

/** The clock `ms` later than now, for one run. */
function later(ms: number): { env: NodeJS.ProcessEnv } {
  return { env: { TESSERA_TEST_CLOCK_OFFSET_MS: String(ms) } };
}

function backups(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => BACKUP_NAME.test(n))
    .sort();
}

function status(home: string, options: { env?: NodeJS.ProcessEnv } = {}): Record<string, unknown> {
  return JSON.parse(ok(home, ['backup', 'status', '--json'], options)) as Record<string, unknown>;
}

// Each backup file costs a full Argon2id (64 MiB, t=3), and some tests write and read several of them in
// sequence: on two cores shared with every other test file that takes longer than the default 30 s.
describe('tessera backup', { timeout: 120_000 }, () => {
  it('auto writes one at once, then after a change only when the last is an hour old', () => {
    const { home, dir, passwordFile } = setup();
    expect(
      ok(home, ['backup', 'auto', '--dir', dir, '--keep', '5', '--password-file', passwordFile]),
    ).toMatch(/^automatic backups on: .*\nwrote .*tessera-backup-.*\.json\n$/);
    const [first] = backups(dir);
    expect(backups(dir)).toHaveLength(1);
    expect(statSync(join(dir, first!)).mode & 0o777).toBe(0o600);
    expect(status(home)).toMatchObject({
      on: true,
      dir,
      keep: 5,
      lastFile: join(dir, first!),
      changesWaiting: false,
    });

    // Within the hour: the change waits.
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'Bank', 'me');
    expect(backups(dir)).toEqual([first]);
    expect(status(home)).toMatchObject({ changesWaiting: true });

    // A command that changes nothing writes nothing, even an hour later.
    ok(home, ['list'], later(2 * HOUR));
    expect(backups(dir)).toEqual([first]);

    // An hour later, the next change is backed up (the waiting one with it).
    ok(home, ['rename', 'Bank', '--issuer', 'Bank2'], later(HOUR + 1000));
    expect(backups(dir)).toHaveLength(2);
    expect(status(home, later(HOUR + 2000))).toMatchObject({ changesWaiting: false });
    expect(ok(home, ['backup', 'status'])).toMatch(/automatic backups: on\n.*changes waiting: no\n$/s);
  });

  it('the backup imports back with `tessera import` and gives the same codes', () => {
    const { home, dir, passwordFile, root } = setup();
    const written = ok(home, ['backup', 'now', '--dir', dir, '--password-file', passwordFile]);
    const path = /^wrote (.*)\n$/.exec(written)![1]!;
    const other = join(root, 'other');
    ok(other, ['import', path, '--password-file', passwordFile]);
    const code = ok(other, ['show', 'GitHub', '--time', '59']).trim();
    expect(code).toBe(ok(home, ['code', '--secret', RFC_SECRET, '--time', '59']).trim());
    // `backup now` outside the automatic folder leaves automatic backups off.
    expect(status(home)).toMatchObject({ on: false, lastFile: path });
  });

  it('keeps the newest N and never touches foreign files', () => {
    const { home, dir, passwordFile } = setup();
    const foreign = ['notes.txt', 'tessera-backup-old.json', '.tessera-backup-2020-01-01T00-00-00Z.json'];
    for (const name of foreign) writeFileSync(join(dir, name), 'mine');
    ok(home, ['backup', 'auto', '--dir', dir, '--keep', '2', '--password-file', passwordFile]);
    for (const hours of [1, 2, 3]) addSecret(home, RFC_SECRET, `Site${hours}`, 'me');
    // Each change an hour apart is one more backup; only the newest two stay.
    const names: string[] = [];
    for (const hours of [1, 2, 3]) {
      ok(home, ['rm', `Site${hours}`, '--yes'], later(hours * HOUR + 1000));
      names.push(...backups(dir).filter((n) => !names.includes(n)));
    }
    expect(backups(dir)).toEqual(names.slice(-2));
    expect(names).toHaveLength(4);
    for (const name of foreign) expect(readdirSync(dir)).toContain(name);
  });

  it('--keep 3 after 5 changes an hour apart leaves 3 files, each of which decrypts to the vault', () => {
    const { home, dir, passwordFile, root } = setup();
    ok(home, ['backup', 'auto', '--dir', dir, '--keep', '3', '--password-file', passwordFile]);
    for (let change = 1; change <= 5; change++)
      ok(
        home,
        ['add', '--secret', RFC_SECRET, '--issuer', `Change${change}`, '--account', 'me'],
        later(change * HOUR + 1000),
      );
    const kept = backups(dir);
    expect(kept).toHaveLength(3);
    const labels = (h: string) =>
      (JSON.parse(ok(h, ['list', '--json'])) as { issuer: string }[]).map((e) => e.issuer).sort();
    kept.forEach((name, i) => {
      const restored = join(root, `restored-${i}`);
      ok(restored, ['import', join(dir, name), '--password-file', passwordFile]);
      // The newest holds every entry; the older ones each hold one change fewer.
      expect(labels(restored)).toHaveLength(labels(home).length - (kept.length - 1 - i));
    });
    expect(labels(join(root, 'restored-2'))).toEqual(labels(home));
  });

  it('refuses a missing or empty password file and a missing folder, and warns of a readable one', () => {
    const { home, dir, passwordFile, root } = setup();
    expect(fails(home, ['backup', 'auto', '--dir', dir, '--password-file', join(root, 'nope')])).toBe(
      `the backup password file ${join(root, 'nope')} does not exist`,
    );
    const empty = join(root, 'empty');
    writeFileSync(empty, '\n');
    expect(fails(home, ['backup', 'now', '--dir', dir, '--password-file', empty])).toBe(
      `the backup password file ${empty} is empty`,
    );
    expect(
      fails(home, ['backup', 'auto', '--dir', join(root, 'missing'), '--password-file', passwordFile]),
    ).toBe(`the backup folder ${join(root, 'missing')} does not exist`);
    expect(fails(home, ['backup', 'now'])).toBe(
      'no backup folder: give --dir, or turn on `tessera backup auto`',
    );
    expect(status(home)).toMatchObject({ on: false, lastAt: null });
    chmodSync(passwordFile, 0o644);
    const r = tessera(home, ['backup', 'now', '--dir', dir, '--password-file', passwordFile]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      `tessera: warning: the backup password file ${passwordFile} is readable by other users; chmod 600 it\n`,
    );
  });

  it('a failing backup folder warns but never fails the command', () => {
    const { home, dir, passwordFile } = setup();
    ok(home, ['backup', 'auto', '--dir', dir, '--password-file', passwordFile]);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'a file where the folder was');
    const r = tessera(
      home,
      ['add', '--secret', RFC_SECRET, '--issuer', 'Later', '--account', 'me'],
      later(HOUR + 1000),
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('added Later (me)\n');
    expect(r.stderr).toBe(
      `tessera: warning: automatic backup to ${dir} failed: the backup folder ${dir} is a file, not a folder; your change is saved\n`,
    );
    expect(ok(home, ['list', '--json']).includes('Later')).toBe(true);
    expect(status(home)).toMatchObject({ changesWaiting: true });

    // The password file gone: the same kind of warning, naming the file.
    rmSync(dir);
    mkdirSync(dir);
    rmSync(passwordFile);
    const gone = tessera(home, ['rm', 'Later', '--yes'], later(HOUR + 2000));
    expect(gone.status).toBe(0);
    expect(gone.stderr).toBe(
      `tessera: warning: automatic backup to ${dir} failed: the backup password file ${passwordFile} does not exist; your change is saved\n`,
    );
    expect(backups(dir)).toEqual([]);

    ok(home, ['backup', 'off']);
    expect(status(home)).toMatchObject({ on: false, dir: null });
  });
});
