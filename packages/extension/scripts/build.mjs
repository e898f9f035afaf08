/**
 * Builds the extension: `dist/chromium` and `dist/firefox` (unpacked) and a zip of each.
 * The popup and the background are ES modules; the content script is one classic script (browsers
 * do not load content scripts as modules), so it is built on its own.
 */
import { Buffer } from 'node:buffer';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync, statSync } from 'node:fs';
import { build, runnerImport } from 'vite';
import preact from '@preact/preset-vite';
import { BlobWriter, Uint8ArrayReader, ZipWriter } from '@zip.js/zip.js';
import { manifest } from './manifest.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = (name) => fileURLToPath(new URL(`../../${name}/src`, import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
const chromium = join(dist, 'chromium');

const shared = {
  configFile: false,
  root,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^@tessera\/vault\/keychain$/, replacement: source('vault') + '/keychain/index.ts' },
      { find: /^@tessera\/(iso|otp|formats|vault|protocol)$/, replacement: source('$1') + '/index.ts' },
    ],
  },
  define: { __APP_VERSION__: JSON.stringify(version) },
};

rmSync(dist, { recursive: true, force: true });

/**
 * Chunks named by hand. OPAQUE's wasm glue in a file of its own, so the one reviewed lint warning
 * in it (scripts/lint.mjs) cannot hide a new one in the keychain code around it. The `Vault` class
 * and the parts only it uses in a chunk of their own (without the modules they share with the
 * first screen): the bundler would otherwise put them in the chunk the popup's entry shares with
 * the background, and the popup would load them before its first paint, which needs only the
 * first screen's reader (test/bundle.e2e.test.ts pins that).
 */
const codeSplitting = {
  groups: [
    { name: 'opaque', test: /\/@serenity-kit\/opaque\// },
    {
      name: 'vault',
      test: /\/vault\/src\/(vault|payload|query|sort|trash)\.ts$/,
      includeDependenciesRecursively: false,
    },
  ],
};

// The web build's issuer icons (Simple Icons, CC0): `icons/index.json` and one sanitised SVG per
// icon, packaged in the extension so the popup never fetches icons (or anything it runs or shows)
// from a keychain server. The plugin is TypeScript; Vite's module runner loads it.
const {
  module: { simpleIcons },
} = await runnerImport(fileURLToPath(new URL('../../web/scripts/icons-plugin.ts', import.meta.url)), {
  configFile: false,
  logLevel: 'warn',
});

await build({
  ...shared,
  plugins: [preact(), simpleIcons()],
  build: {
    outDir: chromium,
    emptyOutDir: false,
    target: 'es2022',
    // The background is a service worker: no document, so no preload helper that touches one.
    modulePreload: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { popup: join(root, 'popup.html'), background: join(root, 'src/background.ts') },
      // The vault's modules run nothing when loaded (they only define), so a chunk that merely
      // re-exports from its index need not run the `Vault` class's chunk first (`codeSplitting`).
      treeshake: { moduleSideEffects: (id) => !/\/packages\/vault\/src\//.test(id) },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'background' ? 'background.js' : 'assets/[name]-[hash].js',
        codeSplitting,
      },
    },
  },
});

await build({
  ...shared,
  build: {
    outDir: chromium,
    emptyOutDir: false,
    target: 'es2022',
    reportCompressedSize: false,
    lib: {
      entry: join(root, 'src/content.ts'),
      formats: ['iife'],
      name: 'tesseraContent',
      fileName: () => 'content.js',
    },
  },
});

mkdirSync(join(chromium, 'icons'), { recursive: true });
for (const size of [192, 512])
  cpSync(join(root, '../web/public', `icon-${size}.png`), join(chromium, 'icons', `icon-${size}.png`));

const firefox = join(dist, 'firefox');
cpSync(chromium, firefox, { recursive: true });
writeFileSync(
  join(chromium, 'manifest.json'),
  JSON.stringify(manifest({ target: 'chromium', version }), null, 2),
);
writeFileSync(
  join(firefox, 'manifest.json'),
  JSON.stringify(manifest({ target: 'firefox', version }), null, 2),
);

for (const [name, dir] of [
  ['chromium', chromium],
  ['firefox', firefox],
]) {
  const zip = new ZipWriter(new BlobWriter('application/zip'));
  for (const file of files(dir)) await zip.add(relative(dir, file), new Uint8ArrayReader(readFileSync(file)));
  const blob = await zip.close();
  writeFileSync(join(dist, `tessera-${name}-${version}.zip`), Buffer.from(await blob.arrayBuffer()));
}
console.log(`extension built: ${relative(process.cwd(), dist)}/{chromium,firefox} and their zips`);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
