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

  it('paints the popup from its first chunk alone: no vault, add form, keychain, lock, QR reader or Public Suffix List', () => {
    const graph = staticGraph(popupEntry());
    const code = graph.map((file) => readFileSync(join(EXTENSION, file), 'utf8')).join('\n');
    // The first screen itself is there (its reader and the codes list)...
    expect(code).toContain('tessera/v1/extension-first-screen');
    expect(code).toContain('Search ');
    // ...and none of what comes after the paint (each string is the lazy part's own text).
    for (const lazy of [
      'Scan QR code on this page', // the add form (popup-rest.tsx)
      'Turn on keychain backup', // keychain sign-in (Keychain.tsx)
      'I have an account', // KeychainStart, the web app's sign-in form
      'That passphrase does not open', // the lock screen and settings
      'tessera-keychain-follow', // the keychain session (popup-keychain.ts)
      'in the trash', // the Vault class (vault.ts)
      'blogspot', // the Public Suffix List (tldts): web pages only
      'jsQR', // the QR reader
    ])
      expect(code.includes(lazy), `the first chunk holds ${lazy}`).toBe(false);
  });

  it('shows the popup without loading OPAQUE first', () => {
    const graph = staticGraph(popupEntry());
    expect(graph.length).toBeGreaterThan(1);
    expect(graph).not.toContain(opaque);
  });
});
