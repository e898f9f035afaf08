// @tessera/iso: node:crypto where the runtime offers it, undefined elsewhere, and the only place the
// browser-bundled packages reach for it.
import * as imported from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeCrypto, nodeCryptoIn } from '@tessera/iso';

const packages = fileURLToPath(new URL('../..', import.meta.url));

describe('nodeCrypto', () => {
  it('is node:crypto itself on Node', () => {
    expect(nodeCrypto).toBe(process.getBuiltinModule('node:crypto'));
    expect(nodeCrypto?.createHmac).toBe(imported.createHmac);
    expect(nodeCrypto?.verify).toBe(imported.verify);
  });

  it('is undefined, without throwing, where there is no process or no getBuiltinModule', () => {
    expect(nodeCryptoIn({})).toBeUndefined(); // a browser, a worker
    expect(nodeCryptoIn({ process: undefined })).toBeUndefined();
    expect(nodeCryptoIn({ process: {} })).toBeUndefined(); // a Node before 20.16
    expect(nodeCryptoIn({ process: { getBuiltinModule: () => undefined } })).toBeUndefined();
    const asked: string[] = [];
    const fake = { createHmac: () => null };
    const scope = { process: { getBuiltinModule: (id: string) => (asked.push(id), fake) } };
    expect(nodeCryptoIn(scope)).toBe(fake);
    expect(asked).toEqual(['node:crypto']);
  });
});

/** Source files of a directory, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

it('is the one reach for a Node module in the packages that browsers bundle', () => {
  // The web app and the extension bundle these; vault's `node/` entry is Node only (and imports).
  const bundled = ['otp', 'protocol', 'formats', 'vault', 'web', 'extension']
    .flatMap((name) => sources(join(packages, name, 'src')))
    .filter((file) => !file.startsWith(join(packages, 'vault', 'src', 'node')));
  expect(bundled.length).toBeGreaterThan(100);
  const reaching = bundled
    .filter((file) => /getBuiltinModule|(from |import\()'node:/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(packages, file));
  expect(reaching).toEqual([]);
});
