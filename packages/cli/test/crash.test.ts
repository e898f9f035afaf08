import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, listJson, ok, tempDir } from './vault-harness.js';

const WORKERS = 2;
const ROUNDS = 25;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A distinct 16-character Base32 secret per number. */
function secretFor(n: number): string {
  return `JBSWY3DPEHPK${[3, 2, 1, 0].map((i) => BASE32[Math.floor(n / 32 ** i) % 32]).join('')}`;
}

/** Runs `tessera add`, killing it with SIGKILL after `killAfterMs` unless it finished first. */
function addKilledAfter(
  home: string,
  n: number,
  killAfterMs: number,
): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [BIN, '--home', home, 'add', '--secret', secretFor(n), '--issuer', `Entry ${n}`, '--account', 'crash'],
    {
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    }),
  );
}

describe('crash safety', () => {
  it('after adds killed with SIGKILL at random moments, the vault opens, passes its check and holds every reported entry', async () => {
    const home = join(tempDir(), 'home');
    // How long an add takes on this machine now, so kill times spread over a whole run.
    const probe = await addKilledAfter(home, 1_000_000, 60_000);
    expect(probe.code, probe.stderr).toBe(0);
    const reported = [`Entry ${1_000_000}`];
    let killed = 0;
    const worker = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        const n = w * 1000 + i;
        const result = await addKilledAfter(home, n, Math.random() * probe.ms * WORKERS * 1.5);
        if (result.code === 0) reported.push(`Entry ${n}`);
        else if (result.signal === 'SIGKILL') killed += 1;
        else throw new Error(`add ${n} failed without being killed (exit ${result.code}): ${result.stderr}`);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    expect(ok(home, ['vault', 'check'])).toMatch(/vault\.bin: ok/);
    const stored = new Set(listJson(home).map((e) => e.issuer));
    expect(reported.filter((issuer) => !stored.has(issuer))).toEqual([]);
    // The run exercised both outcomes (kill times cover 0 to 1.5 x a full run under contention).
    expect(killed).toBeGreaterThan(0);
    expect(reported.length).toBeGreaterThan(1);
  }, 240_000);

  it('a SIGKILL in the middle of the vault write itself leaves the vault as it was, and the next add works', async () => {
    const home = join(tempDir(), 'home');
    ok(home, ['add', '--secret', secretFor(1), '--issuer', 'Before', '--account', 'crash']);
    const child = spawn(
      process.execPath,
      [BIN, '--home', home, 'add', '--secret', secretFor(2), '--issuer', 'During', '--account', 'crash'],
      { env: { ...cliEnv(), TESSERA_TEST_PAUSE_IN_WRITE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const closed = new Promise((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    // Half of the new vault is on disk (fsynced) when the hook says so: kill right there.
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('paused in the middle of a vault write')) resolve();
      });
      child.on('close', () => reject(new Error(`add ended before its write: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    expect(ok(home, ['vault', 'check'])).toMatch(/vault\.bin: ok/);
    expect(listJson(home).map((e) => e.issuer)).toEqual(['Before']);
    ok(home, ['add', '--secret', secretFor(3), '--issuer', 'After', '--account', 'crash']);
    expect(listJson(home).map((e) => e.issuer)).toEqual(['Before', 'After']);
  }, 60_000);
});
