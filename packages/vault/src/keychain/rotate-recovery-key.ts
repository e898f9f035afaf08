/**
 * Replacing the recovery key (docs/PROTOCOL.md §7): a key rotation whose link names a new recovery
 * key. The old key is retired (the server drops its wraps) and, since the vault key rotates too, it
 * can read nothing written afterwards even from copies a server kept; a device recovering with it is
 * told when it was replaced.
 */
import type { Keychain } from './keychain.js';
import { rotateKeys } from './rotate.js';

export async function rotateRecoveryKey(
  keychain: Keychain,
  options: { keepRecoveryKey: (recoveryKey: string) => Promise<void> },
): Promise<void> {
  await rotateKeys(keychain, { op: 'rotate', keepRecoveryKey: options.keepRecoveryKey, escrow: 'keep' });
}
