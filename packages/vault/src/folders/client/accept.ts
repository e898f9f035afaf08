/**
 * Accepting an invite (docs/PROTOCOL.md §12.5, §12.8). The invitee's client verifies the log from its
 * genesis (and pins it), checks that the invite names this account's own sharing key (a server that
 * substituted it when the owner looked it up is caught here), shows the safety number made from its
 * key and the inviting owner's key in the log, and signs the accept only after the user confirms it.
 */
import type { Keychain } from '../../keychain/keychain.js';
import { FolderError } from '../errors.js';
import { buildFolderLink, type FolderLink, type FolderRole } from '../log.js';
import { safetyNumber } from '../safety.js';
import type { SharingKey } from '../sharing-key.js';
import {
  adoptLog,
  fetchFolderLog,
  newLocalFolder,
  ownSharingKey,
  postFolderLink,
  selfMember,
  type FetchedLog,
} from './common.js';
import { loadFolders, saveFolders } from './local.js';
import { followOwnKey } from './member-key.js';
import { folderView, type FolderView } from './view.js';

export interface PendingInvite {
  folder: string;
  role: FolderRole;
  /** Account id and server-reported email of the owner whose signed invite this is. */
  invitedBy: { account: string; email: string };
  safetyNumber: string;
}

async function readInvite(
  keychain: Keychain,
  folder: string,
): Promise<{ fetched: FetchedLog; key: SharingKey; invite: PendingInvite }> {
  const key = await ownSharingKey(keychain);
  const accountId = keychain.requireTrusted().accountId;
  const known = loadFolders(keychain).folders[folder];
  let fetched = await fetchFolderLog({ keychain, folder, local: known });
  // Invited before this account's key rotated (§12.2): the invite follows it to the current key.
  const probe = newLocalFolder(folder, fetched);
  await followOwnKey({ keychain, local: probe, key });
  if (probe.state.head.seq !== fetched.state.head.seq)
    fetched = await fetchFolderLog({ keychain, folder, local: known });
  const me = selfMember({ keychain, state: fetched.state, key });
  if (me.status !== 'invited')
    throw new FolderError('no-invite', `This account has no pending invite to folder ${folder}.`);
  const invite = [...fetched.links]
    .reverse()
    .find((l: FolderLink) => l.op === 'invite' && l.member.account === accountId)!;
  const owner = fetched.state.members[invite.by]!;
  return {
    fetched,
    key,
    invite: {
      folder,
      role: me.role,
      invitedBy: { account: invite.by, email: fetched.emails[invite.by] ?? '' },
      safetyNumber: safetyNumber({ a: key.public, b: owner }),
    },
  };
}

/** The pending invite to `folder`, with the safety number to compare with the inviting owner. */
export async function pendingInvite(options: { keychain: Keychain; folder: string }): Promise<PendingInvite> {
  return (await readInvite(options.keychain, options.folder)).invite;
}

export interface AcceptInviteOptions {
  keychain: Keychain;
  folder: string;
  /** Shown the safety number; resolves true only when the owner's screen shows the same one. */
  confirm: (safetyNumber: string) => Promise<boolean>;
}

/**
 * Accepts the pending invite to `folder` after the safety number is confirmed; the folder key
 * arrives when an owner's device next syncs (it wraps the key to every accepted member).
 */
export async function acceptInvite(options: AcceptInviteOptions): Promise<FolderView> {
  const { keychain, folder } = options;
  const accountId = keychain.requireTrusted().accountId;
  const { fetched, key, invite } = await readInvite(keychain, folder);
  if (!(await options.confirm(invite.safetyNumber)))
    throw new FolderError(
      'not-confirmed',
      'The safety numbers were not confirmed; the invite was not accepted.',
    );
  const link = buildFolderLink({
    state: fetched.state,
    folder,
    link: {
      op: 'accept',
      by: accountId,
      signer: key,
      member: { account: accountId, role: invite.role, ...key.public },
    },
  });
  await postFolderLink({ keychain, folder, expectedHead: fetched.state.head.seq, link });
  const folders = loadFolders(keychain);
  const local = folders.folders[folder] ?? newLocalFolder(folder, fetched);
  adoptLog(local, await fetchFolderLog({ keychain, folder, local }));
  folders.folders[folder] = local;
  await saveFolders(keychain, folders);
  return folderView(keychain, local);
}
