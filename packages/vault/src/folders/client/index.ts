/** The shared-folder client (docs/PROTOCOL.md §12.8): one flow per module, one options object each. */
export { createFolder, type CreateFolderOptions } from './create.js';
export { inviteMember, type InviteMemberOptions } from './invite.js';
export { acceptInvite, pendingInvite, type AcceptInviteOptions, type PendingInvite } from './accept.js';
export { removeMember, type MemberTarget } from './remove-member.js';
export { changeRole, deleteFolder, folderMembers, listFolders, localFolders, usesFolders } from './manage.js';
export { syncFolders, type SyncFoldersOptions, type SyncFoldersResult } from './sync.js';
export {
  addFolderEntry,
  deleteFolderEntry,
  editFolderEntry,
  folderRecords,
  nextFolderHotp,
  type AddFolderEntryOptions,
} from './entries.js';
export {
  folderActivity,
  recordFolderActivity,
  type FolderActivityEvent,
  type FolderActivityKind,
} from './activity.js';
export { findLocalFolder, type FolderInvite, type FolderMemberView, type FolderView } from './view.js';
export { FOLDERS_META_KEY, loadFolders, type LocalFolder, type LocalFolders } from './local.js';
export { ensureSharingKey } from '../../keychain/sharing.js';
