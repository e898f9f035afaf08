/**
 * Custody of this device's keys. Node homes keep PKCS #8 exports inside the encrypted vault meta
 * (`metaDeviceKeyStore`); the web app implements the same interface with non-extractable CryptoKeys
 * in IndexedDB, using `generateDeviceKeyPairs({ extractable: false })` and `deviceKeysFromCryptoKeys`.
 */
import type { MetaValue } from '../types.js';
import {
  deviceKeysFromCryptoKeys,
  exportDeviceKeys,
  generateDeviceKeyPairs,
  importDeviceKeys,
  type DeviceKeys,
  type ExportedDeviceKeys,
} from './device-keys.js';
import type { KeychainHost } from './state.js';

export interface DeviceKeyStore {
  /** The device keys, or null before the device first signs in. */
  load(): Promise<DeviceKeys | null>;
  /** Makes and stores new device keys, replacing any old ones (a new identity). */
  create(): Promise<DeviceKeys>;
  /**
   * Makes new device keys kept in the vault meta, without writing them: returns the meta to write.
   * The keychain writes it with the state that names the device (one vault write, not two; a
   * sign-in that fails before that write leaves only a pending device on the server, which expires).
   */
  createInMeta?(): Promise<{ keys: DeviceKeys; meta: Record<string, MetaValue> }>;
}

export const DEVICE_KEYS_META_KEY = 'deviceKeys';

/** Device keys as PKCS #8 in the vault meta (the vault file is encrypted and authenticated). */
export function metaDeviceKeyStore(host: KeychainHost): DeviceKeyStore {
  return {
    async load() {
      const saved = host.getMeta(DEVICE_KEYS_META_KEY) as unknown as ExportedDeviceKeys | undefined;
      if (!saved || typeof saved !== 'object') return null;
      return deviceKeysFromCryptoKeys(await importDeviceKeys(saved));
    },
    async create() {
      const { keys, meta } = await this.createInMeta!();
      await host.setMeta(DEVICE_KEYS_META_KEY, meta[DEVICE_KEYS_META_KEY]);
      return keys;
    },
    async createInMeta() {
      const pairs = await generateDeviceKeyPairs({ extractable: true });
      const exported = (await exportDeviceKeys(pairs)) as unknown as MetaValue;
      return { keys: await deviceKeysFromCryptoKeys(pairs), meta: { [DEVICE_KEYS_META_KEY]: exported } };
    },
  };
}
