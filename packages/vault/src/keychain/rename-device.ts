/**
 * Renaming a device (docs/PROTOCOL.md §2 `rename-device`): a trusted device signs a link that gives
 * a member a new name and keeps its keys, so every device (and every approval prompt) shows the same
 * name, and the server can neither rename nor swap a device itself.
 */
import { LIMITS } from '@tessera/protocol';
import { buildLink } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';

export interface RenameDeviceOptions {
  /** Id of a trusted device (this one or another; see `listDevices`). */
  deviceId: string;
  name: string;
}

/** Renames a trusted device of the keychain; resolves with its old name. Trusted devices only. */
export async function renameDevice(keychain: Keychain, options: RenameDeviceOptions): Promise<string> {
  const state = keychain.requireTrusted();
  const name = options.name.trim();
  if (name.length === 0 || name.length > LIMITS.maxDeviceNameChars)
    throw new KeychainError(
      'http',
      `A device name has 1 to ${LIMITS.maxDeviceNameChars} characters; got ${name.length}.`,
    );
  return withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const member = circle.devices[options.deviceId];
    if (!member || member.status !== 'trusted')
      throw new KeychainError(
        'not-trusted',
        `Device ${options.deviceId} is not a trusted device of this keychain (see \`tessera keychain devices\`).`,
      );
    const link = buildLink(circle, {
      op: 'rename-device',
      by: state.deviceId,
      device: { ...member.device, name },
      signer: circleKey(keychain.currentVaultKey().vk),
    });
    await keychain.adoptCircle(await postLink(keychain, link, []));
    return member.device.name;
  });
}
