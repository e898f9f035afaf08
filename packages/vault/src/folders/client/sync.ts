/**
 * Folder sync (docs/PROTOCOL.md §12.8): for every folder naming this account, verify the member log
 * against the local pin (refusing rollbacks, forks and forged links), take the folder keys wrapped to
 * this account (refusing a key the owners did not commit to), pull the sealed entries after the cursor
 * (refusing an entry head lower than one already seen) and merge them. An owner's device also wraps the
 * current key to every active member the log names, which is how an accepted invite gets its key.
 */
import type { Keychain } from '../../keychain/keychain.js';
import { mergeRecords } from '../../merge.js';
import { openFolderEntry } from '../entries.js';
import { FolderError } from '../errors.js';
import type { FolderRole } from '../log.js';
import type { SharingKey } from '../sharing-key.js';
import {
  adoptLog,
  fetchFolderLog,
  folderCall,
  folderKey,
  newLocalFolder,
  ownSharingKey,
  selfMember,
} from './common.js';
import { loadFolders, saveFolders, type LocalFolder } from './local.js';
import { followOwnKey, rekeyIfDue } from './member-key.js';
import { wrapToMembers } from './new-epoch.js';
import { FOLDER_NAME_ID, openFolderName } from './name.js';
import { inviteInLog } from './accept.js';
import { folderView, type FolderInvite, type FolderView } from './view.js';

export interface SyncFoldersOptions {
  keychain: Keychain;
  /** Only this folder (e.g. on its feed event); default every folder. */
  folder?: string;
}

export interface SyncFoldersResult {
  folders: FolderView[];
  invites: FolderInvite[];
  /** Entries received that changed something here. */
  changed: number;
}

/** Syncs the shared folders of this account (see the module comment); throws `FolderError` on a refusal. */
export async function syncFolders(options: SyncFoldersOptions): Promise<SyncFoldersResult> {
  const { keychain } = options;
  keychain.requireTrusted();
  const key = await ownSharingKey(keychain);
  const { folders: listed } = await keychain.client().call('folders');
  const folders = loadFolders(keychain);
  const wanted = (id: string) => options.folder === undefined || options.folder === id;
  // A folder the server no longer names (deleted, or this account removed): its copies go.
  const named = new Set(listed.map((f) => f.id));
  for (const id of Object.keys(folders.folders)) if (wanted(id) && !named.has(id)) delete folders.folders[id];
  const invites: FolderInvite[] = [];
  let changed = 0;
  try {
    for (const row of listed) {
      if (row.role.startsWith('invited:')) {
        // One folder's sync (a feed event, a write's retry) leaves the other invites unverified.
        invites.push(await invited({ keychain, key, row, verify: options.folder === undefined }));
        continue;
      }
      if (!wanted(row.id)) continue;
      const known = folders.folders[row.id];
      const fetched = await fetchFolderLog({ keychain, folder: row.id, local: known });
      const local = known ?? newLocalFolder(row.id, fetched);
      adoptLog(local, fetched);
      // This account's key rotated since (§12.2): the folder follows it, or a hijack is refused.
      await followOwnKey({ keychain, local, key });
      const me = selfMember({ keychain, state: local.state, key });
      if (me.status !== 'active') continue;
      folders.folders[row.id] = local;
      // A member's key changed: an owner's device starts a new folder key epoch right away.
      if (me.role === 'owner') await rekeyIfDue({ keychain, folders, local, key });
      if (me.role === 'owner' && local.wrappedAt !== local.state.head.seq)
        await wrapToMembers(keychain, local, key);
      changed += await pullEntries(keychain, local, key);
    }
  } finally {
    // What was verified so far is kept (pins only move forward), even when a later folder is refused.
    await saveFolders(keychain, folders);
  }
  return {
    folders: Object.values(folders.folders).map((f) => folderView(keychain, f)),
    invites,
    changed,
  };
}

/**
 * A pending invite as listed: its name and role from the verified log when it verifies (the name
 * sealed to this account in the owner's signed invite); otherwise what the server says, unnamed
 * (accepting checks the log again and says what is wrong).
 */
async function invited(options: {
  keychain: Keychain;
  key: SharingKey;
  row: { id: string; role: string; invitedBy?: string | null };
  verify: boolean;
}): Promise<FolderInvite> {
  const { keychain, key, row } = options;
  const listed = {
    folder: row.id,
    name: '',
    role: row.role.slice('invited:'.length) as FolderRole,
    invitedBy: row.invitedBy ?? '',
  };
  if (!options.verify) return listed;
  try {
    const fetched = await fetchFolderLog({ keychain, folder: row.id });
    const invite = inviteInLog({ keychain, fetched, key });
    return {
      ...listed,
      name: invite.name,
      role: invite.role,
      invitedBy: invite.invitedBy.email || listed.invitedBy,
    };
  } catch (err) {
    if (err instanceof FolderError) return listed;
    throw err;
  }
}

/** Pulls and merges the entries after the cursor; returns how many records changed. */
async function pullEntries(keychain: Keychain, local: LocalFolder, key: SharingKey): Promise<number> {
  const res = await folderCall(() =>
    keychain.client().call('folderEntries', { query: { folder: local.id, since: local.cursor } }),
  );
  if (res.head < local.entryHead)
    throw new FolderError(
      'entries-rollback',
      `The server serves an older state of folder ${local.id} (entry version ${res.head}) than this device has seen (${local.entryHead}); nothing was synced.`,
    );
  let changed = 0;
  for (const sealed of res.entries) {
    // An entry of a later epoch than the verified log: the log moved meanwhile; the next sync gets it.
    if (sealed.epoch > local.state.epoch) break;
    // Sealed under an epoch before the current one: a removed member may hold that key, so it is
    // not merged; the owner who removed the member re-seals every entry under the new epoch.
    if (sealed.epoch < local.state.epoch) {
      local.cursor = Math.max(local.cursor, sealed.version);
      (local.versions ??= {})[sealed.id] = sealed.version;
      continue;
    }
    let fk: Uint8Array;
    try {
      fk = await folderKey({ keychain, local, epoch: sealed.epoch, key });
    } catch (err) {
      // No key wrapped to this account yet (an owner's device has not synced since the accept):
      // the cursor stays, so these entries are pulled again once it has.
      if (err instanceof FolderError && err.code === 'no-key') break;
      throw err;
    }
    // The cursor moves past an entry only once it opened: one refused (tampered, moved) leaves the
    // cursor before it, so the honest copy is pulled again by the next sync instead of being skipped.
    if (sealed.id === FOLDER_NAME_ID) {
      local.name = openFolderName({ fk, folder: local.id, sealed });
      local.cursor = Math.max(local.cursor, sealed.version);
      (local.versions ??= {})[sealed.id] = sealed.version;
      continue;
    }
    const record = openFolderEntry({ fk, folder: local.id, sealed });
    local.cursor = Math.max(local.cursor, sealed.version);
    (local.versions ??= {})[sealed.id] = sealed.version;
    const mine = local.records[record.entry.id];
    const merged = mine ? mergeRecords(mine, record) : record;
    if (!mine || JSON.stringify(mine) !== JSON.stringify(merged)) changed++;
    local.records[record.entry.id] = merged;
  }
  local.entryHead = Math.max(local.entryHead, res.head);
  return changed;
}
