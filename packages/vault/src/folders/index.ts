/**
 * Shared folders (docs/PROTOCOL.md §12): per-account sharing keys, the signed folder member log,
 * folder keys wrapped per member, sealed entries and the safety number. One small public face.
 */
export {
  sharingKey,
  sealSharingKey,
  openSharingKey,
  sharingRotationMessage,
  verifySharingRotation,
  type SharingKey,
  type SharingKeyStep,
  type SharingPublic,
} from './sharing-key.js';
export {
  buildFolderLink,
  verifyFolderLog,
  folderLinkHash,
  folderKeyCommit,
  type FolderLink,
  type FolderLinkBody,
  type FolderLinkMember,
  type FolderMember,
  type FolderOp,
  type FolderPin,
  type FolderRole,
  type FolderState,
  type NewFolderLink,
} from './log.js';
export { wrapFolderKey, unwrapFolderKey, type FolderWrapContext } from './wrap.js';
export { sealFolderEntry, openFolderEntry, resealFolderEntry, type SealedFolderEntry } from './entries.js';
export { safetyNumber } from './safety.js';
export { FolderError, type FolderErrorCode } from './errors.js';
export * from './client/index.js';
// The name's reserved entry id and opener: tests playing a removed device check what it opens.
export { FOLDER_NAME_ID, openFolderName } from './client/name.js';
