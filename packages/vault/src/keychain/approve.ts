/**
 * A trusted device approves a pending one (docs/PROTOCOL.md §1.3, §5 "Join by approval"): with the
 * code the user typed, it runs CPace against the pending device's share through the server's relay;
 * only when the pending device's confirmation tag checks does it sign the `add-device` link, and it
 * then sends the vault key and the new circle head sealed under a key from ISK.
 */
import { canon, JOIN_REQUEST_TTL_MS } from '@tessera/protocol';
import { finishCpace, startCpace } from '../pake/index.js';
import {
  AD_NEW,
  AD_TRUSTED,
  awaitSlots,
  burnAttempt,
  DEFAULT_RELAY_WAIT_MS,
  cpaceInputs,
  normalizeCode,
  readSlots,
  sealKeyOf,
  writeSlot,
  type RelayWait,
  type SealedDelivery,
} from './approval-channel.js';
import { b64u, concat, constantTimeEqual, fromB64u, randomBytes, utf8 } from './bytes.js';
import { buildLink, type CircleDevice } from './circle.js';
import { CODE_MISMATCH_MESSAGE, KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { circleKey } from './keys.js';
import { postLink, withCircleRetry } from './post-link.js';
import { seal } from './primitives.js';

/** Pending devices considered at once; a server listing more gains nothing but a refusal. */
export const MAX_PENDING_CONSIDERED = 10;

export interface ApproveOptions {
  /** The code the new device shows. */
  code: string;
  /** Which waiting device, when more than one is waiting. */
  deviceId?: string;
  /** How often to look for the new device's answer when the server does not hold a look (short polling). */
  pollMs?: number;
  /** How long the server may hold each look for that answer (long polling); 0 for short polling only. */
  waitMs?: number;
}

/** Approves the pending device that shows the code; returns it. */
export async function approve(keychain: Keychain, input: string | ApproveOptions): Promise<CircleDevice> {
  const options = typeof input === 'string' ? { code: input } : input;
  normalizeCode(options.code);
  const state = keychain.requireTrusted();
  await keychain.refreshCircle();
  const circle = keychain.requireState().circle!;
  const { devices } = await keychain.client().call('devices');
  const waiting = devices.filter(
    (d) =>
      d.status === 'pending' &&
      !circle.devices[d.id] &&
      keychain.now() - d.createdAt < 2 * JOIN_REQUEST_TTL_MS &&
      (options.deviceId === undefined || d.id === options.deviceId),
  );
  if (waiting.length > MAX_PENDING_CONSIDERED) {
    throw new KeychainError(
      'code-not-found',
      `${waiting.length} devices are waiting for approval at once, more than the ${MAX_PENDING_CONSIDERED} this device will consider; this can be an attack. Try again later.`,
    );
  }
  const ready = [];
  for (const d of waiting) {
    const slots = await readSlots(keychain, d.id);
    if (slots.a !== undefined && slots.b === undefined && slots.fail === undefined)
      ready.push({ d, a: slots.a });
  }
  if (ready.length === 0) {
    throw new KeychainError(
      'code-not-found',
      'No new device is waiting for approval; run `tessera keychain login` on the new device (or open the web app there) and type the code it shows.',
    );
  }
  if (ready.length > 1) {
    throw new KeychainError(
      'code-not-found',
      `${ready.length} devices are waiting for approval (${ready.map((r) => `${r.d.name} ${r.d.id}`).join(', ')}); name the one that shows this code.`,
    );
  }
  const { d: target, a } = ready[0]!;
  const subject = {
    accountId: state.accountId,
    deviceId: target.id,
    nonce: target.nonce,
    encPub: target.encPub,
    signPub: target.signPub,
  };
  const inputs = cpaceInputs({ code: options.code, subject });
  const run = startCpace({ ...inputs, random: randomBytes });
  const ya = fromB64u(a, 'join message a');
  const keys =
    ya.length === 32
      ? finishCpace({
          y: run.y,
          peerShare: ya,
          sid: inputs.sid,
          ya,
          ada: AD_NEW,
          yb: run.share,
          adb: AD_TRUSTED,
        })
      : null;
  if (!keys) {
    await burnAttempt(keychain, target.id);
    throw new KeychainError('code-mismatch', CODE_MISMATCH_MESSAGE);
  }
  await writeSlot(keychain, target.id, 'b', b64u(concat(run.share, keys.tagB)));
  const answer = await awaitAnswer(keychain, target.id, {
    seen: 2,
    waitMs: options.waitMs ?? DEFAULT_RELAY_WAIT_MS,
    pollMs: options.pollMs ?? 300,
  });
  if (answer === null || !constantTimeEqual(keys.tagA, answer)) {
    if (answer !== null) await burnAttempt(keychain, target.id);
    throw new KeychainError('code-mismatch', CODE_MISMATCH_MESSAGE);
  }
  const device: CircleDevice = {
    id: target.id,
    name: target.name,
    encPub: target.encPub,
    signPub: target.signPub,
  };
  // The link builds on the circle verified at the start of this approval rather than a second fetch
  // of it (issue 14): the server's compare-and-swap on `prev` refuses a link on a circle that moved
  // meanwhile, and `withCircleRetry` then refreshes, verifies and builds again.
  const { after, epoch, vk } = await withCircleRetry(keychain, async () => {
    const current = keychain.requireState().circle!;
    const me = keychain.requireTrusted();
    const { epoch, vk } = keychain.currentVaultKey();
    const link = buildLink(current, {
      op: 'add-device',
      by: me.deviceId,
      device,
      via: 'approval',
      signer: circleKey(vk),
    });
    const wraps = [keychain.wrapForDevice(device, vk, epoch)];
    return { after: await postLink(keychain, link, wraps), epoch, vk };
  });
  // The server accepted the link, so `after` is the true head: the new device gets it at once, while
  // this device saves its own copy of that circle (a whole-vault write; the new device does not wait
  // for it, issue 14). Should the save fail, the next round fetches the circle from the server again.
  const delivery: SealedDelivery = { v: 2, epoch, vk: b64u(vk), head: after.head, by: state.deviceId };
  const { key, aad } = sealKeyOf({ isk: keys.isk, subject });
  await Promise.all([
    writeSlot(keychain, target.id, 'sealed', b64u(seal(key, utf8(canon(delivery)), aad))),
    keychain.adoptCircle(after),
  ]);
  return device;
}

/** The new device's confirmation tag, or null when it reported a mismatch; waits while the request lives. */
async function awaitAnswer(
  keychain: Keychain,
  deviceId: string,
  wait: RelayWait,
): Promise<Uint8Array | null> {
  const deadline = keychain.now() + JOIN_REQUEST_TTL_MS;
  while (keychain.now() < deadline) {
    // Slots a and b are there (`seen`): the look is held until the answer (or a failure) is written.
    const slots = await awaitSlots(keychain, deviceId, wait);
    if (slots.fail !== undefined) return null;
    if (slots['confirm-a'] !== undefined) return fromB64u(slots['confirm-a'], 'join message confirm-a');
  }
  throw new KeychainError(
    'code-not-found',
    'The new device did not answer within 10 minutes; start again on the new device.',
  );
}
