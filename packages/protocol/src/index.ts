export * from './constants.js';
export * from './schemas.js';
export * from './routes.js';
export { canon, canonOfJsonValue } from './canon.js';
export { parseClientHeader, compareVersions, type ClientId } from './client-version.js';
export * from './realm.js';
