/**
 * A trusted device makes a code link of one entry and uploads its sealed codes (docs/PROTOCOL.md §9):
 * the CLI's `share` and the web app's "Share codes" make their links here, each with its own base
 * for the page. The codes are those of the server's clock, so they match the service's even when
 * this device's clock is off. The key stays in the returned share (for the link's fragment only).
 */
import type { OtpEntry } from '@tessera/otp';
import type { Keychain } from '../keychain/keychain.js';
import { makeShare, type Share } from './share.js';

export async function postShare(
  keychain: Keychain,
  options: { entry: OtpEntry; minutes: number },
): Promise<Share> {
  keychain.requireTrusted();
  const meta = await keychain.serverMeta();
  const share = makeShare({ ...options, now: meta.time / 1000 });
  await keychain.client().call('sharePost', {
    body: { id: share.id, ciphertext: share.ciphertext, expiresAt: share.expiresAt },
  });
  return share;
}
