/** Letters and digits nobody confuses when reading them aloud (no 0/O, 1/I/L). */
const SUFFIX_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** The keychain's limit on device names (LIMITS.maxDeviceNameChars). */
const MAX_NAME_CHARS = 64;

/**
 * A default device name with a short random suffix ("Chrome on Linux · K7Q"), so two devices of the
 * same kind never look alike in an approval prompt or a device list.
 */
export function distinctDeviceName(base: string): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(3));
  const suffix = [...bytes].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
  return `${base.slice(0, MAX_NAME_CHARS - 6)} · ${suffix}`;
}
