import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret, fails, listJson, ok, tempDir } from './vault-harness.js';

describe('tessera rename', () => {
  it('changes issuer and/or account, keeping the entry and its secret', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitLab', 'bob');
    const [before] = listJson(home);
    expect(ok(home, ['rename', 'alice', '--issuer', 'GitHub Enterprise'])).toBe(
      'renamed GitHub (alice) to GitHub Enterprise (alice)\n',
    );
    expect(ok(home, ['rename', 'enterprise', '--account', 'alice@corp'])).toBe(
      'renamed GitHub Enterprise (alice) to GitHub Enterprise (alice@corp)\n',
    );
    const [after] = listJson(home);
    expect(after).toMatchObject({
      id: before!.id,
      secret: before!.secret,
      issuer: 'GitHub Enterprise',
      account: 'alice@corp',
    });
  });

  it('needs a new name and one matching entry', () => {
    const home = join(tempDir(), 'home');
    addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitLab', 'bob');
    expect(fails(home, ['rename', 'alice'])).toBe('give --issuer and/or --account');
    expect(fails(home, ['rename', 'git', '--issuer', 'X'])).toMatch(
      /^"git" matches 2 entries: GitHub \(alice\), GitLab \(bob\)/,
    );
    expect(fails(home, ['rename', 'zzz', '--issuer', 'X'])).toBe('no entry matches "zzz"');
  });
});
