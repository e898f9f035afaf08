/**
 * Adding, editing and deleting entries of a shared folder, and taking the next code of an HOTP entry
 * (docs/PROTOCOL.md §12.4, §12.8): the same records as the personal vault (entry plus field clocks,
 * merged last-writer-wins, HOTP counters by maximum), sealed under the folder key of the current
 * epoch. Every write names the entry version it was based on; the server refuses it (409) when
 * another member wrote that entry meanwhile, and the write is made again on the merged record. So two
 * members taking an HOTP code at once never get the same one. Owners and editors only: a viewer is
 * refused here, and the server refuses a viewer's write too (403).
 */
import { generateCode, type OtpEntry } from '@tessera/otp';
import { KeychainError } from '../../keychain/errors.js';
import type { Keychain } from '../../keychain/keychain.js';
import { HybridClock } from '../../hlc.js';
import {
  createRecord,
  deleteRecord,
  entryLabel,
  patchRecord,
  validateRecord,
  withCounter,
} from '../../record.js';
import type { EntryPatch, VaultRecord } from '../../types.js';
import { sealFolderEntry } from '../entries.js';
import { FolderError } from '../errors.js';
import { folderCall, folderKey, folderLabel, localFolder, ownSharingKey, requireRole } from './common.js';
import { loadFolders, saveFolders, type LocalFolder, type LocalFolders } from './local.js';
import { syncFolders } from './sync.js';

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

/** How often a write refused as stale (another member wrote first) is merged and made again. */
const WRITE_ATTEMPTS = 8;

/** Seals and posts `record` on the version this device last saw of it; `false` when that is stale. */
async function write(
  keychain: Keychain,
  folders: LocalFolders,
  local: LocalFolder,
  record: VaultRecord,
): Promise<boolean> {
  const key = await ownSharingKey(keychain);
  const epoch = local.state.epoch;
  const fk = await folderKey({ keychain, local, epoch, key });
  const id = record.entry.id;
  const base = local.versions?.[id] ?? 0;
  let head: number;
  try {
    ({ head } = await folderCall(() =>
      keychain.client().call('folderEntriesPost', {
        body: {
          folder: local.id,
          entries: [{ ...sealFolderEntry({ fk, folder: local.id, epoch, record }), base }],
        },
      }),
    ));
  } catch (err) {
    if (err instanceof KeychainError && err.code === 'conflict') return false;
    throw err;
  }
  local.records[id] = record;
  (local.versions ??= {})[id] = head;
  await saveFolders(keychain, folders);
  return true;
}

/**
 * Makes a change with `make` on the freshest copy of the folder and writes it; when another member
 * wrote the entry first, pulls and merges their change and makes it again (so nothing is lost, and
 * an HOTP counter only moves past the highest one written). `make` returns the record to write and
 * what to answer, or null when nothing changes.
 */
async function change<T>(
  keychain: Keychain,
  folder: string,
  make: (folders: LocalFolders, local: LocalFolder) => { record: VaultRecord; result: T } | null,
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    const { folders, local } = writable(keychain, folder);
    const made = make(folders, local);
    if (!made) return null;
    if (await write(keychain, folders, local, made.record)) return made.result;
    if (attempt === WRITE_ATTEMPTS)
      throw new FolderError(
        'entry-busy',
        `Entry ${made.record.entry.id} of folder ${folderLabel(local)} kept changing on the server; try again.`,
      );
    await syncFolders({ keychain, folder: local.id });
  }
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
  const id = crypto.randomUUID();
  return (await change(keychain, options.folder, (folders, local) => {
    const order = Object.values(local.records).reduce((max, r) => Math.max(max, r.entry.order + 1), 0);
    // Checked like any record a member receives: one the others could not open is refused here.
    const record = validateRecord(
      createRecord({
        entry: options.entry,
        id,
        tags: options.tags ?? [],
        deviceOnly: false,
        order,
        stamp: stamp(keychain, folders),
        now: keychain.now(),
      }),
    );
    return { record, result: record };
  }))!;
}

/** Edits display fields of a folder entry (owners and editors); returns the new record. */
export async function editFolderEntry(options: {
  keychain: Keychain;
  folder: string;
  id: string;
  patch: EntryPatch;
}): Promise<VaultRecord> {
  const { keychain } = options;
  if ('deviceOnly' in options.patch && options.patch.deviceOnly)
    throw new FolderError('entry-invalid', 'An entry of a shared folder cannot be device-only.');
  let unchanged: VaultRecord | null = null;
  const written = await change(keychain, options.folder, (folders, local) => {
    const current = liveRecord(local, options.id);
    const record = patchRecord(current, options.patch, stamp(keychain, folders, current), keychain.now());
    if (record === current) {
      unchanged = current;
      return null;
    }
    return { record, result: record };
  });
  return (written ?? unchanged)!;
}

/** Deletes a folder entry for every member (owners and editors). */
export async function deleteFolderEntry(options: {
  keychain: Keychain;
  folder: string;
  id: string;
}): Promise<void> {
  const { keychain } = options;
  await change(keychain, options.folder, (folders, local) => {
    const current = liveRecord(local, options.id);
    return {
      record: deleteRecord(current, stamp(keychain, folders, current), keychain.now()),
      result: undefined,
    };
  });
}

/**
 * The next code of an HOTP entry of the folder (owners and editors). The advanced counter is sealed
 * and accepted by the server before the code is returned (RFC 4226 §7.2: a code is never shown
 * twice); when another member took a code meanwhile, their higher counter is merged first and this
 * take moves past it. A viewer is refused (`not-writer`): it cannot write the shared counter, and a
 * code it showed without advancing it would be shown again to the next member who takes one.
 */
export async function nextFolderHotp(options: {
  keychain: Keychain;
  folder: string;
  id: string;
}): Promise<{ code: string; counter: number }> {
  const { keychain } = options;
  const folders = loadFolders(keychain);
  const local = localFolder(folders, options.folder);
  const me = local.state.members[keychain.requireState().accountId];
  if (me?.status === 'active' && me.role === 'viewer')
    throw new FolderError(
      'not-writer',
      `A viewer cannot take counter-based (HOTP) codes of folder ${folderLabel(local)}: each code moves the counter every member shares, which only owners and editors may write. Ask an owner for the editor role.`,
    );
  return (await change(keychain, options.folder, (folders, local) => {
    const current = liveRecord(local, options.id);
    if (current.entry.type !== 'hotp')
      throw new FolderError(
        'entry-invalid',
        `${entryLabel(current.entry)} is not a counter-based (HOTP) entry.`,
      );
    const counter = current.entry.counter ?? 0;
    const code = generateCode({ entry: current.entry });
    const record = withCounter(current, counter + 1, stamp(keychain, folders, current), keychain.now());
    return { record, result: { code, counter } };
  }))!;
}
