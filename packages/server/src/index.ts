export { startServer, type RunningServer } from './server.js';
export { DEFAULTS, type ServerOptions, type RateLimits, type RateLimitRule } from './config.js';
export { SERVER_VERSION } from './version.js';
export {
  startRealm,
  REALM_SECRET_FILE,
  REALM_SQLITE_FILE,
  REALM_SCHEMA,
  type RealmOptions,
  type RunningRealm,
} from './realm/index.js';
