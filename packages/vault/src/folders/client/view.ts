/** What the UI shows of a folder and its members (docs: /work notes folders-api.md). */
import type { Keychain } from '../../keychain/keychain.js';
import type { FolderRole } from '../log.js';
import { safetyNumber } from '../safety.js';
import type { SharingKey } from '../sharing-key.js';
import type { LocalFolder, LocalFolders } from './local.js';

export interface FolderView {
  id: string;
  /** Decrypted name ('' until this account holds the key). */
  name: string;
  /** This account's role in the verified log. */
  role: FolderRole;
  epoch: number;
  /** Live entries held locally. */
  entries: number;
}

export interface FolderInvite {
  folder: string;
  role: FolderRole;
  /** The inviter's email as the server reports it (the safety number is what proves who it is). */
  invitedBy: string;
}

export interface FolderMemberView {
  account: string;
  email: string;
  role: FolderRole;
  status: 'invited' | 'active' | 'removed';
  /** Between this account and that member; '' for this account itself. */
  safetyNumber: string;
  /**
   * The member log link at which this member's sharing key last changed (its account removed a
   * device or replaced its recovery key), or null: the safety number changed with it. Membership
   * stands (the old key signed the change); comparing again is optional.
   */
  keyChangedAt: number | null;
}

export function folderView(keychain: Keychain, local: LocalFolder): FolderView {
  const me = local.state.members[keychain.requireState().accountId];
  return {
    id: local.id,
    name: local.name,
    role: me?.role ?? 'viewer',
    epoch: local.state.epoch,
    entries: Object.values(local.records).filter((r) => !r.deleted).length,
  };
}

export function memberViews(keychain: Keychain, local: LocalFolder, key: SharingKey): FolderMemberView[] {
  const self = keychain.requireState().accountId;
  return Object.values(local.state.members).map((m) => ({
    account: m.account,
    email: local.emails[m.account] ?? '',
    role: m.role,
    status: m.status,
    safetyNumber: m.account === self ? '' : safetyNumber({ a: key.public, b: m }),
    keyChangedAt: m.keyChangedAt ?? null,
  }));
}

/**
 * The local folder named by `query`: its id, or its name (case-insensitive); `not-member` when none
 * or several match.
 */
export function findLocalFolder(folders: LocalFolders, query: string): LocalFolder | null {
  const byId = folders.folders[query];
  if (byId) return byId;
  const q = query.trim().toLowerCase();
  const named = Object.values(folders.folders).filter((f) => f.name.toLowerCase() === q);
  return named.length === 1 ? named[0]! : null;
}
