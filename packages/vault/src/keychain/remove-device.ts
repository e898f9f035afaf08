/**
 * Removing a device (docs/PROTOCOL.md §5 "Removing a device", §7): a key rotation whose link names
 * the removed device. It also replaces the recovery key and the PIN escrow, so that no credential
 * from before the removal can be shown a view of the keychain from before it; the removed device
 * holds only old keys, so it can read nothing written afterwards.
 */
import type { CircleDevice, CircleState } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { rotateKeys } from './rotate.js';

export interface RemoveDeviceOptions {
  /** Receives the new recovery key before anything is sent (see `RotateOptions.keepRecoveryKey`). */
  keepRecoveryKey: (recoveryKey: string) => Promise<void>;
  /** Keeps a PIN: registered afresh under a new escrow key. Without it the PIN is turned off. */
  pin?: string;
}

export async function removeDevice(
  keychain: Keychain,
  deviceId: string,
  options: RemoveDeviceOptions,
): Promise<CircleDevice> {
  const removed = await rotateKeys(keychain, {
    op: 'remove-device',
    keepRecoveryKey: options.keepRecoveryKey,
    escrow: options.pin !== undefined ? { pin: options.pin } : 'off',
    removing: (circle) => removable(keychain, circle, deviceId),
  });
  return removed!;
}

function removable(keychain: Keychain, circle: CircleState, deviceId: string): CircleDevice {
  if (deviceId === keychain.requireTrusted().deviceId) {
    throw new KeychainError(
      'not-trusted',
      'A device cannot remove itself; remove it from another trusted device.',
    );
  }
  const member = circle.devices[deviceId];
  if (!member || member.status !== 'trusted') {
    throw new KeychainError(
      'not-trusted',
      `Device ${deviceId} is not a trusted device of this keychain (see \`tessera keychain devices\`).`,
    );
  }
  return member.device;
}
