/**
 * A new key epoch (docs/PROTOCOL.md §2.1, §7): a new vault key and circle key, a link signed with the
 * old circle key naming the new one and a new recovery key, wraps of the new key to every remaining
 * device, the new recovery key and the escrow, then every item re-encrypted under the new epoch; a
 * new sharing key too (§12.1), which every shared folder then follows (§12.2).
 * Removing a device and replacing the recovery key are both this; see remove-device.ts and
 * rotate-recovery-key.ts.
 */
import { b64u } from './bytes.js';
import { applyLinks, buildLink, type CircleDevice, type CircleState } from './circle.js';
import type { Keychain } from './keychain.js';
import { circleKey, newVaultKey, recoveryKeyPair, recoverySigningKey } from './keys.js';
import { forgetRealmPin, registerEscrow, type RegisteredEscrow } from './pin.js';
import { postLink, withCircleRetry } from './post-link.js';
import { formatRecoveryKey, newRecoveryKey } from './recovery-key.js';
import { rotateCircleSharing } from './sharing.js';
import { syncRound } from './sync.js';
import { FolderError } from '../folders/errors.js';
import { syncFolders } from '../folders/client/sync.js';

export interface RotateOptions {
  /** `remove-device`: the device it removes, checked against the freshly verified circle. */
  removing?: (circle: CircleState) => CircleDevice;
  /**
   * Receives the new recovery key before anything is sent, so it is saved (or typed back) before
   * the old one stops working. Throwing aborts with nothing changed.
   */
  keepRecoveryKey: (recoveryKey: string) => Promise<void>;
  /**
   * The escrow after the rotation: `keep` the current one (rotate only), register this PIN under a
   * fresh escrow key, or `off` (the escrow record is destroyed).
   */
  escrow: 'keep' | 'off' | { pin: string };
}

/** Rotates the keys; returns the removed device, if any. */
export async function rotateKeys(
  keychain: Keychain,
  options: RotateOptions & { op: 'remove-device' | 'rotate' },
): Promise<CircleDevice | null> {
  keychain.requireTrusted();
  // Bring this device up to date first, so nothing is re-encrypted from a stale copy.
  await syncRound(keychain);
  const rk = newRecoveryKey();
  await options.keepRecoveryKey(formatRecoveryKey(rk));
  const escrow: RegisteredEscrow | null =
    typeof options.escrow === 'object' ? await registerEscrow(keychain, options.escrow.pin) : null;
  let before: CircleState | null = null;
  const removed = await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    before = circle;
    const state = keychain.requireTrusted();
    const device = options.removing ? options.removing(circle) : null;
    const old = keychain.currentVaultKey();
    const vk = newVaultKey();
    const escrowPub = escrow ? b64u(escrow.escrowPub) : options.escrow === 'keep' ? circle.escrowPub : null;
    // A new sharing key (§12.1), sealed under the new vault key, with the old key's signature: a
    // removed device keeps the old seed, so folders move to the new key (announceSharingKey below).
    const sharing = rotateCircleSharing(keychain, circle, vk);
    const link = buildLink(circle, {
      op: options.op,
      by: state.deviceId,
      device,
      signer: circleKey(old.vk),
      nextCirclePub: circleKey(vk).publicKey,
      recoveryPub: b64u(recoveryKeyPair(rk).encPub),
      recoveryAnchor: recoverySigningKey(rk),
      escrowPub,
      ...(escrow ? { escrowAnchor: escrow.anchor } : {}),
      ...(escrow?.realms ? { escrowRealms: escrow.realms } : {}),
      ...(sharing ? { sharing } : {}),
    });
    const after = applyLinks(circle, [link]);
    // Wraps go to the devices still trusted after the link, so never to a removed one.
    const next = await postLink(keychain, link, keychain.wrapsForCircle(after, vk, after.epoch));
    state.vaultKeys[String(after.epoch)] = b64u(vk);
    await keychain.adoptCircle(next);
    return device;
  });
  // A replaced or removed PIN: its realm records go (the old epoch's key is still on this device).
  if (options.escrow !== 'keep' && before) await forgetRealmPin(keychain, before);
  await syncRound(keychain, { reencryptAll: true });
  if (keychain.requireState().circle?.sharing) await followIntoFolders(keychain);
  return removed;
}

/**
 * §12.2: every shared folder moves to the new sharing key (a `member-key` link), and a folder this
 * account owns gets a new folder key right away. The rotation itself is done by now, so a failure
 * says so; the next folder sync tries again.
 */
async function followIntoFolders(keychain: Keychain): Promise<void> {
  try {
    await syncFolders({ keychain });
  } catch (err) {
    if (!(err instanceof FolderError)) throw err;
    // A hijack does not go away by syncing again; anything else may.
    const retry = err.code === 'key-hijacked' ? '' : ' yet (the next sync tries again)';
    throw new FolderError(
      err.code,
      `The keys were rotated, but a shared folder did not follow${retry}: ${err.message}`,
    );
  }
}
