/** Wrapping VK to a recipient: docs/PROTOCOL.md §1.1 (one mechanism for devices, recovery and escrow). */
import { b64u, concat, fromB64u, utf8 } from './bytes.js';
import { KeychainError } from './errors.js';
import { ephemeralX25519, type X25519Holder } from './keys.js';
import { LABELS } from '@tessera/protocol';
import { hkdf, open, seal } from './primitives.js';

/** Who a wrap is for and under which account and epoch; all of it is bound as associated data. */
export interface WrapContext {
  accountId: string;
  /** A device id, or the literals `recovery` / `escrow`. */
  recipientId: string;
  epoch: number;
}

function wrapAad(ctx: WrapContext): Uint8Array {
  return utf8(`${LABELS.wrap}|${ctx.accountId}|${ctx.recipientId}|${ctx.epoch}`);
}

function wrapKey(shared: Uint8Array, ephPub: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  return hkdf({ ikm: shared, salt: concat(ephPub, recipientPub), info: LABELS.wrap });
}

/** Wraps `vk` for the holder of X25519 public key `recipientPub`; returns the `wrapped` field. */
export function wrapVaultKey(options: WrapContext & { vk: Uint8Array; recipientPub: Uint8Array }): string {
  const eph = ephemeralX25519();
  const key = wrapKey(eph.shared(options.recipientPub), eph.publicKey, options.recipientPub);
  return b64u(concat(eph.publicKey, seal(key, options.vk, wrapAad(options))));
}

/** Unwraps a VK addressed to `recipient`; a wrap for another recipient, account or epoch is refused. */
export async function unwrapVaultKey(
  options: WrapContext & { wrapped: string; recipient: X25519Holder },
): Promise<Uint8Array> {
  const bytes = fromB64u(options.wrapped, 'wrapped');
  const refuse = () =>
    new KeychainError(
      'circle-invalid',
      `The vault key wrapped for ${options.recipientId} (epoch ${options.epoch}) cannot be opened with this key.`,
    );
  if (bytes.length < 32) throw refuse();
  const ephPub = bytes.subarray(0, 32);
  let shared: Uint8Array;
  try {
    shared = await options.recipient.deriveShared(ephPub);
  } catch {
    throw refuse();
  }
  const vk = open(wrapKey(shared, ephPub, options.recipient.encPub), bytes.subarray(32), wrapAad(options));
  if (!vk || vk.length !== 32) throw refuse();
  return vk;
}
