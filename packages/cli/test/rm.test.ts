import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret, fails, listJson, ok, tempDir } from './vault-harness.js';

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
    expect(ok(home, ['rm', 'alice', '--yes'])).toBe('deleted GitHub (alice)\n');
    expect(listJson(home).map((e) => e.account)).toEqual(['bob']);
    expect(fails(home, ['rm', 'alice', '-y'])).toBe('no entry matches "alice"');
    // The same credential can come back as a new entry.
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    expect(listJson(home)).toHaveLength(2);
  });
});
