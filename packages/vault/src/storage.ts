/**
 * Where the encrypted vault bytes live. Deliberately tiny so each platform implements it in a few
 * lines: Node writes files (`@tessera/vault/node`), browsers use IndexedDB and the Web Locks API.
 * The bytes are already encrypted and authenticated; storage never sees a secret.
 */
export interface VaultStorage {
  /** The current vault bytes, or null when no vault has been saved yet. */
  load(): Promise<Uint8Array | null>;
  /**
   * Replaces the vault bytes atomically and durably: after it resolves, a crash leaves the new
   * bytes; before, the old ones. Called only while the lock is held. With `durability: 'relaxed'`
   * (a save of what the keychain server already holds, e.g. a pull) the platform may resolve before
   * the bytes reach the disk, as IndexedDB's relaxed transactions do: a crash may then leave the
   * previous bytes, never a mix. Storage that has no such mode saves durably.
   */
  save(bytes: Uint8Array, options?: { durability?: 'strict' | 'relaxed' }): Promise<void>;
  /**
   * Optional: `load()`, except that it answers `known` itself, without reading the whole file, when
   * storage still holds the very bytes this object last loaded or saved as `known`. Every change
   * starts by reloading (another process may have written), and a vault of 1,000 entries is half a
   * megabyte (issue 14). Must never answer `known` for bytes that differ from it.
   */
  loadUnlessSame?(known: Uint8Array): Promise<Uint8Array | null>;
  /**
   * Takes the exclusive write lock shared by every process or tab using this vault; resolves to the
   * function that releases it. Reads do not lock (saves are atomic, so a read sees a whole vault).
   */
  lock(): Promise<() => Promise<void>>;
  /** A name for messages, e.g. the file path. */
  readonly label?: string;
}
