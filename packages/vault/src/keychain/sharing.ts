/**
 * The account's sharing key in its circle (docs/PROTOCOL.md §12.1): made lazily by the first device
 * that uses shared folders, published by a `sharing-key` link with the seed sealed under the vault
 * key, and replaced by every key rotation (a new key sealed under the new vault key, signed over by
 * the old one), so a removed device's copy of the old seed opens nothing wrapped afterwards.
 */
import { FolderError } from '../folders/errors.js';
import {
  openSharingKey,
  sealSharingKey,
  sharingKey,
  sharingRotationMessage,
  type SharingKey,
  type SharingKeyStep,
  type SharingPublic,
} from '../folders/sharing-key.js';
import { b64u } from './bytes.js';
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

/**
 * The sharing key a rotating link names (§12.1): a NEW key, sealed under `vk` (the next epoch's vault
 * key), with the old key's signature of the change. A removed device keeps the old seed, so the old
 * key must stop being the one other members wrap folder keys to.
 */
export function rotateCircleSharing(
  keychain: Keychain,
  circle: CircleState,
  vk: Uint8Array,
): CircleSharing | undefined {
  const old = openCircleSharing(keychain, circle);
  if (!old) return undefined;
  const key = sharingKey();
  return {
    ...key.public,
    sealed: sealSharingKey({ key, vk, accountId: keychain.requireState().accountId }),
    prevSig: b64u(old.sign(sharingRotationMessage({ from: old.public, to: key.public }))),
  };
}

/**
 * The signed steps from `from`, a sharing key this account's verified circle retired, to its current
 * one; null when the circle never named `from` as one of its retired keys (a key of someone else's).
 */
export function sharingKeyChain(circle: CircleState, from: SharingPublic): SharingKeyStep[] | null {
  const retired = circle.retiredSharing ?? [];
  const at = retired.findIndex((r) => r.encPub === from.encPub && r.signPub === from.signPub);
  if (at < 0) return null;
  return retired.slice(at).map((r) => ({ ...r.next, sig: r.sig }));
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
