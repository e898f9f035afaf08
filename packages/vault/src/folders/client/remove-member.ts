/**
 * Removing a member (docs/PROTOCOL.md §12.3, §12.4, §12.8): a `remove` link committing to a new folder
 * key starts the next epoch; the key is wrapped to the remaining active members only, and every entry
 * (and the name) is re-sealed under it, so the removed account's keys open nothing written or
 * re-sealed afterwards. What it saw before, it may have kept.
 */
import { LIMITS } from '@tessera/protocol';
import { b64u, randomBytes } from '../../keychain/bytes.js';
import type { Keychain } from '../../keychain/keychain.js';
import { resealFolderEntry, type SealedFolderEntry } from '../entries.js';
import { FolderError } from '../errors.js';
import { buildFolderLink, type FolderMember } from '../log.js';
import type { SharingKey } from '../sharing-key.js';
import {
  adoptLog,
  fetchFolderLog,
  folderCall,
  folderKey,
  localFolder,
  ownSharingKey,
  postFolderLink,
  requireRole,
} from './common.js';
import { loadFolders, saveFolders, type LocalFolder } from './local.js';
import { FOLDER_NAME_ID, openFolderName, sealFolderName } from './name.js';
import { wrapToMembers } from './sync.js';

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
  // The old keys are needed to re-seal: take them before the log moves on.
  const oldEpoch = local.state.epoch;
  await folderKey({ keychain, local, epoch: oldEpoch, key });
  const fk = randomBytes(32);
  const link = buildFolderLink({
    state: local.state,
    folder: local.id,
    link: { op: 'remove', by: state.accountId, signer: key, member: target, fk },
  });
  await postFolderLink({ keychain, folder: local.id, expectedHead: local.state.head.seq, link });
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  local.keys[String(local.state.epoch)] = b64u(fk);
  await saveFolders(keychain, folders);
  await wrapToMembers(keychain, local, key);
  await resealAll(keychain, local, key, fk);
  await saveFolders(keychain, folders);
  return { epoch: local.state.epoch };
}

/** Re-seals every entry of the folder (and its name) under `fk`, the key of the current epoch. */
async function resealAll(
  keychain: Keychain,
  local: LocalFolder,
  key: SharingKey,
  fk: Uint8Array,
): Promise<void> {
  const epoch = local.state.epoch;
  const { entries } = await folderCall(() =>
    keychain.client().call('folderEntries', { query: { folder: local.id, since: 0 } }),
  );
  const resealed: SealedFolderEntry[] = [];
  for (const sealed of entries) {
    if (sealed.epoch === epoch) continue;
    const from = await folderKey({ keychain, local, epoch: sealed.epoch, key });
    resealed.push(
      sealed.id === FOLDER_NAME_ID
        ? sealFolderName({
            fk,
            folder: local.id,
            epoch,
            name: openFolderName({ fk: from, folder: local.id, sealed }),
          })
        : resealFolderEntry({ folder: local.id, sealed, from, to: { fk, epoch } }),
    );
  }
  for (let at = 0; at < resealed.length; at += LIMITS.maxItemsPerPush)
    await folderCall(() =>
      keychain.client().call('folderEntriesPost', {
        body: { folder: local.id, entries: resealed.slice(at, at + LIMITS.maxItemsPerPush) },
      }),
    );
}
