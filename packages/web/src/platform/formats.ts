/**
 * The formats package as the web app loads it (lazily): sql.js gets the URL of its WebAssembly,
 * bundled and served by this app, so SQLite exports (Google and Microsoft Authenticator databases,
 * Stratum) import offline and without any third-party host.
 */
import sqlWasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url';
import { setSqlJsWasmLocator } from '@tessera/formats';

setSqlJsWasmLocator(() => sqlWasmUrl);

export {
  importFiles,
  exportEntries,
  exportLimits,
  migrationUris,
  qrPngDataUrl,
  listFormats,
  FormatError,
} from '@tessera/formats';
