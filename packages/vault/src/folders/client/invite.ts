/**
 * Inviting an account (docs/PROTOCOL.md §12.5, §12.8). The server returns the invitee's sharing
 * public key, and could lie; so the owner is shown the safety number made from both accounts' keys
 * and signs the invite only after confirming it with the invitee (in person, on a call). The invite
 * names those keys, so the invitee's client refuses it if they are not its own.
 */
import { KeychainError } from '../../keychain/errors.js';
import type { Keychain } from '../../keychain/keychain.js';
import { FolderError } from '../errors.js';
import { buildFolderLink, type FolderRole } from '../log.js';
import { safetyNumber } from '../safety.js';
import {
  adoptLog,
  fetchFolderLog,
  folderLabel,
  localFolder,
  ownSharingKey,
  postFolderLink,
  requireRole,
} from './common.js';
import { loadFolders, saveFolders } from './local.js';
import type { FolderMemberView } from './view.js';

export interface InviteMemberOptions {
  keychain: Keychain;
  /** Folder id. */
  folder: string;
  email: string;
  /** Default `viewer`. */
  role?: Exclude<FolderRole, 'owner'>;
  /**
   * Shown the safety number; resolves true only when the invitee's screen shows the same one. The
   * invite is signed and sent only then.
   */
  confirm: (safetyNumber: string) => Promise<boolean>;
}

/** Invites `email` into the folder (owners only); returns the safety number that was confirmed. */
export async function inviteMember(
  options: InviteMemberOptions,
): Promise<{ safetyNumber: string; member: FolderMemberView }> {
  const { keychain } = options;
  const state = keychain.requireTrusted();
  const role = options.role ?? 'viewer';
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  requireRole({ keychain, local, need: 'owner' });
  let found;
  try {
    found = await keychain.client().call('sharingKey', { query: { email: options.email } });
  } catch (err) {
    if (err instanceof KeychainError && err.details.status === 404)
      throw new FolderError(
        'no-sharing-key',
        `${options.email} has no Tessera account on this server, or has not used shared folders yet: ask them to run \`tessera folder list\` once.`,
      );
    throw err;
  }
  const existing = local.state.members[found.account];
  if (existing && existing.status !== 'removed')
    throw new FolderError(
      'unknown-account',
      `${options.email} is already ${existing.status === 'invited' ? 'invited to' : 'a member of'} folder ${folderLabel(local)}.`,
    );
  const number = safetyNumber({ a: key.public, b: { encPub: found.encPub, signPub: found.signPub } });
  if (!(await options.confirm(number)))
    throw new FolderError('not-confirmed', 'The safety numbers were not confirmed; nobody was invited.');
  const member = { account: found.account, role, encPub: found.encPub, signPub: found.signPub };
  const link = buildFolderLink({
    state: local.state,
    folder: local.id,
    link: { op: 'invite', by: state.accountId, signer: key, member },
  });
  await postFolderLink({ keychain, folder: local.id, expectedHead: local.state.head.seq, link });
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  local.emails[found.account] = options.email.trim().toLowerCase();
  await saveFolders(keychain, folders);
  return {
    safetyNumber: number,
    member: {
      account: found.account,
      email: local.emails[found.account]!,
      role,
      status: 'invited',
      safetyNumber: number,
      keyChangedAt: null,
    },
  };
}
