export * from './bytes.js';
export { canon } from '@tessera/protocol';
export * from './errors.js';
export * from './keys.js';
export * from './wrap.js';
export * from './items.js';
export * from './recovery-key.js';
export { newCode, normalizeCode, CODE_DIGITS } from './approval-channel.js';
export * from './device-keys.js';
export * from './device-key-store.js';
export * from './circle.js';
export * from './client.js';
export * from './feed.js';
export * from './state.js';
export { Keychain, type KeychainOptions } from './keychain.js';
export { signup, type SignupOptions, type SignupResult } from './signup.js';
export {
  login,
  signInToRecover,
  completeJoin,
  awaitApproval,
  ownVerificationCode,
  liveJoinCode,
  type LoginOptions,
  type LoginResult,
} from './join.js';
export { approve, type ApproveOptions } from './approve.js';
export { recoverWithPin, recoverWithRecoveryKey } from './recover.js';
export { setPin, checkPin, realmUrl } from './pin.js';
export { removeDevice, type RemoveDeviceOptions } from './remove-device.js';
export { rotateRecoveryKey } from './rotate-recovery-key.js';
export { evictPendingDevice, type EvictDeviceOptions } from './evict-device.js';
export { ensureSharingKey, openCircleSharing, rotateCircleSharing, sharingKeyChain } from './sharing.js';
export { renameDevice, type RenameDeviceOptions } from './rename-device.js';
export { lockAccount } from './lock-account.js';
export { signInAgain, type SignInAgainOptions } from './sign-in-again.js';
export { changePassword, type ChangePasswordOptions } from './password.js';
export {
  addPasskey,
  removePasskey,
  listPasskeys,
  recoverWithPasskey,
  passkeyEntry,
  type PasskeySecret,
} from './passkey.js';
export { syncRound, pull, push, pendingRecords, type SyncResult } from './sync.js';
export { follow, type FollowOptions } from './follow.js';
export { verifyBackup, verificationDue, VERIFY_INTERVAL_MS, type VerifyReport } from './verify-backup.js';
export {
  activeNotices,
  describeNotice,
  dismissNotice,
  fetchNotices,
  noticeDone,
  takeUnshownNotices,
} from './notices.js';
export {
  allNotices,
  deviceList,
  keychainStatus,
  listDevices,
  pinProtection,
  type KeychainStatus,
  type DeviceView,
  type PinProtection,
} from './status.js';
