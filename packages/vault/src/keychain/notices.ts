/** Notices (docs/PROTOCOL.md §4): fetched with each sync round, kept for `status`, shown once. */
import { JOIN_REQUEST_TTL_MS, type Notice } from '@tessera/protocol';
import type { Keychain } from './keychain.js';
import { MAX_KEPT_NOTICES, type KeychainState } from './state.js';

/** Fetches notices after the last one seen and keeps the newest. */
export async function fetchNotices(keychain: Keychain): Promise<Notice[]> {
  const notices = await requestNotices(keychain);
  if (keepNotices(keychain.requireState(), notices)) await keychain.save();
  return notices;
}

/** Asks for the notices after the last one seen, without keeping them (see `keepNotices`). */
export async function requestNotices(keychain: Keychain): Promise<Notice[]> {
  const state = keychain.requireState();
  const { notices } = await keychain.client().call('notices', { query: { since: state.noticeCursor } });
  return notices;
}

/** Keeps fetched notices in `state` (not saved); false when there were none. */
export function keepNotices(state: KeychainState, notices: readonly Notice[]): boolean {
  if (notices.length === 0) return false;
  state.notices = [...state.notices, ...notices].slice(-MAX_KEPT_NOTICES);
  state.noticeCursor = Math.max(state.noticeCursor, ...notices.map((n) => n.id));
  return true;
}

/**
 * Records a notice this device made itself (e.g. `item-refused`), kept and shown like the server's.
 * Local notices take negative ids (-1, -2, ...), so they never collide with the server's cursor.
 */
export function addLocalNotice(
  state: KeychainState,
  notice: { kind: Notice['kind']; data: Record<string, unknown>; at: number },
): void {
  const id = Math.min(0, ...state.notices.map((n) => n.id), state.localNoticesShown ?? 0) - 1;
  const entry: Notice = { id, kind: notice.kind, data: notice.data, createdAt: notice.at };
  state.notices = [...state.notices, entry].slice(-MAX_KEPT_NOTICES);
}

/** Notices not yet shown, marked shown (for one-line messages on other commands). */
export async function takeUnshownNotices(keychain: Keychain): Promise<Notice[]> {
  const state = keychain.state;
  if (!state) return [];
  const localShown = state.localNoticesShown ?? 0;
  const fresh = state.notices.filter((n) => n.id > state.noticesShown || (n.id < 0 && n.id < localShown));
  if (fresh.length === 0) return [];
  state.noticesShown = Math.max(state.noticesShown, ...fresh.map((n) => n.id));
  state.localNoticesShown = Math.min(localShown, ...fresh.map((n) => n.id));
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
    case 'recovery-key-replaced':
      return `The recovery key was replaced${typeof data.by === 'string' ? ` by ${data.by}` : ''}; only the newest recovery key restores the keychain now.`;
    case 'pin-changed':
      return 'The keychain PIN was changed; the old PIN no longer restores the keychain.';
    case 'item-refused':
      return typeof data.message === 'string'
        ? data.message
        : 'An item sealed under an old key epoch was refused.';
    case 'account-locked':
      return 'The account was locked: every session was ended and every pending device evicted; trusted devices sign in again with `tessera keychain login`.';
    case 'password-changed':
      return 'The account password was changed: every other session ended and pending devices were evicted; trusted devices sign in again with the new password (`tessera keychain login`).';
    case 'server':
      return typeof data.message === 'string'
        ? `Server: ${data.message}`
        : 'A message from the keychain server.';
    default:
      return `Keychain notice: ${String(notice.kind)}.`;
  }
}

/** How long a notice that needs no action stays in the active list. */
export const NOTICE_ACTIVE_MS = 7 * 24 * 3600 * 1000;

/**
 * Why a notice no longer needs attention, or null while it does: acted on (a join request whose
 * device joined or was removed), overtaken by a later notice (a newer wrong-PIN count, a PIN set
 * again), expired (a join request older than its 10 minutes), dismissed on this device, or old news.
 */
export function noticeDone(notice: Notice, state: KeychainState, now = Date.now()): string | null {
  if (state.dismissedNotices?.includes(notice.id)) return 'dismissed';
  const data = notice.data as Record<string, unknown>;
  const later = state.notices.filter((n) => n.id > notice.id || (n.id < 0 && n.createdAt > notice.createdAt));
  const laterOf = (...kinds: Notice['kind'][]) => later.some((n) => kinds.includes(n.kind));
  const aboutSameDevice = (n: Notice) => (n.data as Record<string, unknown>).deviceId === data.deviceId;
  switch (notice.kind) {
    case 'device-join-requested': {
      const member = typeof data.deviceId === 'string' ? state.circle?.devices[data.deviceId] : undefined;
      if (member?.status === 'trusted') return 'joined';
      if (
        member?.status === 'removed' ||
        later.some((n) => n.kind === 'device-removed' && aboutSameDevice(n))
      )
        return 'removed';
      if (laterOf('account-locked', 'password-changed')) return 'request ended';
      if (now - notice.createdAt > JOIN_REQUEST_TTL_MS) return 'expired';
      return null;
    }
    case 'pin-attempt-failed':
      return laterOf('pin-attempt-failed', 'escrow-destroyed', 'pin-changed') ? 'overtaken' : null;
    case 'escrow-destroyed':
      return laterOf('pin-changed') ? 'PIN set again' : null;
    case 'recovery-key-replaced':
      return laterOf('recovery-key-replaced') ? 'overtaken' : null;
    case 'backup-mismatch':
      return state.lastVerify?.ok && state.lastVerify.at > notice.createdAt ? 'verified since' : null;
    default:
      return now - notice.createdAt > NOTICE_ACTIVE_MS ? 'older than a week' : null;
  }
}

/** The notices that still need attention, oldest first. */
export function activeNotices(state: KeychainState, now = Date.now()): Notice[] {
  return state.notices.filter((n) => noticeDone(n, state, now) === null);
}

/** Marks a notice done on this device ("Dismiss"); it stays in the history. */
export async function dismissNotice(keychain: Keychain, id: number): Promise<void> {
  const state = keychain.requireState();
  state.dismissedNotices = [...(state.dismissedNotices ?? []), id].slice(-MAX_KEPT_NOTICES);
  await keychain.save();
}
