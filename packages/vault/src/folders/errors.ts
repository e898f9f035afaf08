/** Why a shared-folder operation failed; stable codes callers (CLI, web app) can branch on. */
export type FolderErrorCode =
  | 'log-invalid'
  | 'log-forged'
  | 'log-rollback'
  | 'log-fork'
  | 'wrap-invalid'
  | 'entry-invalid'
  | 'not-owner'
  | 'not-member'
  | 'not-writer'
  | 'not-confirmed'
  | 'no-invite'
  | 'invite-keys'
  | 'no-sharing-key'
  | 'unknown-account'
  | 'entries-rollback'
  | 'no-key'
  | 'key-hijacked';

/** A shared-folder failure with a one-sentence message that never contains a secret. */
export class FolderError extends Error {
  override readonly name = 'FolderError';
  constructor(
    readonly code: FolderErrorCode,
    message: string,
  ) {
    super(message);
  }
}
