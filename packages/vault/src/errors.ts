/** Base of every error the vault raises; `code` lets callers branch without parsing messages. */
export class VaultError extends Error {
  override name = 'VaultError';
  constructor(
    readonly code:
      | 'duplicate'
      | 'not-found'
      | 'ambiguous'
      | 'damaged'
      | 'wrong-key'
      | 'passphrase-required'
      | 'wrong-passphrase'
      | 'locked'
      | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** The entry being added already exists (same type, secret, issuer and account). */
export class DuplicateEntryError extends VaultError {
  override name = 'DuplicateEntryError';
  constructor(
    readonly existingId: string,
    label: string,
  ) {
    super('duplicate', `${label} is already in the vault`);
  }
}

/** The stored vault bytes failed authentication or do not parse. `file` names what was read. */
export class VaultDamagedError extends VaultError {
  override name = 'VaultDamagedError';
  constructor(
    readonly reason: string,
    readonly file = 'the vault',
  ) {
    super('damaged', `${file} is damaged or was modified: ${reason}`);
  }
}
