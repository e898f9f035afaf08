export { RealmCore, type RealmAnswer, type RealmEvent } from './core.js';
export { startRealm, REALM_SQLITE_FILE, type RealmOptions, type RunningRealm } from './service.js';
export { REALM_DEFAULTS, type RealmRateLimits } from './http.js';
export { REALM_SECRET_FILE, realmIdOf } from './keys.js';
export { REALM_SCHEMA } from './store.js';
