/**
 * What a push decided, the same for both databases: SQLite decides in a JavaScript transaction,
 * PostgreSQL in one stored-function call (`push-postgres.ts`); the route turns it into the reply.
 */
import { LIMITS } from '@tessera/protocol';
import { HttpError } from './http-error.js';

export type PushOutcome =
  | { kind: 'ok'; head: number }
  | { kind: 'no-account' }
  /** The first item (in push order) sealed under an epoch ahead of the circle's. */
  | { kind: 'too-new'; id: string; epoch: number; circle: number | null }
  /** The first item sealed under an epoch older than the circle's (§7 monotonic epochs). */
  | { kind: 'stale'; id: string; epoch: number; circle: number | null }
  /** Items whose stored version is not their base version, in push order. */
  | { kind: 'conflict'; conflicts: { id: string; version: number }[] }
  | { kind: 'too-many' };

/** The HTTP error of a refused push (every outcome but `ok` and `conflict`, which the route counts). */
export function refusal(outcome: Exclude<PushOutcome, { kind: 'ok' } | { kind: 'conflict' }>): HttpError {
  switch (outcome.kind) {
    case 'no-account':
      return new HttpError(401, 'unauthorized', 'This account no longer exists.');
    case 'too-new':
      return new HttpError(
        422,
        'bad-request',
        `Item ${outcome.id}: epoch ${outcome.epoch} is ahead of the circle (${outcome.circle}).`,
      );
    case 'stale':
      // A device that missed the rotation refreshes its circle and re-encrypts.
      return new HttpError(
        409,
        'epoch-stale',
        `Item ${outcome.id} is sealed under key epoch ${outcome.epoch}, older than the circle's epoch ${outcome.circle}; fetch the circle and the new key, then push again.`,
      );
    case 'too-many':
      return new HttpError(422, 'too-many-items', `An account holds at most ${LIMITS.maxLiveItems} entries.`);
  }
}
