/** Posting a circle link with its wraps, and adopting the result. */
import type { Wrap } from '@tessera/protocol';
import { applyLinks, type CircleLink, type CircleState } from './circle.js';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';

/**
 * Posts `link` (built on `state.circle`) and returns the verified circle it makes. The server's
 * compare-and-swap refuses a stale `prev` (409): callers refresh and rebuild.
 */
export async function postLink(keychain: Keychain, link: CircleLink, wraps: Wrap[]): Promise<CircleState> {
  const state = keychain.requireState();
  const next = applyLinks(state.circle, [link]);
  try {
    await keychain.client().call('circlePost', { body: { link, wraps } });
  } catch (err) {
    if (err instanceof KeychainError && err.details.status === 409) {
      throw new KeychainError(
        'conflict',
        'The circle changed on the server meanwhile; try again.',
        err.details,
      );
    }
    throw err;
  }
  return next;
}

/** Runs `attempt` (which refreshes the circle and posts a link) again once after a circle conflict. */
export async function withCircleRetry<T>(keychain: Keychain, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof KeychainError && err.code === 'conflict')) throw err;
    await keychain.refreshCircle();
    return attempt();
  }
}
