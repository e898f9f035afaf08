import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret, fails, listJson, ok, tempDir } from './vault-harness.js';

describe('tessera trash', () => {
  it('lists deleted entries, restores one with its secret, and empties the rest for good', () => {
    const home = join(tempDir(), 'home');
    expect(ok(home, ['trash'])).toBe('the trash is empty\n');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitLab', 'bob');
    const [github] = listJson(home) as Array<{ id: string }>;
    expect(ok(home, ['rm', 'alice', '--yes'])).toBe(
      `deleted GitHub (alice); \`tessera trash restore ${github!.id}\` brings it back within 30 days\n`,
    );
    ok(home, ['rm', 'bob', '--yes']);
    const listed = ok(home, ['trash']).trimEnd().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed.find((l) => l.startsWith(github!.id))).toMatch(
      /^\S+ {2}GitHub {2}alice {2}deleted \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    const json = JSON.parse(ok(home, ['trash', '--json'])) as Array<{ issuer: string; deletedAt: string }>;
    expect(json.map((e) => e.issuer).sort()).toEqual(['GitHub', 'GitLab']);
    expect(Date.parse(json[0]!.deletedAt)).toBeGreaterThan(0);

    expect(fails(home, ['trash', 'restore', 'nobody'])).toBe(
      'nothing in the trash matches "nobody" (`tessera trash` lists what is there)',
    );
    expect(ok(home, ['trash', 'restore', github!.id])).toBe('restored GitHub (alice)\n');
    expect(listJson(home).map((e) => [e.issuer, e.secret])).toEqual([['GitHub', 'JBSWY3DPEHPK3PXP']]);

    expect(ok(home, ['trash', 'empty'])).toBe('wiped 1 entry for good\n');
    expect(ok(home, ['trash'])).toBe('the trash is empty\n');
    expect(fails(home, ['trash', 'restore', 'bob'])).toMatch(/^nothing in the trash matches "bob"/);
    expect(ok(home, ['trash', 'empty'])).toBe('the trash is already empty\n');
  });
});
