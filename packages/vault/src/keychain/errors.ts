/** Why a keychain operation failed; stable strings that callers (CLI, web app) can branch on. */
export type KeychainErrorCode =
  | 'update-required'
  | 'offline'
  | 'http'
  | 'wrong-password'
  | 'wrong-pin'
  | 'escrow-destroyed'
  | 'escrow-missing'
  | 'escrow-unavailable'
  | 'not-signed-in'
  | 'not-trusted'
  | 'already-trusted'
  | 'circle-invalid'
  | 'circle-rollback'
  | 'server-rollback'
  | 'item-invalid'
  | 'item-replayed'
  | 'recovery-key-invalid'
  | 'code-not-found'
  | 'code-mismatch'
  | 'conflict'
  | 'epoch-stale'
  | 'item-refused'
  | 'recovery-key-replaced'
  | 'too-large'
  | 'join-removed';

/** A keychain failure with a precise one-sentence message that never contains a secret. */
export class KeychainError extends Error {
  override readonly name = 'KeychainError';
  constructor(
    readonly code: KeychainErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** One wording wherever the escrow reports that 10 wrong PINs locked it. */
export const ESCROW_DESTROYED_MESSAGE =
  'The keychain PIN was locked for good after 10 wrong attempts; use the recovery key or approval from a trusted device.';

/** What both devices say when a CPace approval run fails (§1.3): the attempt is spent. */
export const CODE_MISMATCH_MESSAGE =
  'The code did not match. Start again on the new device: it will show a new code.';
