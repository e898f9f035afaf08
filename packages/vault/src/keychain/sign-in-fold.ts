/**
 * The answers a sign-in received folded into `sessions/finish` (docs/PROTOCOL.md §5 "Sign-in answers
 * folded", issue 14) that a later step uses: the wraps a join by recovery key or PIN would fetch next.
 * Held as received, for that session only, and used once; the step that takes them checks them
 * exactly as it checks `GET /v1/keys`'s answer. Anything else (another session, another recipient,
 * already taken) makes the step ask the server as it always did.
 */
import type { ResponseOf } from './client.js';
import type { Keychain } from './keychain.js';

type Wraps = ResponseOf<'keys'>['wraps'];

const held = new WeakMap<Keychain, { session: string; recipient: string; wraps: Wraps }>();

export function holdWraps(keychain: Keychain, session: string, recipient: string, wraps: Wraps): void {
  held.set(keychain, { session, recipient, wraps });
}

/** The wraps to `recipient` folded into this session's sign-in, once; null to ask the server. */
export function takeWraps(keychain: Keychain, recipient: string): Wraps | null {
  const fold = held.get(keychain);
  held.delete(keychain);
  if (!fold || fold.recipient !== recipient || fold.session !== keychain.state?.session) return null;
  return fold.wraps;
}
