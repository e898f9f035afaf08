export * from './types.js';
export { importFiles, detectFormat, listFormats } from './registry.js';
export { LIMITS } from './util/limits.js';
