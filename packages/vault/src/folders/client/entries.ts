/**
 * Adding, editing and deleting entries of a shared folder (docs/PROTOCOL.md §12.4, §12.8): the same
 * records as the personal vault (entry plus field clocks, merged last-writer-wins), sealed under the
 * folder key of the current epoch. Owners and editors only: a viewer is refused here, and the server
 * refuses a viewer's write too (403).
 */
import type { OtpEntry } from '@tessera/otp';
import type { Keychain } from '../../keychain/keychain.js';
import { HybridClock } from '../../hlc.js';
import { createRecord, deleteRecord, patchRecord } from '../../record.js';
import type { EntryPatch, VaultRecord } from '../../types.js';
import { sealFolderEntry } from '../entries.js';
import { FolderError } from '../errors.js';
import { folderCall, folderKey, localFolder, ownSharingKey, requireRole } from './common.js';
import { loadFolders, saveFolders, type LocalFolder, type LocalFolders } from './local.js';

/** The live and deleted entries of `folder` this device holds (after `syncFolders`). */
export function folderRecords(options: { keychain: Keychain; folder: string }): VaultRecord[] {
  const local = loadFolders(options.keychain).folders[options.folder];
  return local ? Object.values(local.records) : [];
}

function stamp(keychain: Keychain, folders: LocalFolders, seen?: VaultRecord): string {
  const clock = new HybridClock(keychain.requireState().deviceId, keychain.now, folders.clock);
  for (const value of Object.values(seen?.clock ?? {})) clock.observe(value);
  folders.clock = clock.tick();
  return folders.clock;
}

async function write(
  keychain: Keychain,
  folders: LocalFolders,
  local: LocalFolder,
  record: VaultRecord,
): Promise<void> {
  const key = await ownSharingKey(keychain);
  const epoch = local.state.epoch;
  const fk = await folderKey({ keychain, local, epoch, key });
  await folderCall(() =>
    keychain.client().call('folderEntriesPost', {
      body: { folder: local.id, entries: [sealFolderEntry({ fk, folder: local.id, epoch, record })] },
    }),
  );
  local.records[record.entry.id] = record;
  await saveFolders(keychain, folders);
}

function writable(keychain: Keychain, folder: string): { folders: LocalFolders; local: LocalFolder } {
  const folders = loadFolders(keychain);
  const local = localFolder(folders, folder);
  requireRole({ keychain, local, need: 'writer' });
  return { folders, local };
}

function liveRecord(local: LocalFolder, id: string): VaultRecord {
  const record = local.records[id];
  if (!record || record.deleted)
    throw new FolderError('entry-invalid', `Folder ${local.name || local.id} has no entry ${id}.`);
  return record;
}

export interface AddFolderEntryOptions {
  keychain: Keychain;
  folder: string;
  entry: OtpEntry;
  tags?: string[];
}

/** Adds an entry to the folder (owners and editors); returns its record. */
export async function addFolderEntry(options: AddFolderEntryOptions): Promise<VaultRecord> {
  const { keychain } = options;
  const { folders, local } = writable(keychain, options.folder);
  const now = keychain.now();
  const order = Object.values(local.records).reduce((max, r) => Math.max(max, r.entry.order + 1), 0);
  const record = createRecord({
    entry: options.entry,
    id: crypto.randomUUID(),
    tags: options.tags ?? [],
    deviceOnly: false,
    order,
    stamp: stamp(keychain, folders),
    now,
  });
  await write(keychain, folders, local, record);
  return record;
}

/** Edits display fields of a folder entry (owners and editors); returns the new record. */
export async function editFolderEntry(options: {
  keychain: Keychain;
  folder: string;
  id: string;
  patch: EntryPatch;
}): Promise<VaultRecord> {
  const { keychain } = options;
  const { folders, local } = writable(keychain, options.folder);
  const current = liveRecord(local, options.id);
  if ('deviceOnly' in options.patch && options.patch.deviceOnly)
    throw new FolderError('entry-invalid', 'An entry of a shared folder cannot be device-only.');
  const record = patchRecord(current, options.patch, stamp(keychain, folders, current), keychain.now());
  if (record !== current) await write(keychain, folders, local, record);
  return record;
}

/** Deletes a folder entry for every member (owners and editors). */
export async function deleteFolderEntry(options: {
  keychain: Keychain;
  folder: string;
  id: string;
}): Promise<void> {
  const { keychain } = options;
  const { folders, local } = writable(keychain, options.folder);
  const current = liveRecord(local, options.id);
  await write(
    keychain,
    folders,
    local,
    deleteRecord(current, stamp(keychain, folders, current), keychain.now()),
  );
}
