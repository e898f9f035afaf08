export * from './types.js';
export { importFiles, detectFormat, listFormats } from './registry.js';
export { LIMITS } from './util/limits.js';
export { exportEntries, exportLimits, EXPORT_FORMATS } from './exporters/index.js';
export { migrationUris } from './exporters/google-qr.js';
export { qrTerminal, qrPngDataUrl } from './exporters/qr.js';
// Environment hooks for the web app: how QR images are decoded and where sql.js finds its WebAssembly.
export { setImageDecoder, type ImageDecoder, type RgbaImage } from './qr/image.js';
export { setSqlJsWasmLocator } from './util/sqlite.js';
