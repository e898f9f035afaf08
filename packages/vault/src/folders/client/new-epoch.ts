/**
 * Starting a new folder key epoch (docs/PROTOCOL.md §12.3, §12.4, §12.8): a `remove` or `rekey` link
 * committing to a fresh folder key, the key wrapped to every active member's CURRENT sharing key, and
 * every entry (and the name) re-sealed under it. Removing a member and answering a member's key
 * change are both this, so an old key (a removed account's, or a removed device's copy of its
 * account's old sharing key) opens nothing written or re-sealed afterwards.
 */
import { LIMITS } from '@tessera/protocol';
import { b64u, randomBytes } from '../../keychain/bytes.js';
import type { Keychain } from '../../keychain/keychain.js';
import { resealFolderEntry, type SealedFolderEntry } from '../entries.js';
import { buildFolderLink, type FolderMember } from '../log.js';
import type { SharingKey } from '../sharing-key.js';
import { wrapFolderKey } from '../wrap.js';
import { adoptLog, fetchFolderLog, folderCall, folderKey, postFolderLink } from './common.js';
import { saveFolders, type LocalFolder, type LocalFolders } from './local.js';
import { FOLDER_NAME_ID, openFolderName, sealFolderName } from './name.js';

export interface StartEpochOptions {
  keychain: Keychain;
  /** The loaded local folders (saved as the epoch moves), and the one folder in it. */
  folders: LocalFolders;
  local: LocalFolder;
  /** This account's sharing key (an owner's). */
  key: SharingKey;
  /** `remove`: the member leaves; `rekey`: answers `member`'s key change (§12.2). */
  op: 'remove' | 'rekey';
  member: FolderMember;
}

/** Posts the link, wraps and re-seals (see the module comment); returns the new epoch. */
export async function startFolderEpoch(options: StartEpochOptions): Promise<number> {
  const { keychain, folders, local, key } = options;
  const accountId = keychain.requireState().accountId;
  // The old keys are needed to re-seal: take them before the log moves on.
  await folderKey({ keychain, local, epoch: local.state.epoch, key });
  const fk = randomBytes(32);
  const { status: _status, keyChangedAt: _changed, ...member } = options.member;
  const link = buildFolderLink({
    state: local.state,
    folder: local.id,
    link: { op: options.op, by: accountId, signer: key, member, fk },
  });
  await postFolderLink({ keychain, folder: local.id, expectedHead: local.state.head.seq, link });
  adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  local.keys[String(local.state.epoch)] = b64u(fk);
  await saveFolders(keychain, folders);
  await wrapToMembers(keychain, local, key);
  await resealAll(keychain, local, key, fk);
  await saveFolders(keychain, folders);
  return local.state.epoch;
}

/** Wraps the current folder key to every active member of the verified log (owners only). */
export async function wrapToMembers(keychain: Keychain, local: LocalFolder, key: SharingKey): Promise<void> {
  const epoch = local.state.epoch;
  const fk = await folderKey({ keychain, local, epoch, key });
  const wraps = Object.values(local.state.members)
    .filter((m) => m.status === 'active')
    .map((m) => ({
      account: m.account,
      epoch,
      wrapped: wrapFolderKey({ folder: local.id, epoch, member: m.account, fk, recipient: m }),
    }));
  for (let at = 0; at < wraps.length; at += 256)
    await folderCall(() =>
      keychain
        .client()
        .call('folderWrapsPost', { body: { folder: local.id, wraps: wraps.slice(at, at + 256) } }),
    );
  local.wrappedAt = local.state.head.seq;
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
