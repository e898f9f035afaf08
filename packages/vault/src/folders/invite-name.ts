/**
 * The folder's name in an invite (docs/PROTOCOL.md §12.5): the owner seals it to the invitee's
 * sharing key inside the signed `invite` link, so the invitee sees which folder it is asked into
 * before accepting, while the folder key itself reaches it only after the accept. The server cannot
 * read it (sealed), nor change it (the link is signed by an owner), nor move it to another folder or
 * invitee (both are bound as associated data).
 */
import { fromUtf8, utf8 } from '../keychain/bytes.js';
import { FOLDER_LABELS } from './labels.js';
import type { SharingKey, SharingPublic } from './sharing-key.js';
import { openAsMember, sealToMember } from './wrap.js';

function aad(folder: string, member: string): Uint8Array {
  return utf8(`${FOLDER_LABELS.inviteName}|${folder}|${member}`);
}

/** Seals `name` to the invitee `member` (account id) whose sharing public key is `recipient`. */
export function sealInviteName(options: {
  folder: string;
  member: string;
  name: string;
  recipient: SharingPublic;
}): string {
  return sealToMember({
    plain: utf8(options.name),
    recipient: options.recipient,
    info: FOLDER_LABELS.inviteName,
    aad: aad(options.folder, options.member),
  });
}

/** Opens an invite's sealed name with the invitee's own sharing key; null when it does not open. */
export function openInviteName(options: {
  folder: string;
  member: string;
  sealed: string;
  key: SharingKey;
}): string | null {
  try {
    const plain = openAsMember({
      sealed: options.sealed,
      key: options.key,
      info: FOLDER_LABELS.inviteName,
      aad: aad(options.folder, options.member),
    });
    return plain ? fromUtf8(plain) : null;
  } catch {
    return null;
  }
}
