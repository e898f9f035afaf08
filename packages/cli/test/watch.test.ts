import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { totp } from '@tessera/otp';
import { addSecret, BIN, fails, listJson, ok, RFC_SECRET, tempDir, Terminal } from './vault-harness.js';

/** A code is right if it is the code of now or of the step just before/after (the screen is read a moment later). */
function plausibleCodes(secret: string, digits = 6): string[] {
  const now = Date.now() / 1000;
  return [-30, 0, 30]
    .map((d) => totp({ secret, time: now + d, digits }))
    .map((c) => `${c.slice(0, digits / 2)} ${c.slice(digits / 2)}`);
}

describe('tessera watch', () => {
  const dir = tempDir();
  const home = join(dir, 'home');
  addSecret(home, 'JBSWY3DPEHPK3PXP', 'GitHub', 'alice');
  addSecret(home, 'JBSWY3DPEHPK3PXQ', 'GitLab', 'bob');
  ok(home, ['add', '--secret', RFC_SECRET, '--type', 'hotp', '--issuer', 'Bank', '--account', 'me']);
  const command = `TESSERA_KEY_STORE=file '${process.execPath}' '${BIN}' --home '${home}' watch`;
  const terminals: Terminal[] = [];
  afterAll(() => terminals.forEach((t) => t.close()));

  it('shows live codes with a countdown, searches as you type, makes HOTP codes on Enter, and restores the terminal on q', async () => {
    const term = new Terminal(dir, command);
    terminals.push(term);
    let screen = await term.waitFor((s) => s.includes('Tessera: 3 entries'), 'the live list');
    expect(term.modes()).toEqual({ alternate: true, cursorVisible: false });
    const row = (s: string, issuer: string) => s.split('\n').find((line) => line.startsWith(issuer)) ?? '';
    expect(plausibleCodes('JBSWY3DPEHPK3PXP')).toContain(/(\d{3} \d{3})/.exec(row(screen, 'GitHub'))?.[1]);
    expect(plausibleCodes('JBSWY3DPEHPK3PXQ')).toContain(/(\d{3} \d{3})/.exec(row(screen, 'GitLab'))?.[1]);
    expect(row(screen, 'Bank')).toContain('Enter for a code');
    expect(screen).toContain('q or Ctrl-C quits');

    // The countdown redraws every second.
    const secondsLeft = (s: string) => /(\d+)s\s*$/.exec(row(s, 'GitHub'))?.[1];
    const first = secondsLeft(screen);
    await term.waitFor(
      (s) => secondsLeft(s) !== undefined && secondsLeft(s) !== first,
      'the countdown to tick',
      4000,
    );

    term.type('LAB');
    screen = await term.waitFor((s) => s.includes('Search: LAB'), 'the search text');
    expect(row(screen, 'GitLab')).toContain('bob');
    expect(row(screen, 'GitHub')).toBe('');
    term.keys('BSpace', 'BSpace', 'BSpace');
    await term.waitFor((s) => row(s, 'GitHub') !== '' && row(s, 'Bank') !== '', 'every entry again');

    term.type('bank');
    await term.waitFor((s) => s.includes('Search: bank') && row(s, 'GitHub') === '', 'the bank entry alone');
    term.keys('Enter');
    await term.waitFor((s) => row(s, 'Bank').includes('755 224'), 'the first HOTP code (RFC 4226)');
    // With a search typed, q is part of the search; Esc clears it; then q quits.
    term.type('q');
    await term.waitFor((s) => s.includes('Search: bankq'), 'q typed into the search');
    term.keys('Escape');
    await term.waitFor((s) => /Search:\s*\n/.test(s) && row(s, 'GitHub') !== '', 'the cleared search');
    term.type('q');
    screen = await term.waitFor((s) => s.includes('EXITED 0'), 'watch to exit');
    expect(term.modes()).toEqual({ alternate: false, cursorVisible: true });
    expect(screen).not.toContain('Tessera: 3 entries');
    expect(listJson(home).find((e) => e.issuer === 'Bank')!.counter).toBe(1);
  }, 60_000);

  it('quits on Ctrl-C and restores the terminal', async () => {
    const term = new Terminal(tempDir(), command);
    terminals.push(term);
    await term.waitFor((s) => s.includes('Tessera: 3 entries'), 'the live list');
    term.keys('C-c');
    await term.waitFor((s) => s.includes('EXITED 0'), 'watch to exit');
    expect(term.modes()).toEqual({ alternate: false, cursorVisible: true });
  }, 30_000);

  it('picks up entries added by another process while it runs', async () => {
    const term = new Terminal(tempDir(), command);
    terminals.push(term);
    await term.waitFor((s) => s.includes('Tessera: 3 entries'), 'the live list');
    addSecret(home, 'JBSWY3DPEHPK3PXR', 'Added', 'later');
    await term.waitFor(
      (s) => s.includes('Tessera: 4 entries') && s.includes('Added'),
      'the new entry',
      10_000,
    );
    term.keys('C-c');
    await term.waitFor((s) => s.includes('EXITED 0'), 'watch to exit');
  }, 30_000);

  it('refuses to run without a terminal', () => {
    expect(fails(home, ['watch'])).toBe('watch needs a terminal; use `tessera list` in scripts');
  });
});
