export * from './constants.js';
export * from './schemas.js';
export * from './routes.js';
export { canon, canonOfJsonValue } from './canon.js';
export { parseClientHeader, compareVersions, type ClientId } from './client-version.js';
export * from './realm.js';
export { ed25519Verify, type Ed25519Signed } from './ed25519.js';
