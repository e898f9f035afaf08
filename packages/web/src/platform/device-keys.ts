import {
  deviceKeysFromCryptoKeys,
  generateDeviceKeyPairs,
  type DeviceCryptoKeys,
  type DeviceKeyStore,
} from '@tessera/vault/keychain';
import { db } from './db.js';

const DEVICE_KEYS = 'device-keys';

/**
 * This device's keychain keys as non-extractable WebCrypto keys (X25519, Ed25519) in IndexedDB:
 * IndexedDB stores CryptoKey objects by structured clone, so script can use them but no one, not
 * even this app, can read the private halves.
 */
export function indexedDbDeviceKeyStore(): DeviceKeyStore {
  return {
    async load() {
      const pairs = (await (await db()).get('keys', DEVICE_KEYS)) as DeviceCryptoKeys | undefined;
      return pairs ? deviceKeysFromCryptoKeys(pairs) : null;
    },
    async create() {
      const pairs = await generateDeviceKeyPairs({ extractable: false });
      await (await db()).put('keys', pairs, DEVICE_KEYS);
      return deviceKeysFromCryptoKeys(pairs);
    },
  };
}
