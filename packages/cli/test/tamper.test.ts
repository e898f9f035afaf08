import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret, fails, listJson, ok, tempDir, tessera } from './vault-harness.js';

describe('a tampered vault', () => {
  it('is refused with a message naming the file and the restore command; the documented command restores the previous generation', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'One', 'a');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'Two', 'b');
    addSecret(home, 'JBSWY3DPEHPK3PXR', 'Three', 'c');
    const vaultFile = join(home, 'vault.bin');
    const bytes = readFileSync(vaultFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x20; // one byte, in the ciphertext
    writeFileSync(vaultFile, bytes);

    const message = `${vaultFile} is damaged or was modified: authentication failed (a byte was changed, or the file was cut short); the previous generation ${vaultFile}.1 is kept: restore it with \`tessera vault restore-previous\``;
    expect(fails(home, ['list'])).toBe(message);
    expect(fails(home, ['show', 'one'])).toBe(message);
    expect(fails(home, ['add', '--secret', 'JBSWY3DPEHPK3PXS', '--issuer', 'Four'])).toBe(message);
    expect(readFileSync(vaultFile)).toEqual(bytes); // nothing overwrote the evidence

    const check = tessera(home, ['vault', 'check']);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(
      `${vaultFile}: DAMAGED\n  ${vaultFile} is damaged or was modified: authentication failed`,
    );
    expect(check.stdout).toMatch(
      /vault\.bin\.1: ok \(generation 2, 2 entries, 0 deleted, written .*, key: file\)/,
    );
    expect(check.stderr).toBe(
      'tessera: the vault is damaged; restore the previous generation with `tessera vault restore-previous`\n',
    );

    const restored = ok(home, ['vault', 'restore-previous']);
    expect(restored).toMatch(
      /^restored generation 2 \(written .*, 2 entries\)\nthe replaced file is kept as .*vault\.bin\.damaged-/,
    );
    const aside = readdirSync(home).find((name) => name.startsWith('vault.bin.damaged-'))!;
    expect(readFileSync(join(home, aside))).toEqual(bytes);
    expect(listJson(home).map((e) => e.issuer)).toEqual(['One', 'Two']);
    expect(ok(home, ['vault', 'check'])).toMatch(/vault\.bin: ok \(generation 2, 2 entries/);
    addSecret(home, 'JBSWY3DPEHPK3PXR', 'Three', 'c');
    expect(listJson(home)).toHaveLength(3);
  });

  it('restore-previous refuses to undo an intact vault unless forced, and says when there is nothing to restore', () => {
    const home = join(tempDir(), 'home');
    expect(fails(home, ['vault', 'restore-previous'])).toBe(
      `there is no previous generation to restore (${join(home, 'vault.bin.1')} is missing)`,
    );
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'One', 'a');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'Two', 'b');
    expect(fails(home, ['vault', 'restore-previous'])).toMatch(
      /vault\.bin is intact; restoring .*vault\.bin\.1 would undo the latest change \(pass --force/,
    );
    ok(home, ['vault', 'restore-previous', '--force']);
    expect(listJson(home).map((e) => e.issuer)).toEqual(['One']);
  });

  it('vault check --json reports both generations', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'One', 'a');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'Two', 'b');
    ok(home, ['rm', 'one', '--yes']);
    const report = JSON.parse(ok(home, ['vault', 'check', '--json']));
    expect(report).toMatchObject({
      ok: true,
      current: {
        present: true,
        ok: true,
        generation: 3,
        entries: 1,
        tombstones: 1,
        custody: 'file',
        problems: [],
      },
      previous: { present: true, ok: true, generation: 2, entries: 2, tombstones: 0 },
    });
  });
});

describe('a passphrase-locked vault', () => {
  it('opens with --passphrase-file or TESSERA_PASSPHRASE only, and unlocks again', () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'One', 'a');
    writeFileSync(join(dir, 'new'), 'correct horse battery\n');
    ok(home, ['vault', 'passphrase', 'set', '--new-passphrase-file', join(dir, 'new')]);
    expect(readdirSync(home).sort()).toEqual(['vault.bin', 'vault.bin.1']);
    expect(fails(home, ['list'])).toBe(
      `${join(home, 'vault.bin')} is locked with a passphrase: set TESSERA_PASSPHRASE_FILE (or TESSERA_PASSPHRASE)`,
    );
    expect(fails(home, ['list'], { env: { TESSERA_PASSPHRASE: 'wrong' } })).toBe(
      'the passphrase does not open this vault',
    );
    expect(listJson(home, ['--passphrase-file', join(dir, 'new')])).toHaveLength(1);
    ok(home, ['vault', 'passphrase', 'remove'], { env: { TESSERA_PASSPHRASE: 'correct horse battery' } });
    expect(listJson(home)).toHaveLength(1);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(fails(home, ['vault', 'passphrase', 'set', '--new-passphrase-file', join(dir, 'empty')])).toBe(
      `the new passphrase file ${join(dir, 'empty')} is empty`,
    );
  });
});
