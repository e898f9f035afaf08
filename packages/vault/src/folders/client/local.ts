/**
 * What a device remembers of its shared folders between runs (docs/PROTOCOL.md §12.8), kept as one
 * JSON value in the vault's encrypted meta under `folders`: each folder's verified log state and the
 * pin that refuses rollbacks and forks, the folder keys it unwrapped, the decrypted name and entries,
 * and the entry cursor with the highest entry head the server ever showed.
 */
import type { Keychain } from '../../keychain/keychain.js';
import type { MetaValue, VaultRecord } from '../../types.js';
import type { FolderPin, FolderState } from '../log.js';

/** Meta key of the shared folders' local state. */
export const FOLDERS_META_KEY = 'folders';

export interface LocalFolder {
  id: string;
  /** Genesis and highest verified head: a log without them is a fork or a rollback. */
  pin: { genesisHash: string; head: FolderPin };
  /** The verified log's state (members, roles, epochs, key commitments). */
  state: FolderState;
  /** b64u folder key of each epoch this account unwrapped (checked against the commitment). */
  keys: Record<string, string>;
  /** Decrypted folder name ('' until the key is known). */
  name: string;
  /** Entry versions pulled up to this one. */
  cursor: number;
  /** Highest entry head the server ever showed: a lower one is a rollback. */
  entryHead: number;
  /**
   * Server version of each entry as last pulled or written: the `base` of the next write, so a
   * write over a change this device has not merged yet is refused (409) and retried after a pull.
   */
  versions?: Record<string, number>;
  /** Entries (records with their field clocks), tombstones included. */
  records: Record<string, VaultRecord>;
  /** Emails the server gave for accounts (display only). */
  emails: Record<string, string>;
  /** Owners: the log head at which wraps were last posted for every active member. */
  wrappedAt?: number;
}

export interface LocalFolders {
  v: 1;
  folders: Record<string, LocalFolder>;
  /** Latest hybrid logical clock this device stamped on a folder entry. */
  clock?: string;
}

/** The local folders state (empty when this device never used folders). */
export function loadFolders(keychain: Keychain): LocalFolders {
  const value = keychain.host.getMeta(FOLDERS_META_KEY) as unknown as LocalFolders | undefined;
  if (!value || typeof value !== 'object' || value.v !== 1) return { v: 1, folders: {} };
  const folders = structuredClone(value);
  // State from before entry versions were kept: pull every entry again (merging is idempotent) so
  // each write has its base.
  for (const local of Object.values(folders.folders))
    if (!local.versions) {
      local.versions = {};
      local.cursor = 0;
    }
  return folders;
}

/** Saves the local folders state (one vault write). */
export async function saveFolders(keychain: Keychain, folders: LocalFolders): Promise<void> {
  await keychain.host.setMeta(FOLDERS_META_KEY, folders as unknown as MetaValue);
}
