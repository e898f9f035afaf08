/**
 * PIN escrow over independent realms (docs/PROTOCOL.md §11): register a PIN over n realms with
 * threshold t, recover the unlock secret with it. One small public face; the realm service is
 * `tessera realm serve` (packages/server/src/realm).
 */
export {
  registerRealmPin,
  recoverRealmPin,
  deleteRealmPin,
  checkRealmSetup,
  MAX_REALMS,
  type RealmSetup,
} from './pin.js';
export { fetchRealmPin, type RealmPin, type RealmTransport } from './wire.js';
export { RealmError, type RealmErrorCode, type RealmOutcome, type RealmOutcomeKind } from './errors.js';
