/** Notices (docs/PROTOCOL.md §4): fetched with each sync round, kept for `status`, shown once. */
import type { Notice } from '@tessera/protocol';
import type { Keychain } from './keychain.js';
import { MAX_KEPT_NOTICES } from './state.js';

/** Fetches notices after the last one seen and keeps the newest. */
export async function fetchNotices(keychain: Keychain): Promise<Notice[]> {
  const state = keychain.requireState();
  const { notices } = await keychain.client().call('notices', { query: { since: state.noticeCursor } });
  if (notices.length === 0) return [];
  state.notices = [...state.notices, ...notices].slice(-MAX_KEPT_NOTICES);
  state.noticeCursor = Math.max(state.noticeCursor, ...notices.map((n) => n.id));
  await keychain.save();
  return notices;
}

/** Notices not yet shown, marked shown (for one-line messages on other commands). */
export async function takeUnshownNotices(keychain: Keychain): Promise<Notice[]> {
  const state = keychain.state;
  if (!state) return [];
  const fresh = state.notices.filter((n) => n.id > state.noticesShown);
  if (fresh.length === 0) return [];
  state.noticesShown = Math.max(...fresh.map((n) => n.id));
  await keychain.save();
  return fresh;
}

/** One line for people. */
export function describeNotice(notice: Notice): string {
  const data = notice.data as Record<string, unknown>;
  const name =
    typeof data.name === 'string'
      ? `"${data.name}"`
      : typeof data.deviceId === 'string'
        ? data.deviceId
        : 'a device';
  switch (notice.kind) {
    case 'device-join-requested':
      return `${name} asks to join the keychain; approve it with \`tessera keychain approve --code CODE\` if it is yours.`;
    case 'device-joined':
      return `${name} joined the keychain.`;
    case 'device-removed':
      return `${name} was removed from the keychain.`;
    case 'pin-attempt-failed':
      return `A wrong keychain PIN was tried${typeof data.attemptsLeft === 'number' ? ` (${data.attemptsLeft} attempts left)` : ''}.`;
    case 'escrow-destroyed':
      return 'The keychain PIN was locked for good after 10 wrong attempts; set a new one with `tessera keychain set-pin`.';
    case 'recovery-key-used':
      return `The recovery key was used to add ${name}.`;
    case 'backup-mismatch':
      return 'A device found that the server copy of the backup differs from its own vault; run `tessera sync` and `tessera keychain status`.';
    case 'server':
      return typeof data.message === 'string'
        ? `Server: ${data.message}`
        : 'A message from the keychain server.';
    default:
      return `Keychain notice: ${String(notice.kind)}.`;
  }
}
