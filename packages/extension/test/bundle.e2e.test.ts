import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, EXTENSION } from './harness.js';

/**
 * What the built extension loads before it can do anything: the background service worker starts
 * on every page with a code field and every alarm, so it must not carry OPAQUE (~420 KB of wasm
 * glue that only signing in needs); the popup must not load it before its codes show either.
 */

/** The files a module loads statically (its `import … from` and bare `import` of relative paths), itself included. */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(EXTENSION, file), 'utf8');
    // Static imports only: `from"./x.js"` and `import"./x.js"`, never `import("./x.js")`.
    for (const [, path] of code.matchAll(/(?:\bfrom|\bimport)\s*["'`](\.{1,2}\/[^"'`]+)["'`]/g)) {
      visit(join(file, '..', path!).replace(/^\.\//, ''));
    }
  };
  visit(entry);
  return [...seen];
}

/** The popup's entry module, as popup.html names it. */
function popupEntry(): string {
  const html = readFileSync(join(EXTENSION, 'popup.html'), 'utf8');
  return html.match(/<script type="module"[^>]* src="\/([^"]+)"/)![1]!;
}

describe('the built extension', { timeout: 120_000 }, () => {
  let opaque: string;

  beforeAll(() => {
    ensureBuilt();
    const chunks = readdirSync(join(EXTENSION, 'assets')).filter((f) => f.startsWith('opaque-'));
    expect(chunks).toHaveLength(1);
    opaque = `assets/${chunks[0]}`;
    // The chunk is OPAQUE's wasm glue, and something still loads it (on demand).
    expect(readFileSync(join(EXTENSION, opaque), 'utf8')).toContain('wbindgen');
  });

  it('starts the background service worker without OPAQUE', () => {
    const graph = staticGraph('background.js');
    expect(graph.length).toBeGreaterThan(1);
    expect(graph).not.toContain(opaque);
  });

  it('shows the popup without loading OPAQUE first', () => {
    const graph = staticGraph(popupEntry());
    expect(graph.length).toBeGreaterThan(1);
    expect(graph).not.toContain(opaque);
  });
});
