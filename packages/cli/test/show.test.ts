import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { addSecret, fails, listJson, ok, RFC_SECRET, tempDir, tessera } from './vault-harness.js';

function homeWithEntries(): string {
  const home = join(tempDir(), 'home');
  ok(home, ['add', '--secret', RFC_SECRET, '--issuer', 'GitHub', '--account', 'alice', '--digits', '8']);
  addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'bob');
  addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitLab', 'carol');
  ok(home, ['add', '--secret', RFC_SECRET, '--issuer', 'Bank', '--account', 'me', '--type', 'hotp']);
  return home;
}

describe('tessera show', () => {
  const home = homeWithEntries();

  it('prints the one code a query names (issuer or account, any case)', () => {
    expect(ok(home, ['show', 'ALICE', '--time', '59'])).toBe('94287082\n');
    expect(ok(home, ['show', 'gitlab', '--time', '59'])).toMatch(/^\d{6}\n$/);
    expect(ok(home, ['show', 'github:bob', '--time', '59'])).toBe('996554\n');
    expect(JSON.parse(ok(home, ['show', 'alice', '--json', '--time', '59']))).toMatchObject({
      issuer: 'GitHub',
      account: 'alice',
      code: '94287082',
      secondsLeft: 1,
      counter: null,
    });
  });

  it('lists the matches of an ambiguous query and exits non-zero; names a query that matches nothing', () => {
    expect(fails(home, ['show', 'git'])).toBe(
      '"git" matches 3 entries: GitHub (alice), GitHub (bob), GitLab (carol); be more specific (e.g. "issuer:account")',
    );
    expect(fails(home, ['show', 'github'])).toMatch(
      /^"github" matches 2 entries: GitHub \(alice\), GitHub \(bob\)/,
    );
    expect(fails(home, ['show', 'nobody'])).toBe('no entry matches "nobody"');
  });

  it('advances and saves an HOTP counter before printing each code (RFC 4226 Appendix D)', () => {
    expect(ok(home, ['show', 'bank'])).toBe('755224\n');
    expect(JSON.parse(ok(home, ['show', 'bank', '--json']))).toMatchObject({
      code: '287082',
      counter: 1,
      secondsLeft: null,
    });
    expect(ok(home, ['show', 'bank'])).toBe('359152\n');
    expect(listJson(home).find((e) => e.issuer === 'Bank')!.counter).toBe(3);
  });

  it('--copy hands the code to the clipboard tool on stdin', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    const copied = join(dir, 'clipboard');
    // A stand-in for wl-copy that records what it was given.
    writeFileSync(join(dir, 'bin', 'wl-copy'), `#!/bin/sh\ncat > '${copied}'\n`);
    chmodSync(join(dir, 'bin', 'wl-copy'), 0o755);
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, WAYLAND_DISPLAY: 'wayland-test' };
    const r = tessera(home, ['show', 'alice', '--copy', '--time', '59'], { env });
    expect(r).toEqual({ status: 0, stdout: '', stderr: 'copied the code of GitHub (alice), 1s left\n' });
    expect(readFileSync(copied, 'utf8')).toBe('94287082');
  });

  it('--copy with a clipboard tool that refuses before reading says it was not copied', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    // wl-copy without a compositor: it quits before reading stdin, closing the pipe under the code.
    writeFileSync(join(dir, 'bin', 'wl-copy'), '#!/bin/sh\nexec 0<&-\necho "no compositor" >&2\nexit 1\n');
    chmodSync(join(dir, 'bin', 'wl-copy'), 0o755);
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, WAYLAND_DISPLAY: 'wayland-test' };
    for (let i = 0; i < 12; i++) {
      expect(tessera(home, ['show', 'alice', '--copy'], { env })).toEqual({
        status: 1,
        stdout: '',
        stderr: 'tessera: wl-copy exited with status 1; the code was not copied\n',
      });
    }
  });

  it('--copy without a clipboard says so and what to do', () => {
    // Only node's own directory on PATH: no clipboard tool can be found.
    const r = tessera(home, ['show', 'alice', '--copy'], {
      env: { PATH: dirname(process.execPath), WAYLAND_DISPLAY: '', DISPLAY: '' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'tessera: no clipboard is reachable (needs wl-copy on Wayland, xclip or xsel on X11, pbcopy, or clip.exe); run without --copy\n',
    );
    // An HOTP code that could not be copied is not made: the counter stays where it was.
    const counter = () => listJson(home).find((e) => e.issuer === 'Bank')!.counter;
    const before = counter();
    const hotp = tessera(home, ['show', 'bank', '--copy'], {
      env: { PATH: dirname(process.execPath), WAYLAND_DISPLAY: '', DISPLAY: '' },
    });
    expect(hotp.status).toBe(1);
    expect(hotp.stderr).toMatch(/^tessera: no clipboard is reachable/);
    expect(counter()).toBe(before);
  });

  it('warns when the clock is known to be off', async () => {
    const other = join(tempDir(), 'home');
    addSecret(other, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
    const vault = await openNodeVault({ home: other, keyStore: 'file' });
    const now = Date.now();
    await vault.recordServerTime({ serverTime: now - 30_000, sentAt: now, receivedAt: now });
    const r = tessera(other, ['show', 'alice']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d{6}\n$/);
    expect(r.stderr).toMatch(
      /^tessera: warning: this computer's clock is 30 s ahead of the keychain server's/,
    );
  });
});
