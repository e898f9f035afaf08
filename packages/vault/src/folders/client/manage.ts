/**
 * Listing folders and members, changing a member's role and deleting a folder
 * (docs/PROTOCOL.md §12.7, §12.8).
 */
import type { Keychain } from '../../keychain/keychain.js';
import { FolderError } from '../errors.js';
import { buildFolderLink, type FolderRole } from '../log.js';
import {
  adoptLog,
  fetchFolderLog,
  folderCall,
  localFolder,
  ownSharingKey,
  postFolderLink,
  requireRole,
} from './common.js';
import { loadFolders, saveFolders } from './local.js';
import { findMember, type MemberTarget } from './remove-member.js';
import { syncFolders } from './sync.js';
import {
  folderView,
  memberViews,
  type FolderInvite,
  type FolderMemberView,
  type FolderView,
} from './view.js';

/**
 * Whether this account uses shared folders yet: its verified circle names a sharing key (made by the
 * first folder flow on any of its devices). Background syncs wait for it, so an account that never
 * uses folders publishes no sharing key and sends no folder request.
 */
export function usesFolders(options: { keychain: Keychain }): boolean {
  return Boolean(options.keychain.state?.circle?.sharing);
}

/** Every folder of this account (verified by a sync) and its pending invites. */
export async function listFolders(options: {
  keychain: Keychain;
}): Promise<{ folders: FolderView[]; invites: FolderInvite[] }> {
  const { folders, invites } = await syncFolders({ keychain: options.keychain });
  return { folders, invites };
}

/** The folders this device holds, without asking the server. */
export function localFolders(options: { keychain: Keychain }): FolderView[] {
  return Object.values(loadFolders(options.keychain).folders).map((f) => folderView(options.keychain, f));
}

/** The members of `folder` as its verified log names them, with safety numbers to compare. */
export async function folderMembers(options: {
  keychain: Keychain;
  folder: string;
}): Promise<FolderMemberView[]> {
  const { keychain } = options;
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  await saveFolders(keychain, folders);
  return memberViews(keychain, local, key);
}

/** Gives a member another role (owners only). */
export async function changeRole(options: MemberTarget & { role: FolderRole }): Promise<void> {
  const { keychain } = options;
  const state = keychain.requireTrusted();
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  requireRole({ keychain, local, need: 'owner' });
  const target = findMember(local, options);
  if (target.status !== 'active')
    throw new FolderError('unknown-account', 'Only an accepted member can be given another role.');
  const link = buildFolderLink({
    state: local.state,
    folder: local.id,
    link: { op: 'role', by: state.accountId, signer: key, member: { ...target, role: options.role } },
  });
  await postFolderLink({ keychain, folder: local.id, expectedHead: local.state.head.seq, link });
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  await saveFolders(keychain, folders);
}

/** Deletes the folder for every member (owners only). */
export async function deleteFolder(options: { keychain: Keychain; folder: string }): Promise<void> {
  const { keychain } = options;
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  requireRole({ keychain, local, need: 'owner' });
  await folderCall(() => keychain.client().call('folderDelete', { query: { folder: local.id } }));
  delete folders.folders[local.id];
  await saveFolders(keychain, folders);
}
