/**
 * The kill switch after a theft (docs/PROTOCOL.md §10.2): the server ends every session of the
 * account, this device's too, and evicts every pending device. Trusted devices keep their vault and
 * keys; they sign in again with the password (`signInAgain`), without a new approval.
 */
import type { Keychain } from './keychain.js';

/** Locks the account from this trusted device; afterwards this device too must sign in again. */
export async function lockAccount(keychain: Keychain): Promise<void> {
  keychain.requireTrusted();
  await keychain.client().call('lockAccount');
}
