#!/usr/bin/env node
import module from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node 22.1+ keeps compiled code of the CLI's modules on disk, so the next start skips parsing them
// (start-up time, issue 14). Older Node has no such function and starts as before.
module.enableCompileCache?.();

/**
 * The bundled CLI (scripts/bundle.mjs: about 10 files to load rather than about 70 modules) while the
 * build stamps of the packages it was made from are unchanged; otherwise, or without a bundle, tsc's
 * output, which is always current.
 */
function freshBundle() {
  const dir = fileURLToPath(new URL('../dist/bundle/', import.meta.url));
  try {
    const stamps = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
    for (const [path, size, mtimeMs] of stamps) {
      const s = statSync(join(dir, path));
      if (s.size !== size || s.mtimeMs !== mtimeMs) return null;
    }
    return pathToFileURL(join(dir, 'main.js')).href;
  } catch {
    return null;
  }
}

const { main } = await import(freshBundle() ?? '../dist/main.js');
process.exitCode = await main(process.argv);
