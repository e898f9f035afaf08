/**
 * The account's sharing key in its circle (docs/PROTOCOL.md §12.1): made lazily by the first device
 * that uses shared folders, published by a `sharing-key` link with the seed sealed under the vault
 * key, and sealed anew by every key rotation so devices holding only the newest key still open it.
 */
import { FolderError } from '../folders/errors.js';
import { openSharingKey, sealSharingKey, sharingKey, type SharingKey } from '../folders/sharing-key.js';
import { buildLink, type CircleSharing, type CircleState } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';

/**
 * Opens the sharing key the verified `circle` names, or null when it names none. A seed that does not
 * derive the public halves the circle names is refused (the link is signed, the seal is not checked
 * by anyone but the account's devices).
 */
export function openCircleSharing(keychain: Keychain, circle: CircleState): SharingKey | null {
  const named = circle.sharing;
  if (!named) return null;
  const vk = keychain.vaultKeyFor(named.epoch);
  if (!vk)
    throw new KeychainError(
      'not-trusted',
      `This device has no vault key for key epoch ${named.epoch}, under which the sharing key is sealed; run \`tessera sync\`.`,
    );
  const key = openSharingKey({ sealed: named.sealed, vk, accountId: keychain.requireState().accountId });
  if (key.public.encPub !== named.encPub || key.public.signPub !== named.signPub)
    throw new FolderError('wrap-invalid', 'The sealed sharing key does not match the one the circle names.');
  return key;
}

/** The circle's sharing key sealed under `vk` (the next epoch's vault key), for a rotating link. */
export function resealCircleSharing(
  keychain: Keychain,
  circle: CircleState,
  vk: Uint8Array,
): CircleSharing | undefined {
  const key = openCircleSharing(keychain, circle);
  if (!key) return undefined;
  return { ...key.public, sealed: sealSharingKey({ key, vk, accountId: keychain.requireState().accountId }) };
}

/**
 * This account's sharing key: opened from the verified circle, or made and published with a
 * `sharing-key` link on first use. Two devices racing: the second one's post conflicts, it refreshes
 * the circle and opens the key the first one published.
 */
export async function ensureSharingKey(options: { keychain: Keychain }): Promise<SharingKey> {
  const { keychain } = options;
  const state = keychain.requireTrusted();
  return withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const existing = openCircleSharing(keychain, circle);
    if (existing) return existing;
    const key = sharingKey();
    const { vk } = keychain.currentVaultKey();
    const link = buildLink(circle, {
      op: 'sharing-key',
      by: state.deviceId,
      signer: circleKey(vk),
      sharing: { ...key.public, sealed: sealSharingKey({ key, vk, accountId: state.accountId }) },
    });
    await keychain.adoptCircle(await postLink(keychain, link, []));
    return key;
  });
}
