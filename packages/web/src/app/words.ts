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

/** The message to show for `err` on a web page. */
export function forScreen(err: unknown): string {
  const e = coded(err);
  if (e?.name === 'KeychainError' && KEYCHAIN[e.code]) return KEYCHAIN[e.code]!(e.message);
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
