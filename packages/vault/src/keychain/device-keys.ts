/**
 * Device key pairs (docs/PROTOCOL.md §1): an X25519 encryption pair and an Ed25519 signing pair made
 * on the device with WebCrypto, so a browser can keep them non-extractable. Node homes export them as
 * PKCS #8 into the encrypted vault meta (`exportDeviceKeys`); browsers keep the CryptoKeys in IndexedDB
 * and rebuild with `deviceKeysFromCryptoKeys`.
 */
import { b64u, fromB64u, owned } from './bytes.js';
import type { X25519Holder } from './keys.js';

/** A device's keys; only public halves are ever readable. */
export interface DeviceKeys extends X25519Holder {
  /** Raw 32-byte Ed25519 public key. */
  readonly signPub: Uint8Array;
  /** Ed25519 signature by the device signing key. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The four WebCrypto keys a device holds. */
export interface DeviceCryptoKeys {
  enc: CryptoKeyPair;
  sign: CryptoKeyPair;
}

/** PKCS #8 private keys (b64u) for storage inside an encrypted vault. */
export interface ExportedDeviceKeys {
  enc: string;
  sign: string;
  encPub: string;
  signPub: string;
}

const X25519 = { name: 'X25519' } as const;
const ED25519 = { name: 'Ed25519' } as const;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is not available here (a secure context is required).');
  return s;
}

/** Makes new device keys; `extractable: false` in browsers, true where they are exported to a file. */
export async function generateDeviceKeyPairs(options: { extractable: boolean }): Promise<DeviceCryptoKeys> {
  const enc = (await subtle().generateKey(X25519, options.extractable, ['deriveBits'])) as CryptoKeyPair;
  const sign = (await subtle().generateKey(ED25519, options.extractable, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return { enc, sign };
}

/** Wraps the WebCrypto keys in the `DeviceKeys` interface. */
export async function deviceKeysFromCryptoKeys(keys: DeviceCryptoKeys): Promise<DeviceKeys> {
  const encPub = new Uint8Array(await subtle().exportKey('raw', keys.enc.publicKey));
  const signPub = new Uint8Array(await subtle().exportKey('raw', keys.sign.publicKey));
  return {
    encPub,
    signPub,
    async deriveShared(peerPublic) {
      const peer = await subtle().importKey('raw', owned(peerPublic), X25519, false, []);
      return new Uint8Array(
        await subtle().deriveBits({ name: 'X25519', public: peer }, keys.enc.privateKey, 256),
      );
    },
    async sign(message) {
      return new Uint8Array(await subtle().sign(ED25519, keys.sign.privateKey, owned(message)));
    },
  };
}

/** Exports extractable device keys as PKCS #8 for an encrypted vault. */
export async function exportDeviceKeys(keys: DeviceCryptoKeys): Promise<ExportedDeviceKeys> {
  const pkcs8 = async (key: CryptoKey) => b64u(new Uint8Array(await subtle().exportKey('pkcs8', key)));
  const raw = async (key: CryptoKey) => b64u(new Uint8Array(await subtle().exportKey('raw', key)));
  return {
    enc: await pkcs8(keys.enc.privateKey),
    sign: await pkcs8(keys.sign.privateKey),
    encPub: await raw(keys.enc.publicKey),
    signPub: await raw(keys.sign.publicKey),
  };
}

/** Imports keys saved by `exportDeviceKeys`; the private keys come back non-extractable. */
export async function importDeviceKeys(saved: ExportedDeviceKeys): Promise<DeviceCryptoKeys> {
  const s = subtle();
  const bytes = (text: string, field: string) => owned(fromB64u(text, field));
  return {
    enc: {
      privateKey: await s.importKey('pkcs8', bytes(saved.enc, 'enc'), X25519, false, ['deriveBits']),
      publicKey: await s.importKey('raw', bytes(saved.encPub, 'encPub'), X25519, true, []),
    },
    sign: {
      privateKey: await s.importKey('pkcs8', bytes(saved.sign, 'sign'), ED25519, false, ['sign']),
      publicKey: await s.importKey('raw', bytes(saved.signPub, 'signPub'), ED25519, true, ['verify']),
    },
  };
}
