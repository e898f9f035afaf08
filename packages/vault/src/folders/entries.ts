/**
 * Entries of a shared folder (docs/PROTOCOL.md §12.4): the personal vault's record (entry plus
 * field clocks) as canonical JSON, sealed under the folder key with the folder id, epoch and record
 * id as associated data, so the server cannot move a record between folders, epochs or ids.
 */
import { canon } from '@tessera/protocol';
import { b64u, fromB64u, fromUtf8, utf8 } from '../keychain/bytes.js';
import { open, seal } from '../keychain/primitives.js';
import { validateRecord } from '../record.js';
import type { VaultRecord } from '../types.js';
import { FolderError } from './errors.js';
import { FOLDER_LABELS } from './labels.js';

/** A record as the server stores it: id and epoch in the clear, everything else sealed. */
export interface SealedFolderEntry {
  id: string;
  epoch: number;
  blob: string;
}

function aad(folder: string, epoch: number, id: string): Uint8Array {
  return utf8(`${FOLDER_LABELS.folderEntry}|${folder}|${epoch}|${id}`);
}

/** Seals `record` under the folder key `fk` of `epoch`. */
export function sealFolderEntry(options: {
  fk: Uint8Array;
  folder: string;
  epoch: number;
  record: VaultRecord;
}): SealedFolderEntry {
  const { fk, folder, epoch, record } = options;
  return {
    id: record.entry.id,
    epoch,
    blob: b64u(seal(fk, utf8(canon(record)), aad(folder, epoch, record.entry.id))),
  };
}

/** Opens a sealed entry with the folder key of its epoch; a moved, altered or foreign entry is refused. */
export function openFolderEntry(options: {
  fk: Uint8Array;
  folder: string;
  sealed: SealedFolderEntry;
}): VaultRecord {
  const { fk, folder, sealed } = options;
  const plain = open(fk, fromB64u(sealed.blob, 'blob'), aad(folder, sealed.epoch, sealed.id));
  if (!plain)
    throw new FolderError(
      'entry-invalid',
      `Entry ${sealed.id} of folder ${folder} cannot be opened with the key of epoch ${sealed.epoch}.`,
    );
  let record: VaultRecord;
  try {
    record = validateRecord(JSON.parse(fromUtf8(plain)));
  } catch {
    throw new FolderError('entry-invalid', `Entry ${sealed.id} of folder ${folder} is not a valid record.`);
  }
  if (record.entry.id !== sealed.id)
    throw new FolderError('entry-invalid', `Entry ${sealed.id} of folder ${folder} holds another record.`);
  return record;
}

/** Re-encrypts an entry under the key of a new epoch (after a member was removed). */
export function resealFolderEntry(options: {
  folder: string;
  sealed: SealedFolderEntry;
  from: Uint8Array;
  to: { fk: Uint8Array; epoch: number };
}): SealedFolderEntry {
  const record = openFolderEntry({ fk: options.from, folder: options.folder, sealed: options.sealed });
  return sealFolderEntry({ fk: options.to.fk, folder: options.folder, epoch: options.to.epoch, record });
}
