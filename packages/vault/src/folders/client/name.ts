/**
 * A folder's name, sealed under the folder key (docs/PROTOCOL.md §12.8) and stored among its entries
 * under a reserved id, so the server never sees it and it is re-sealed with the entries on a removal.
 */
import { b64u, fromB64u, fromUtf8, utf8 } from '../../keychain/bytes.js';
import { open, seal } from '../../keychain/primitives.js';
import type { SealedFolderEntry } from '../entries.js';
import { FolderError } from '../errors.js';
import { FOLDER_LABELS } from '../labels.js';

/** Entry id under which the sealed name is stored (a UUID no random v4 id will be). */
export const FOLDER_NAME_ID = '00000000-0000-4000-8000-000000000000';

/** Longest folder name, in characters. */
export const MAX_FOLDER_NAME = 64;

function aad(folder: string, epoch: number): Uint8Array {
  return utf8(`${FOLDER_LABELS.folderName}|${folder}|${epoch}`);
}

/** A folder name trimmed and checked (1 to 64 characters). */
export function checkFolderName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_FOLDER_NAME)
    throw new TypeError(`A folder name has 1 to ${MAX_FOLDER_NAME} characters.`);
  return trimmed;
}

export function sealFolderName(options: {
  fk: Uint8Array;
  folder: string;
  epoch: number;
  name: string;
}): SealedFolderEntry {
  return {
    id: FOLDER_NAME_ID,
    epoch: options.epoch,
    blob: b64u(seal(options.fk, utf8(options.name), aad(options.folder, options.epoch))),
  };
}

export function openFolderName(options: {
  fk: Uint8Array;
  folder: string;
  sealed: SealedFolderEntry;
}): string {
  const plain = open(
    options.fk,
    fromB64u(options.sealed.blob, 'blob'),
    aad(options.folder, options.sealed.epoch),
  );
  if (!plain)
    throw new FolderError('entry-invalid', `The name of folder ${options.folder} cannot be opened.`);
  return fromUtf8(plain);
}
