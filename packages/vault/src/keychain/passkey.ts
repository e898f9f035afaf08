/**
 * Passkeys for restore (docs/PROTOCOL.md §8): a WebAuthn credential's PRF output, evaluated on the
 * fixed `PASSKEY_PRF_INPUT`, derives an X25519 key pair the vault key is wrapped to (like the
 * recovery key) and an Ed25519 key that anchors the passkey in the circle, so the server can neither
 * use nor forge it. The platform code (web app, extension) runs WebAuthn and hands the PRF output here.
 */
import { PASSKEY_RECIPIENT_PREFIX } from '@tessera/protocol';
import { b64u } from './bytes.js';
import { buildLink, passkeyId, type CirclePasskey } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey, passkeyKeyPair, passkeySigningKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';
import { joinWith, keepSignIn, requirePending } from './recover.js';
import { wrapVaultKey } from './wrap.js';

/** What WebAuthn gave: the credential's raw id and its PRF output for `PASSKEY_PRF_INPUT`. */
export interface PasskeySecret {
  credentialId: Uint8Array;
  /** `prf.results.first` (32 bytes). */
  prf: Uint8Array;
}

function checkPrf(prf: Uint8Array): void {
  if (prf.length < 32)
    throw new KeychainError('http', 'The passkey gave no usable PRF secret (it needs 32 bytes).');
}

/** The circle entry a passkey makes (public keys only). */
export function passkeyEntry(options: PasskeySecret & { name: string }): CirclePasskey {
  checkPrf(options.prf);
  return {
    id: passkeyId(options.credentialId),
    credentialId: b64u(options.credentialId),
    name: options.name,
    encPub: b64u(passkeyKeyPair(options.prf).encPub),
    signPub: b64u(passkeySigningKey(options.prf).publicKey),
  };
}

/** Registers a passkey for restore: an anchored `add-passkey` link and a wrap of the vault key. */
export async function addPasskey(
  keychain: Keychain,
  options: PasskeySecret & { name: string },
): Promise<CirclePasskey> {
  const state = keychain.requireTrusted();
  const passkey = passkeyEntry(options);
  await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const { epoch, vk } = keychain.currentVaultKey();
    const link = buildLink(circle, {
      op: 'add-passkey',
      by: state.deviceId,
      passkey,
      signer: circleKey(vk),
      passkeyAnchor: passkeySigningKey(options.prf),
    });
    const recipientId = PASSKEY_RECIPIENT_PREFIX + passkey.id;
    const wrapped = wrapVaultKey({
      accountId: state.accountId,
      recipientId,
      epoch,
      vk,
      recipientPub: passkeyKeyPair(options.prf).encPub,
    });
    await keychain.adoptCircle(await postLink(keychain, link, [{ recipientId, epoch, wrapped }]));
  });
  return passkey;
}

/** Removes a passkey for restore; the server drops its wraps and no later key is wrapped to it. */
export async function removePasskey(keychain: Keychain, id: string): Promise<void> {
  const state = keychain.requireTrusted();
  await withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const passkey = circle.passkeys?.[id];
    if (!passkey) throw new KeychainError('not-trusted', `No passkey ${id} is registered for restore.`);
    const { vk } = keychain.currentVaultKey();
    const { addedAt: _a, addedBy: _b, ...entry } = passkey;
    const link = buildLink(circle, {
      op: 'remove-passkey',
      by: state.deviceId,
      passkey: entry,
      signer: circleKey(vk),
    });
    await keychain.adoptCircle(await postLink(keychain, link, []));
  });
}

/** The passkeys registered for restore, as the verified circle names them. */
export function listPasskeys(keychain: Keychain): (CirclePasskey & { addedAt: string })[] {
  return Object.values(keychain.requireState().circle?.passkeys ?? {});
}

/**
 * A pending device joins with a passkey: only a passkey the verified circle anchors with the signing
 * key this PRF output derives is used, so a server cannot slip in a wrap to a key of its own.
 */
export async function recoverWithPasskey(keychain: Keychain, secret: PasskeySecret): Promise<void> {
  checkPrf(secret.prf);
  requirePending(keychain);
  await keepSignIn(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const id = passkeyId(secret.credentialId);
    const registered = circle.passkeys?.[id];
    const holder = passkeyKeyPair(secret.prf);
    if (!registered) {
      throw new KeychainError(
        'recovery-key-invalid',
        'This passkey is not registered for restore in this keychain (it was removed, a device removal dropped it, or it belongs to another account); nothing was changed.',
      );
    }
    if (
      registered.signPub !== b64u(passkeySigningKey(secret.prf).publicKey) ||
      registered.encPub !== b64u(holder.encPub)
    ) {
      throw new KeychainError(
        'circle-invalid',
        'The server presented a keychain whose passkey entry this passkey did not sign; nothing was changed.',
      );
    }
    await joinWith(keychain, { recipientId: PASSKEY_RECIPIENT_PREFIX + id, holder, via: 'passkey' });
  });
}
