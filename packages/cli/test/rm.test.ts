import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { addSecret, BIN, fails, listJson, ok, tempDir, Terminal } from './vault-harness.js';

describe('tessera rm', () => {
  it('deletes with --yes, refuses without confirmation off a terminal, and refuses ambiguous queries', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitHub', 'bob');
    expect(fails(home, ['rm', 'alice'])).toBe(
      'not deleting GitHub (alice) without confirmation: run on a terminal, or pass --yes',
    );
    expect(fails(home, ['rm', 'github', '--yes'])).toMatch(/^"github" matches 2 entries/);
    expect(listJson(home)).toHaveLength(2);
    expect(ok(home, ['rm', 'alice', '--yes'])).toMatch(
      /^deleted GitHub \(alice\); `tessera trash restore \S+` brings it back within 30 days\n$/,
    );
    expect(listJson(home).map((e) => e.account)).toEqual(['bob']);
    expect(fails(home, ['rm', 'alice', '-y'])).toBe('no entry matches "alice"');
    // The same credential can come back as a new entry.
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    expect(listJson(home)).toHaveLength(2);
  });
});

describe('tessera rm on a terminal', () => {
  it('asks first: "no" keeps the entry, "yes" deletes it', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    const command = `TESSERA_KEY_STORE=file '${process.execPath}' '${BIN}' --home '${home}' rm alice`;
    const keep = new Terminal(mkdir(join(dir, 'keep')), command);
    try {
      await keep.waitFor((s) => s.includes('Delete GitHub (alice)?'), 'the question');
      keep.type('n');
      keep.keys('Enter');
      const screen = await keep.waitFor((s) => s.includes('EXITED'), 'rm to exit');
      expect(screen).toContain('tessera: kept GitHub (alice)');
      expect(screen).toContain('EXITED 1');
    } finally {
      keep.close();
    }
    expect(listJson(home)).toHaveLength(1);
    const remove = new Terminal(mkdir(join(dir, 'remove')), command);
    try {
      await remove.waitFor((s) => s.includes('Delete GitHub (alice)?'), 'the question');
      remove.type('y');
      remove.keys('Enter');
      const screen = await remove.waitFor((s) => s.includes('EXITED'), 'rm to exit');
      expect(screen).toContain('deleted GitHub (alice)');
      expect(screen).toContain('EXITED 0');
    } finally {
      remove.close();
    }
    expect(listJson(home)).toEqual([]);
  }, 30_000);
});

function mkdir(path: string): string {
  mkdirSync(path);
  return path;
}
