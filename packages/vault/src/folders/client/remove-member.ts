/**
 * Removing a member (docs/PROTOCOL.md §12.3, §12.4, §12.8): a `remove` link committing to a new folder
 * key starts the next epoch (new-epoch.ts); the key is wrapped to the remaining active members only,
 * and every entry (and the name) is re-sealed under it, so the removed account's keys open nothing
 * written or re-sealed afterwards. What it saw before, it may have kept.
 */
import type { Keychain } from '../../keychain/keychain.js';
import { FolderError } from '../errors.js';
import type { FolderMember } from '../log.js';
import { adoptLog, fetchFolderLog, localFolder, ownSharingKey, requireRole } from './common.js';
import { loadFolders, type LocalFolder } from './local.js';
import { startFolderEpoch } from './new-epoch.js';

export interface MemberTarget {
  keychain: Keychain;
  folder: string;
  /** The member's email (as the server reports it) or account id. */
  email?: string;
  account?: string;
}

/** The member `target` names in the verified log (not removed), or `unknown-account`. */
export function findMember(local: LocalFolder, target: { email?: string; account?: string }): FolderMember {
  const email = target.email?.trim().toLowerCase();
  const member = Object.values(local.state.members).find(
    (m) =>
      m.status !== 'removed' &&
      (m.account === target.account ||
        (email !== undefined && local.emails[m.account]?.toLowerCase() === email)),
  );
  if (!member)
    throw new FolderError(
      'unknown-account',
      `${target.email ?? target.account} is not a member of folder ${local.name || local.id}.`,
    );
  return member;
}

/** Removes a member (owners only) and rotates the folder key; returns the new epoch. */
export async function removeMember(options: MemberTarget): Promise<{ epoch: number }> {
  const { keychain } = options;
  const state = keychain.requireTrusted();
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  requireRole({ keychain, local, need: 'owner' });
  const target = findMember(local, options);
  if (target.account === state.accountId)
    throw new FolderError(
      'not-owner',
      'An owner cannot remove itself; make another member owner and ask them.',
    );
  return { epoch: await startFolderEpoch({ keychain, folders, local, key, op: 'remove', member: target }) };
}
