/**
 * Words for the screen they are on. The shared libraries' messages are written for the CLI and name
 * its commands and flags; on this screen people have pages and buttons. Errors are matched by their
 * class name and code (not imported: the keychain library is a lazy chunk), and a message without a
 * command in it passes through unchanged.
 */

interface CodedError {
  name: string;
  code: string;
  message: string;
}

function coded(err: unknown): CodedError | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { name: err.name, code, message: err.message } : null;
}

/** Keychain error codes whose library message sends people to a CLI command. */
const KEYCHAIN: Record<string, (message: string) => string> = {
  'not-signed-in': (m) =>
    /not signed in to a keychain/.test(m)
      ? 'This device is not signed in to a keychain; turn on keychain backup on the Backup page.'
      : /maximum lifetime/.test(m)
        ? 'Signed out: this session reached its maximum lifetime. Sign in again on the Backup page.'
        : 'The keychain session has ended. Sign in again on the Backup page.',
  'not-trusted': (m) =>
    /removed/.test(m)
      ? 'This device was removed from the keychain. Sign in again on the Backup page to ask to join anew.'
      : 'This device is waiting for approval: type the code it shows on a trusted device, or use the keychain PIN or the recovery key.',
  'join-removed': () =>
    'This request to join was removed by one of your trusted devices. If this device is yours, sign in again.',
  'code-not-found': (m) =>
    /No new device is waiting/.test(m)
      ? 'No new device is waiting for approval. Sign in on the new device, keep its code on screen, and type that code here.'
      : m,
  'code-mismatch': (m) =>
    /no approval in progress/.test(m) ? 'Sign in again on this device for a new code.' : m,
};

/** Shared-folder error codes whose library message is worded for the CLI, or too terse for a page. */
const FOLDER: Record<string, (message: string) => string> = {
  'not-confirmed': () => folderWords.notConfirmed,
  'no-sharing-key': () =>
    'That account has not used shared folders yet. Ask them to open the Folders page once, then invite them again.',
  'unknown-account': () => 'No account with that email is on this keychain server.',
  'not-writer': () => 'Viewers see the codes of this folder but cannot change them.',
  'not-owner': () => 'Only an owner of the folder can do this.',
  'not-member': () => 'This account is not a member of that folder (any more).',
  'no-invite': () => 'That invite is no longer pending.',
  'no-key': () =>
    'The folder key has not reached this account yet: it arrives as soon as an owner’s device is online.',
  'invite-keys': () =>
    'The invite names keys that are not this account’s: the server changed it. Do not accept; ask the owner to invite you again.',
};

/** The message to show for `err` on a web page. */
export function forScreen(err: unknown): string {
  const e = coded(err);
  if (e?.name === 'KeychainError' && KEYCHAIN[e.code]) return KEYCHAIN[e.code]!(e.message);
  if (e?.name === 'FolderError' && FOLDER[e.code]) return FOLDER[e.code]!(e.message);
  const message = err instanceof Error ? err.message : String(err);
  if (e?.name === 'FormatError') {
    return message
      .replace(
        /; name it with --format \(see the list of formats\)/,
        '. Tessera reads the files listed under “Supported apps and files” below',
      )
      .replace(/otherwise name the format with --format\./, 'otherwise it is not a file Tessera reads.');
  }
  return message;
}

/** The trash: the toast after a delete and the Trash page (reached from Settings). */
export const trashWords = {
  deleted: (label: string) => `Deleted ${label}`,
  undo: 'Undo',
  restored: (label: string) => `Restored ${label}`,
  emptied: (count: number) =>
    count === 0
      ? 'The trash was already empty.'
      : `Emptied the trash: ${count} deleted ${count === 1 ? 'entry' : 'entries'} wiped for good.`,
  title: 'Trash',
  intro: (days: number) => `Deleted entries stay here for ${days} days, then they are wiped for good.`,
  empty: 'The trash is empty.',
  deletedOn: (at: number) => `deleted ${new Date(at).toLocaleString()}`,
  restore: 'Restore',
  emptyButton: 'Empty trash…',
  emptyTitle: 'Empty the trash?',
  emptyMessage: 'Every entry in the trash is wiped for good, on all your devices. This cannot be undone.',
  emptyConfirm: 'Empty trash',
  settingsLink: (count: number) => (count === 0 ? 'Open the trash' : `Open the trash (${count})`),
};

/** The safety-number check before an invite is signed or accepted (docs/PROTOCOL.md §12.5). */
export const safetyWords = {
  title: (peer: string) => `Safety number with ${peer}`,
  intro: (peer: string) =>
    `Compare this number with the one ${peer} sees, side by side, on a call, or by scanning their QR code. If one digit differs, someone may be in the middle: choose “They don’t match”.`,
  qrAlt: 'The safety number as a QR code, for the other person to scan',
  match: 'Numbers match',
  mismatch: 'They don’t match',
  scanGroup: 'Scan their safety number',
  scanCamera: 'Scan their QR with the camera',
  scanPicture: 'Open a picture of their QR',
  cameraPrompt: 'Point the camera at the QR code on their screen.',
  cameraFallback: 'open a picture of their QR code',
  pictureLabel: 'Open a screenshot or photo of their safety-number QR code',
  pictureNotFound: 'No QR code was found in that picture. Crop it closer to the code, or compare the digits.',
  scannedMatch: 'The scanned number matches.',
  scannedMismatch: (peer: string) =>
    `The scanned number is not the one shown here. Do not go on: the keys ${peer} and you see differ. Make sure you scanned the right screen, or choose “They don’t match”.`,
};

/** Shared folders: the Folders page, the codes list and Add (issue 16, docs/PROTOCOL.md §12). */
export const folderWords = {
  title: 'Shared folders',
  nav: 'Folders',
  intro:
    'Share codes with your family or team: everyone in a folder sees the same codes, end-to-end encrypted. Members are other accounts on this keychain server.',
  needKeychain:
    'Shared folders need keychain backup on this device. Turn it on on the Backup page, then come back here.',
  needTrusted:
    'This device is waiting to join your keychain. Once it is approved, your shared folders show here.',
  unnamed: 'Unnamed folder',
  role: { owner: 'owner', editor: 'editor', viewer: 'viewer' } as Record<string, string>,
  roleHelp: {
    owner: 'manages members and codes',
    editor: 'adds and edits codes',
    viewer: 'sees codes',
  } as Record<string, string>,
  status: { invited: 'invited, not yet accepted', active: 'joined', removed: 'removed' } as Record<
    string,
    string
  >,
  listLabel: (name: string, count: number) =>
    `${name || 'Unnamed folder'}: ${count} shared code${count === 1 ? '' : 's'}`,
  editorMore: (label: string, folder: string) => `Edit ${label} in ${folder || 'the folder'}`,
  viewerMore: (label: string, folder: string) => `Share ${label} from ${folder || 'the folder'}`,
  members: (count: number) => `${count} member${count === 1 ? '' : 's'}`,
  codes: (count: number) => `${count} code${count === 1 ? '' : 's'}`,
  createTitle: 'New folder',
  createLabel: 'Folder name',
  createButton: 'Create folder',
  created: (name: string) => `Created the folder ${name}.`,
  none: 'No shared folders yet. Create one, or ask someone to invite you.',
  invitesTitle: 'Invites for you',
  invite: (by: string, role: string) => `${by || 'Someone'} invites you as ${role}.`,
  acceptButton: (by: string) => `Check the safety number and accept the invite from ${by || 'this account'}`,
  accepted: (name: string) =>
    `You joined ${name || 'the folder'}. Its codes show once an owner’s device is online to hand you the folder key.`,
  open: (name: string) => `Open ${name || 'unnamed folder'}`,
  back: 'All folders',
  viewerNote:
    'You are a viewer: you see the codes but cannot change them. To make codes, your devices hold the folder’s secrets, as every member’s do.',
  secretsNote:
    'Every member’s devices hold the secrets of this folder’s codes, viewers’ too: a code cannot be made without them.',
  membersTitle: 'Members',
  /** §12.5: the member's sharing key changed (signed by its old key); the safety number is new. */
  keyChanged: 'their devices changed; compare the safety number again if you want',
  you: 'you',
  inviteTitle: 'Invite someone',
  inviteEmail: 'Their email (the account they use on this server)',
  inviteRole: 'Role',
  inviteButton: 'Invite…',
  inviteHelp:
    'Before the invite is signed you compare a safety number with them. They become a member after they compare it too and accept.',
  invited: (email: string) => `Invited ${email}. They become a member once they accept.`,
  notConfirmed:
    'Nothing was signed: the safety numbers were not confirmed. If they really differ, someone may be in the middle; try again later, on another connection.',
  roleLabel: (email: string) => `Role of ${email}`,
  roleChanged: (email: string, role: string) => `${email} is now ${role}.`,
  removeButton: (email: string) => `Remove ${email}`,
  removeTitle: (email: string) => `Remove ${email} from the folder?`,
  removeMessage: (email: string) =>
    `${email} will no longer see this folder or anything added or changed in it. The folder key is replaced and every code in it is encrypted again. ${email} may have kept what they already saw: change the codes at each site if that matters.`,
  removeConfirm: 'Remove member',
  removed: (email: string) => `Removed ${email}; the folder key was replaced.`,
  deleteButton: 'Delete folder…',
  deleteTitle: (name: string) => `Delete ${name || 'this folder'}?`,
  deleteMessage:
    'The folder and its codes are deleted for every member. Members who already saw the codes may have kept them. This cannot be undone.',
  deleteConfirm: 'Delete folder',
  deleted: (name: string) => `Deleted the folder ${name}.`,
  activityTitle: 'Activity',
  activityNote:
    'Members’ devices report when a code of this folder was shown or copied. The log is self-reported: a modified app could leave entries out.',
  activityNone: 'No code of this folder was shown or copied yet.',
  activityKind: { 'code-revealed': 'showed', 'code-copied': 'copied' } as Record<string, string>,
  saveTo: 'Save to',
  myCodes: 'My codes (this keychain)',
  hotpRefused: 'Counter-based codes cannot go into a shared folder; add it to your own codes.',
  shareSectionNote: 'Anyone with the link sees the codes, member or not.',
};
/** Pins and the order of the codes (issue 18): what a pin does, where it applies, moves announced. */
export const orderWords = {
  pinned: (label: string, synced: boolean) =>
    `Pinned ${label}: it shows first${synced ? ' on all your devices' : ''}.`,
  unpinned: (label: string, synced: boolean) => `Unpinned ${label}${synced ? ' on all your devices' : ''}.`,
  pinHint: (synced: boolean) =>
    synced ? 'Pinned codes show first, on all your devices.' : 'Pinned codes show first.',
  sortLabel: 'Sort',
  sorts: { manual: 'Manual', name: 'Name', used: 'Most used' } as const,
  moveHandle: (label: string) => `Move ${label}`,
  moved: (label: string, position: number, count: number) =>
    `Moved ${label} to position ${position} of ${count}.`,
  groupEdge: (label: string, pinned: boolean) =>
    pinned
      ? `${label} is the last pinned code. Unpin it to move it further.`
      : `${label} is the first code after the pinned ones. Pin it to move it higher.`,
  moveHelp: 'Drag a handle, or focus a code and press Alt+Up or Alt+Down to move it.',
};

/** The toast after a pin or unpin. */
export function pinWords(label: string, pinned: boolean, synced: boolean): string {
  return pinned ? orderWords.pinned(label, synced) : orderWords.unpinned(label, synced);
}
