import { defineConfig } from 'vitest/config';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src`, import.meta.url));

/**
 * The files that take a minute or more on CI (each a whole scenario against the real server, with
 * the CLI or a browser). Vitest starts files it has no timings for largest first, and these are
 * among the smallest (a line that registers a shared scenario for one database): on a fresh
 * checkout they would start last and run on alone after everything else. They start first instead.
 */
const LONG_FIRST = [
  /\/(keychain-restore|lifecycle|order)-(sqlite|postgres)\./,
  /\/folders(-more)?-(sqlite|postgres)\.e2e\./,
  /\.e2e\.test\.ts$/,
];

class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const i = LONG_FIRST.findIndex((pattern) => pattern.test(spec.moduleId));
      return i === -1 ? LONG_FIRST.length : i;
    };
    return (await super.sort(files))
      .map((spec, order) => ({ spec, order }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order)
      .map(({ spec }) => spec);
  }
}

// Tests import workspace packages from source, so a test run never depends on a stale build.
// End-to-end tests that spawn the real `tessera` binary use the build (`npm test` builds first).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tessera\/vault\/node$/, replacement: pkg('vault') + '/node/index.ts' },
      { find: /^@tessera\/vault\/keychain$/, replacement: pkg('vault') + '/keychain/index.ts' },
      { find: /^@tessera\/vault\/share$/, replacement: pkg('vault') + '/share/index.ts' },
      { find: /^@tessera\/vault\/realms$/, replacement: pkg('vault') + '/realms/index.ts' },
      { find: /^@tessera\/vault\/folders$/, replacement: pkg('vault') + '/folders/index.ts' },
      {
        find: /^@tessera\/(iso|otp|formats|vault|protocol|server|cli)$/,
        replacement: pkg('$1') + '/index.ts',
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state the test cannot await directly (a page's or a server's, reached
    // in its own time). Vitest's default gives up after 1 s, a wall-clock bound that a loaded machine
    // misses (web folders.e2e: Alice's page wrapping the key to Carol); 20 s as most polls here say.
    expect: { poll: { timeout: 20_000 } },
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one on CI's two, which ran all 172 files one
    // after another while they mostly wait on child processes, servers, databases and browsers. At
    // least three (CI's two cores: 1,508 s with one; bench/FINDINGS.md 2026-12-07 morning).
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Cheap OPAQUE key stretching in Node clients (in-process and the spawned CLI, which inherits
    // this env): the default costs ~0.3 s a password or PIN step. See testKeyStretching in
    // packages/vault/src/keychain/opaque.ts; browsers keep the default.
    env: { TESSERA_TEST_WEAK_KEY_STRETCHING: '1' },
    sequence: { sequencer: LongFilesFirst },
  },
});
