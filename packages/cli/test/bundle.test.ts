import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A copy of bin/tessera.js beside a stand-in tsc output and bundle, each answering with its name,
 * and one package build stamp the bundle records (as scripts/bundle.mjs writes inputs.json).
 */
function layout() {
  const root = mkdtempSync(join(tmpdir(), 'tessera-bundle-'));
  dirs.push(root);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist/bundle'), { recursive: true });
  copyFileSync(bin, join(root, 'bin/tessera.js'));
  const answer = (name: string) =>
    `export async function main() { process.stdout.write(${JSON.stringify(name)}); return 0; }\n`;
  writeFileSync(join(root, 'dist/main.js'), answer('tsc output'));
  writeFileSync(join(root, 'dist/bundle/main.js'), answer('bundle'));
  const stamp = join(root, 'dist/.tsbuildinfo');
  writeFileSync(stamp, '{"version":"5.9"}');
  const s = statSync(stamp);
  writeFileSync(
    join(root, 'dist/bundle/inputs.json'),
    JSON.stringify([['../.tsbuildinfo', s.size, s.mtimeMs]]),
  );
  const run = () => execFileSync(process.execPath, [join(root, 'bin/tessera.js')], { encoding: 'utf8' });
  return { root, stamp, run };
}

describe('the bundled CLI', () => {
  it('starts the bundle while the packages it was built from are unbuilt since', () => {
    expect(layout().run()).toBe('bundle');
  });

  it('starts tsc output once a package was built again after the bundle (never stale code)', () => {
    const { stamp, run } = layout();
    const later = new Date(statSync(stamp).mtimeMs + 5_000);
    utimesSync(stamp, later, later);
    expect(run()).toBe('tsc output');
  });

  it('starts tsc output when there is no bundle', () => {
    const { root, run } = layout();
    rmSync(join(root, 'dist/bundle'), { recursive: true });
    expect(run()).toBe('tsc output');
  });
});

describe('the real bundle (npm run build)', () => {
  it('lists without loading node:child_process (commander spawns and the OS keychain load it when used)', () => {
    const home = mkdtempSync(join(tmpdir(), 'tessera-bundle-home-'));
    dirs.push(home);
    const bundleMain = new URL('../dist/bundle/main.js', import.meta.url).href;
    const script = [
      `const { main } = await import(${JSON.stringify(bundleMain)});`,
      "process.exitCode = await main(['node', 'tessera', 'list', '--json']);",
      'const loaded = process.moduleLoadList.filter((m) => /child_process/.test(m));',
      'process.stderr.write(`LOADED ${JSON.stringify(loaded)}`);',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TESSERA_HOME: home, TESSERA_KEY_STORE: 'file' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('[]');
    expect(run.stderr).toContain('LOADED []');
  });
});
