import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/**
 * Builds `start.js` (the classic script in index.html's head that begins the IndexedDB read, see
 * src/platform/early-start.ts) into `assets/start-<hash>.js` and points index.html at it. Under
 * /assets/ the server sends it as immutable, like the module chunks, so a reload takes it from the
 * browser's memory cache; as `/start.js` (`no-cache`) every reload fetched it through the service
 * worker while the parser waited on it, 20 to 30 ms before the read began (bench/FINDINGS.md,
 * 2026-12-07, branch web-start). Vite leaves a classic script alone, hence this plugin; the dev
 * server serves `/start.js` from the package's root.
 */
export function startScript(file: string): Plugin {
  const source = readFileSync(file);
  const fileName = `assets/start-${createHash('sha256').update(source).digest('hex').slice(0, 10)}.js`;
  return {
    name: 'tessera-start-script',
    apply: 'build',
    transformIndexHtml(html) {
      if (!html.includes('<script src="/start.js"></script>')) return html;
      return html.replace('<script src="/start.js"></script>', `<script src="/${fileName}"></script>`);
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName, source });
    },
  };
}
