export type {
  VaultEntry,
  VaultRecord,
  RecordClock,
  EntryPatch,
  MetaValue,
  VaultChange,
  ChangeListener,
} from './types.js';
export { VaultError, DuplicateEntryError, VaultDamagedError } from './errors.js';
export { HybridClock, parseHlc, formatHlc, isHlc, maxHlc, type HlcParts } from './hlc.js';
export { mergeRecords, isDeleted } from './merge.js';
export { canon } from './canon.js';
export {
  createRecord,
  validateRecord,
  sameCredential,
  entryLabel,
  normalizeTags,
  normalizeSites,
  MAX_SITES,
} from './record.js';
export { TRASH_DAYS, TRASH_MS, deletedAt, inTrash, purgeRecord, restoreRecord } from './trash.js';
export {
  ICON_NONE,
  ICON_SET,
  MAX_ICON_LENGTH,
  iconChoiceOf,
  parseIconChoice,
  checkIconValue,
  iconKey,
  createIconMatcher,
  resolveIcon,
  letterTile,
  parseIconIndex,
  iconIndexDocument,
  type SimpleIconsDataEntry,
  type IconInfo,
  type IconIndex,
  type IconView,
  type IconChoice,
  type IconMatcher,
} from './icons.js';
export { findEntries, findOneEntry, AmbiguousQueryError } from './query.js';
export { sortEntries, compareManual, isSortMode, SORT_MODES, type SortMode } from './sort.js';
export {
  positionBetween,
  positionsBetween,
  isPositionKey,
  POSITION_SPREAD_AT,
  MAX_POSITION_LENGTH,
} from './position.js';
export type { VaultStorage } from './storage.js';
export {
  sealVaultFile,
  sealVaultFileWith,
  openVaultFile,
  openVaultFileAny,
  readVaultHeader,
  type VaultFileAead,
  type VaultHeader,
  type KeyCustody,
  type PassphraseWrap,
  type XChaChaAead,
  nobleXChaCha,
} from './file-format.js';
export {
  wrapKeyWithPassphrase,
  unwrapKeyWithPassphrase,
  PASSPHRASE_KDF,
  PASSPHRASE_KDF_LIMITS,
} from './passphrase.js';
export {
  SERVER_CLOCK_META_KEY,
  CLOCK_SKEW_WARN_MS,
  measureServerClock,
  serverClockFromMeta,
  clockSkewWarning,
  codeTime,
  type ServerClock,
} from './clock-skew.js';
export {
  Vault,
  USES_META_KEY,
  type VaultKey,
  type KeyProvider,
  type OpenVaultOptions,
  type AddOptions,
  type VaultCheckReport,
  type TrashedEntry,
} from './vault.js';
export { toB64u, fromB64u } from './bytes.js';
export { currentCode, type CodeView } from './codes.js';
export { distinctDeviceName } from './device-name.js';
export { PIN_MAX_LENGTH, PIN_MIN_LENGTH, PIN_RULE, pinProblem } from './pin-rule.js';
// Keep this entry point light: the CLI loads it on every vault command. The keychain client (which
// pulls in the protocol schemas and OPAQUE) belongs behind its own entry point, not re-exported here.
