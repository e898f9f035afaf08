export * from './types.js';
export { importFiles, detectFormat, listFormats } from './registry.js';
export { LIMITS } from './util/limits.js';
export { exportEntries, EXPORT_FORMATS } from './exporters/index.js';
export { migrationUris } from './exporters/google-qr.js';
export { qrTerminal } from './exporters/qr.js';
