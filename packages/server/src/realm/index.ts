export { RealmCore, type RealmAnswer, type RealmEvent } from './core.js';
export {
  startRealm,
  REALM_SQLITE_FILE,
  REALM_KEYS_FILE,
  type RealmOptions,
  type RunningRealm,
} from './service.js';
export { REALM_DEFAULTS, openCors, registerRealmRoutes, type RealmRateLimits } from './http.js';
export { openRealmStore, type RealmStore } from './store.js';
export { loadRealmKeys } from './keys.js';
export { countEvent, createRealmMetrics } from './metrics.js';
export { REALM_SECRET_FILE, realmIdOf } from './keys.js';
export { REALM_SCHEMA } from './store.js';
