import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, tessera } from './vault-harness.js';

describe('tessera with a command that does not exist', () => {
  const home = () => join(tempDir(), 'home');

  it('is an error with a pointer to the help, also when --help follows it', () => {
    for (const args of [['frobnicate'], ['frobnicate', '--help'], ['--home', home(), 'frobnicate']]) {
      const r = tessera(home(), args);
      expect([r.status, r.stdout, r.stderr], args.join(' ')).toEqual([
        1,
        '',
        "tessera: unknown command 'frobnicate' for tessera; see `tessera --help`\n",
      ]);
    }
  });

  it('names the nearest command, at any depth', () => {
    expect(tessera(home(), ['lst']).stderr).toBe(
      "tessera: unknown command 'lst' for tessera; did you mean 'list'? see `tessera --help`\n",
    );
    const r = tessera(home(), ['keychain', 'statsu', '--help']);
    expect([r.status, r.stderr]).toEqual([
      1,
      "tessera: unknown command 'statsu' for tessera keychain; did you mean 'status'? see `tessera keychain --help`\n",
    ]);
  });

  it('leaves real commands and their help alone', () => {
    const help = tessera(home(), ['keychain', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tessera keychain/);
    expect(tessera(home(), ['code', '--secret', 'JBSWY3DPEHPK3PXP', '--time', '59']).stdout).toBe('996554\n');
  });
});
