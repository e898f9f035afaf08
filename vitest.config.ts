import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src`, import.meta.url));

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
      { find: /^@tessera\/(otp|formats|vault|protocol|server|cli)$/, replacement: pkg('$1') + '/index.ts' },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
