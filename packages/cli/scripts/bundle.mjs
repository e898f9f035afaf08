// The CLI as a few bundled files (dist/bundle/), built from tsc's output (dist/): `tessera list`
// then loads about 10 files rather than about 70 modules, and the loader's resolution, file reads
// and per-module work were most of its start (issue 14, `npm run bench:cli`). Commands stay chunks
// of their own, loaded when named. bin/tessera.js uses the bundle only while the build stamps of the
// packages it was made from are unchanged (inputs.json), so a later `tsc -b` never leaves the CLI
// running stale code (it runs tsc's output until this runs again). Run by `npm run build` after tsc.
import { statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const cli = fileURLToPath(new URL('..', import.meta.url));
const out = join(cli, 'dist/bundle');
/** Workspace packages bundled (each is checked by its build stamp, see inputs.json). */
const PACKAGES = ['cli', 'iso', 'otp', 'protocol', 'vault', 'formats', 'server'];
/** Bundled: those packages, and the small pure-JS libraries the CLI starts with. */
const inline = /^(@tessera\/(iso|otp|protocol|vault|formats|server)(\/|$)|commander(\/|$)|@noble\/|@scure\/)/;

/**
 * commander requires node:child_process at load, for the executable subcommands Tessera never
 * declares: the bundle reaches it only when `spawn` is called, so a start does not load child_process
 * (and net, dgram, ... under it). The transform fails the build if commander's line changes.
 */
const lazyChildProcess = {
  name: 'commander-lazy-child-process',
  transform(code, id) {
    if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) throw new Error(`${id}: commander no longer has "${eager}"`);
    const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
    return code.replace(eager, lazy);
  },
};

const bundle = await rolldown({
  input: join(cli, 'dist/main.js'),
  platform: 'node',
  logLevel: 'warn',
  plugins: [lazyChildProcess],
  // Everything else (the server's database drivers and web framework, OPAQUE's WebAssembly, prompts,
  // QR codes) is loaded from node_modules as before, only by the commands that need it.
  external: (id) =>
    id.startsWith('node:') ||
    builtinModules.includes(id) ||
    (!id.startsWith('.') && !id.startsWith('/') && !inline.test(id)),
  // The workspace's modules only define things: a chunk then never imports another (a command's, the
  // keychain's) just to run it, so `list` loads no more than it did unbundled.
  treeshake: {
    moduleSideEffects: (id) => !/\/packages\/(iso|otp|protocol|vault|formats|server|cli)\/dist\//.test(id),
  },
});
const result = await bundle.write({
  dir: out,
  format: 'es',
  entryFileNames: 'main.js',
  chunkFileNames: '[name]-[hash].js',
  hoistTransitiveImports: false,
  // The vault's own modules (not its keychain, folders, sharing or realms), with otp and iso under
  // them, in one chunk: otherwise a small module both use (the PIN rule) lands in the keychain's
  // chunk, and every vault command would load the keychain, OPAQUE included, to reach it.
  codeSplitting: {
    groups: [
      {
        name: 'vault',
        test: /[\\/]packages[\\/](vault[\\/]dist[\\/](node[\\/])?[^/\\]+|(iso|otp)[\\/]dist[\\/][^/\\]+)\.js$/,
      },
    ],
  },
  cleanDir: true,
});
await bundle.close();
const outputs = result.output;
// The build stamps (tsc -b rewrites a package's .tsbuildinfo whenever it writes its dist) of every
// package bundled: bin/tessera.js compares these few files, not each of the ~300 modules, at start.
const stamps = PACKAGES.map((name) => {
  const file = join(cli, '..', name, 'dist/.tsbuildinfo');
  const s = statSync(file);
  return [relative(out, file), s.size, s.mtimeMs];
});
writeFileSync(join(out, 'inputs.json'), JSON.stringify(stamps));
console.log(`cli bundle: ${outputs.length} files in ${relative(process.cwd(), out) || out}`);
