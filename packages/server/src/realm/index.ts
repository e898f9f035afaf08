export { RealmCore, REALM_MAX_GUESSES, verifyRealmAnswer, realmNonce } from './core.js';
export type { RealmAnswer } from './core.js';
export { startRealmHttp } from './http.js';
