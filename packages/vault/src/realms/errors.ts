/** What went wrong with a realm PIN operation, per realm and as a whole. */

/** How one realm answered. */
export type RealmOutcomeKind =
  | 'ok'
  /** No answer (refused connection, timeout, not a realm). */
  | 'unreachable'
  /** An answer that fails the pinned key, record or nonce check: forged, tampered or replayed. */
  | 'forged'
  | 'wrong-pin'
  | 'destroyed'
  /** Deleted by its owner: the PIN was replaced or turned off. */
  | 'deleted'
  | 'no-record'
  /** Any other refusal (rate limit, bad request, conflict); `detail` says which. */
  | 'refused';

export interface RealmOutcome {
  url: string;
  realmId: string;
  kind: RealmOutcomeKind;
  /** The realm's own message, or why its answer was refused. Never holds a secret. */
  detail?: string;
  guessesLeft?: number;
}

export type RealmErrorCode =
  /** The PIN is wrong; `guessesLeft` is the smallest budget left at a realm that counted the guess. */
  | 'wrong-pin'
  /** Too many realms deleted the record after spending its guesses: the secret cannot come back. */
  | 'destroyed'
  /** Too many realms had the record deleted by its owner: this PIN setting was replaced or turned off. */
  | 'replaced'
  /** Fewer realms than the threshold answered correctly (down, forged answers, refusals). */
  | 'not-enough-realms'
  /** Registration could not reach or was refused by a realm; nothing usable was set up. */
  | 'register-failed'
  /** Bad arguments (threshold, realm list, PIN, setup). */
  | 'invalid';

export class RealmError extends Error {
  override name = 'RealmError';
  constructor(
    readonly code: RealmErrorCode,
    message: string,
    readonly realms: RealmOutcome[] = [],
    readonly guessesLeft?: number,
  ) {
    super(message);
  }
}

/** "realm-x at https://…: unreachable (…)" lines for messages. */
export function describeOutcomes(outcomes: RealmOutcome[]): string {
  return outcomes
    .filter((o) => o.kind !== 'ok')
    .map((o) => `${o.realmId} at ${o.url}: ${o.kind}${o.detail ? ` (${o.detail})` : ''}`)
    .join('; ');
}
