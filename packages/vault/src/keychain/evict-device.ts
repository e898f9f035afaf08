/**
 * Evicting a pending device (docs/PROTOCOL.md §10): a join request nobody approved. It was never
 * in the circle and holds no key, so no rotation is needed; the server ends its request and its
 * sessions, and its next request is told the request to join was removed.
 */
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';

export interface EvictDeviceOptions {
  /** Id of the pending device (see `listDevices`). */
  deviceId: string;
}

/** Evicts the pending device `deviceId`; returns its name. Trusted devices only. */
export async function evictPendingDevice(keychain: Keychain, options: EvictDeviceOptions): Promise<string> {
  keychain.requireTrusted();
  const client = keychain.client();
  const { devices } = await client.call('devices');
  const device = devices.find((d) => d.id === options.deviceId);
  if (!device || device.status !== 'pending') {
    throw new KeychainError(
      'not-trusted',
      `Device ${options.deviceId} is not a pending device of this keychain (see \`tessera keychain devices\`).`,
    );
  }
  await client.call('evictDevice', { body: { deviceId: device.id } });
  return device.name;
}
