// Runs the real `tessera` binary (built by `npm test`, or `npx tsc -b packages/cli`) in temporary
// homes, for the tests of the vault commands (add, list, show, rm, rename, watch, crash, tamper).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

/** RFC 6238 Appendix B SHA-1 secret: 8-digit code 94287082 at t=59. */
export const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary directory removed after the test file. */
export function tempDir(prefix = 'tessera-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of a test run: no OS keychain, no inherited home or passphrase. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_KEY_STORE: 'file', ...extra };
  for (const name of [
    'TESSERA_HOME',
    'TESSERA_PASSPHRASE',
    'TESSERA_PASSPHRASE_FILE',
    'TESSERA_NEW_PASSPHRASE',
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Runs `tessera --home HOME ...args`. */
export function tessera(
  home: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Run {
  const r = spawnSync(process.execPath, [BIN, '--home', home, ...args], {
    encoding: 'utf8',
    env: cliEnv(options.env),
    input: options.input ?? '',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed; returns its stdout. */
export function ok(
  home: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): string {
  const r = tessera(home, args, options);
  expect(r.stderr, `tessera ${args.join(' ')}`).toBe('');
  expect(r.status, `tessera ${args.join(' ')}`).toBe(0);
  return r.stdout;
}

/** Runs a command that must fail with exit 1 and one `tessera: ...` line on stderr; returns that line. */
export function fails(
  home: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): string {
  const r = tessera(home, args, options);
  expect(r.status, `tessera ${args.join(' ')}: ${r.stderr}`).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^tessera: [^\n]+\n$/);
  return r.stderr.slice('tessera: '.length).trimEnd();
}

/** `list --json --secrets` parsed (the tests compare secrets; users get them only when they ask). */
export function listJson(home: string, extra: string[] = []): Array<Record<string, unknown>> {
  return JSON.parse(ok(home, ['list', '--json', '--secrets', ...extra])) as Array<Record<string, unknown>>;
}

/** Adds a TOTP entry from a secret and labels. */
export function addSecret(
  home: string,
  secret: string,
  issuer: string,
  account: string,
  extra: string[] = [],
): string {
  return ok(home, ['add', '--secret', secret, '--issuer', issuer, '--account', account, ...extra]);
}

/**
 * A real pseudo-terminal for interactive commands: tmux runs the command in a detached 90x20 session,
 * `send-keys` types, `capture-pane` reads the screen, and tmux's own flags tell whether the
 * alternate screen is on and the cursor visible.
 */
export class Terminal {
  private readonly socket: string;

  constructor(dir: string, command: string) {
    this.socket = join(dir, 'tmux.sock');
    // After watch exits, the shell prints its status and waits, so the restored screen can be read.
    this.tmux(['new-session', '-d', '-x', '90', '-y', '20', `${command}; echo "EXITED $?"; sleep 120`]);
  }

  tmux(args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p']);
  }

  /** `alternate_on` and `cursor_flag` of the pane. */
  modes(): { alternate: boolean; cursorVisible: boolean } {
    const [alternate, cursor] = this.tmux(['display', '-p', '#{alternate_on} #{cursor_flag}'])
      .trim()
      .split(' ');
    return { alternate: alternate === '1', cursorVisible: cursor === '1' };
  }

  type(text: string): void {
    this.tmux(['send-keys', '-l', text]);
  }

  keys(...names: string[]): void {
    this.tmux(['send-keys', ...names]);
  }

  async waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (predicate(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
  }
}
