/**
 * Removing a device (docs/PROTOCOL.md §5 "Removing a device"): a new vault key and circle key, a
 * `remove-device` link signed with the old circle key, wraps of the new key to every remaining
 * device, the recovery key and the escrow, then every item re-encrypted under the new epoch. The
 * removed device holds only old keys, so it can read nothing written afterwards.
 */
import { b64u } from './bytes.js';
import { applyLinks, buildLink, type CircleDevice } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey, newVaultKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';
import { syncRound } from './sync.js';

export async function removeDevice(keychain: Keychain, deviceId: string): Promise<CircleDevice> {
  keychain.requireTrusted();
  // Bring this device up to date first, so nothing is re-encrypted from a stale copy.
  await syncRound(keychain);
  const device = await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const state = keychain.requireTrusted();
    if (deviceId === state.deviceId) {
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
    const old = keychain.currentVaultKey();
    const vk = newVaultKey();
    const link = buildLink(circle, {
      op: 'remove-device',
      by: state.deviceId,
      device: member.device,
      signer: circleKey(old.vk),
      nextCirclePub: circleKey(vk).publicKey,
    });
    const after = applyLinks(circle, [link]);
    // Wraps go to the devices still trusted after the link, so never to the removed one.
    const next = await postLink(keychain, link, keychain.wrapsForCircle(after, vk, after.epoch));
    state.vaultKeys[String(after.epoch)] = b64u(vk);
    await keychain.adoptCircle(next);
    return member.device;
  });
  // Re-encrypt every item under the new epoch.
  await syncRound(keychain, { reencryptAll: true });
  return device;
}
