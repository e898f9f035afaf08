/**
 * Creating a shared folder (docs/PROTOCOL.md §12.8): a random id and folder key, the `create` link
 * signed with this account's sharing key, the key wrapped to this account and the name sealed
 * under it. The creator is the first owner.
 */
import { b64u, randomBytes } from '../../keychain/bytes.js';
import type { Keychain } from '../../keychain/keychain.js';
import { buildFolderLink, verifyFolderLog } from '../log.js';
import { wrapFolderKey } from '../wrap.js';
import { folderCall, newLocalFolder, ownSharingKey, postFolderLink } from './common.js';
import { loadFolders, saveFolders } from './local.js';
import { checkFolderName, sealFolderName } from './name.js';
import { folderView, type FolderView } from './view.js';

export interface CreateFolderOptions {
  keychain: Keychain;
  /** 1 to 64 characters; sealed, the server never sees it. */
  name: string;
}

/** Creates a folder owned by this account; returns its view. */
export async function createFolder(options: CreateFolderOptions): Promise<FolderView> {
  const { keychain } = options;
  const name = checkFolderName(options.name);
  const state = keychain.requireTrusted();
  const key = await ownSharingKey(keychain);
  const folder = newFolderId();
  const fk = randomBytes(32);
  const link = buildFolderLink({
    state: null,
    folder,
    link: {
      op: 'create',
      by: state.accountId,
      signer: key,
      member: { account: state.accountId, role: 'owner', ...key.public },
      fk,
    },
  });
  await postFolderLink({ keychain, folder, expectedHead: -1, link });
  const wrapped = wrapFolderKey({ folder, epoch: 1, member: state.accountId, fk, recipient: key.public });
  await folderCall(() =>
    keychain.client().call('folderWrapsPost', {
      body: { folder, wraps: [{ account: state.accountId, epoch: 1, wrapped }] },
    }),
  );
  await folderCall(() =>
    keychain.client().call('folderEntriesPost', {
      body: { folder, entries: [sealFolderName({ fk, folder, epoch: 1, name })] },
    }),
  );
  const local = newLocalFolder(folder, {
    links: [link],
    state: verifyFolderLog({ folder, links: [link] }),
    emails: { [state.accountId]: state.email },
  });
  local.keys['1'] = b64u(fk);
  local.name = name;
  local.wrappedAt = 0;
  const folders = loadFolders(keychain);
  folders.folders[folder] = local;
  await saveFolders(keychain, folders);
  return folderView(keychain, local);
}

/**
 * A new folder's id: 16 random bytes in base64url, the first byte's top bit cleared so the id starts
 * with a letter (A-Z, a-f), never '-' or '_': people type it as a command argument (`tessera folder
 * accept ID`), where a leading '-' reads as an option. 127 random bits stay; an id is not a secret.
 */
export function newFolderId(random: (n: number) => Uint8Array = randomBytes): string {
  const bytes = random(16);
  bytes[0] = bytes[0]! & 0x7f;
  return b64u(bytes);
}
