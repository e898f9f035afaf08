/**
 * A trusted device approves a pending one (docs/PROTOCOL.md §5 "Join by approval"): it finds the
 * pending device whose verification code is the one the user typed, and only then wraps the vault
 * key to it in a signed `add-device` link.
 */
import { JOIN_REQUEST_TTL_MS } from '@tessera/protocol';
import { buildLink, type CircleDevice } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';
import { codesMatch, normalizeCode, verificationCode } from './verification-code.js';

// Join requests expire on the server after JOIN_REQUEST_TTL_MS; twice that here tolerates clock skew.
/** Pending devices considered at once; a server listing more gains nothing but a refusal. */
export const MAX_PENDING_CONSIDERED = 10;

/** Approves the pending device that shows `code`; returns it. */
export async function approve(keychain: Keychain, code: string): Promise<CircleDevice> {
  normalizeCode(code);
  keychain.requireTrusted();
  return withCircleRetry(keychain, async () => {
    const circle = await keychain.refreshCircle();
    const state = keychain.requireTrusted();
    const { devices } = await keychain.client().call('devices');
    const pending = devices
      .filter(
        (d) =>
          d.status === 'pending' &&
          !circle.devices[d.id] &&
          keychain.now() - d.createdAt < 2 * JOIN_REQUEST_TTL_MS,
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    if (pending.length > MAX_PENDING_CONSIDERED) {
      throw new KeychainError(
        'code-not-found',
        `${pending.length} devices are waiting for approval at once, more than the ${MAX_PENDING_CONSIDERED} this device will consider; this can be an attack. Try again later.`,
      );
    }
    const matches = [];
    for (const d of pending) {
      const expected = await verificationCode({
        accountId: state.accountId,
        deviceId: d.id,
        encPub: d.encPub,
        signPub: d.signPub,
        nonce: d.nonce,
        circleHead: circle.head.hash,
      });
      if (codesMatch(expected, code)) matches.push(d);
    }
    if (matches.length === 0) {
      throw new KeychainError(
        'code-not-found',
        'No device waiting for approval shows this code; check the code on the new device (it changes when the circle changes; run `tessera keychain login` there again if it expired).',
      );
    }
    if (matches.length > 1) {
      throw new KeychainError(
        'code-not-found',
        'Two waiting devices show this code, which only happens under attack; nothing was approved.',
      );
    }
    const target = matches[0]!;
    const device: CircleDevice = {
      id: target.id,
      name: target.name,
      encPub: target.encPub,
      signPub: target.signPub,
    };
    const { epoch, vk } = keychain.currentVaultKey();
    const link = buildLink(circle, {
      op: 'add-device',
      by: state.deviceId,
      device,
      via: 'approval',
      signer: circleKey(vk),
    });
    const wraps = keychain
      .wrapsForCircle(circle, vk, epoch, [device])
      .filter((w) => w.recipientId === device.id);
    await keychain.adoptCircle(await postLink(keychain, link, wraps));
    return device;
  });
}
