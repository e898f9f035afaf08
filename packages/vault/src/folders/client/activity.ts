/**
 * The folder activity log (docs/PROTOCOL.md §12.7): a member's device appends "code revealed" or
 * "code copied" for a folder entry, sealed under the folder key; owners read it. Self-reported: a
 * modified client can leave events out, and the server can drop them (it cannot forge or read one).
 */
import { canon } from '@tessera/protocol';
import { b64u, fromB64u, fromUtf8, utf8 } from '../../keychain/bytes.js';
import type { Keychain } from '../../keychain/keychain.js';
import { open, seal } from '../../keychain/primitives.js';
import { entryLabel } from '../../record.js';
import { FOLDER_LABELS } from '../labels.js';
import { folderCall, folderKey, localFolder, ownSharingKey, requireRole } from './common.js';
import { loadFolders, saveFolders } from './local.js';

export type FolderActivityKind = 'code-revealed' | 'code-copied';

export interface FolderActivityEvent {
  /** When the member's device says it happened (ms). */
  at: number;
  account: string;
  email: string;
  kind: FolderActivityKind;
  entry: string;
  label: string;
}

function aad(folder: string, epoch: number, account: string): Uint8Array {
  return utf8(`${FOLDER_LABELS.folderActivity}|${folder}|${epoch}|${account}`);
}

/** Appends an activity event for a folder entry (any active member). */
export async function recordFolderActivity(options: {
  keychain: Keychain;
  folder: string;
  /** The entry's id. */
  entry: string;
  kind: FolderActivityKind;
}): Promise<void> {
  const { keychain } = options;
  const state = keychain.requireTrusted();
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  requireRole({ keychain, local });
  const epoch = local.state.epoch;
  const fk = await folderKey({ keychain, local, epoch, key });
  const record = local.records[options.entry];
  const event = {
    kind: options.kind,
    entry: options.entry,
    label: record ? entryLabel(record.entry) : '',
    at: keychain.now(),
  };
  const blob = b64u(seal(fk, utf8(canon(event)), aad(local.id, epoch, state.accountId)));
  await folderCall(() =>
    keychain.client().call('folderActivityPost', { body: { folder: local.id, epoch, blob } }),
  );
  await saveFolders(keychain, folders);
}

/** The folder's activity events, oldest first (owners only). Events that do not open are left out. */
export async function folderActivity(options: {
  keychain: Keychain;
  folder: string;
}): Promise<FolderActivityEvent[]> {
  const { keychain } = options;
  const key = await ownSharingKey(keychain);
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  requireRole({ keychain, local, need: 'owner' });
  const { events } = await folderCall(() =>
    keychain.client().call('folderActivity', { query: { folder: local.id } }),
  );
  const out: FolderActivityEvent[] = [];
  for (const e of events) {
    let fk: Uint8Array;
    try {
      fk = await folderKey({ keychain, local, epoch: e.epoch, key });
    } catch {
      continue;
    }
    const plain = open(fk, fromB64u(e.blob, 'blob'), aad(local.id, e.epoch, e.account));
    if (!plain) continue;
    const body = JSON.parse(fromUtf8(plain)) as Omit<FolderActivityEvent, 'account' | 'email'>;
    out.push({ ...body, account: e.account, email: local.emails[e.account] ?? '' });
  }
  await saveFolders(keychain, folders);
  return out;
}
