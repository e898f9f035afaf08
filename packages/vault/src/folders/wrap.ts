/**
 * The folder key wrapped to a member's X25519 sharing key (docs/PROTOCOL.md §12.3): ephemeral
 * X25519, HKDF, XChaCha20-Poly1305 with the folder id, epoch and member id as associated data. A
 * member accepts an unwrapped key only if it matches the epoch's commitment in the signed log, so
 * the server (which can wrap anything to a public key) cannot hand it a key of its own.
 */
import { b64u, concat, fromB64u, utf8 } from '../keychain/bytes.js';
import { ephemeralX25519 } from '../keychain/keys.js';
import { hkdf, open, seal } from '../keychain/primitives.js';
import { FolderError } from './errors.js';
import { FOLDER_LABELS } from './labels.js';
import { folderKeyCommit, type FolderState } from './log.js';
import type { SharingKey, SharingPublic } from './sharing-key.js';

/** Where a wrapped folder key belongs; all of it is bound as associated data. */
export interface FolderWrapContext {
  folder: string;
  epoch: number;
  /** The member's account id. */
  member: string;
}

function aad(ctx: FolderWrapContext): Uint8Array {
  return utf8(`${FOLDER_LABELS.folderWrap}|${ctx.folder}|${ctx.epoch}|${ctx.member}`);
}

function wrapKey(shared: Uint8Array, ephPub: Uint8Array, recipientPub: Uint8Array, info: string): Uint8Array {
  return hkdf({ ikm: shared, salt: concat(ephPub, recipientPub), info });
}

/**
 * Seals `plain` to a member's X25519 sharing key: ephemeral X25519, HKDF (salt ephPub || recipient,
 * `info`), XChaCha20-Poly1305 with `aad`; returns `b64u(ephPub || sealed)`. Folder keys (§12.3) and
 * an invite's folder name (§12.5) use it, each with its own label.
 */
export function sealToMember(options: {
  plain: Uint8Array;
  recipient: SharingPublic;
  info: string;
  aad: Uint8Array;
}): string {
  const recipientPub = fromB64u(options.recipient.encPub, 'encPub');
  const eph = ephemeralX25519();
  const key = wrapKey(eph.shared(recipientPub), eph.publicKey, recipientPub, options.info);
  return b64u(concat(eph.publicKey, seal(key, options.plain, options.aad)));
}

/** Opens what `sealToMember` sealed, with the member's own sharing key; null when it does not open. */
export function openAsMember(options: {
  sealed: string;
  key: SharingKey;
  info: string;
  aad: Uint8Array;
}): Uint8Array | null {
  const bytes = fromB64u(options.sealed, 'sealed');
  if (bytes.length < 32) return null;
  const ephPub = bytes.subarray(0, 32);
  let shared: Uint8Array;
  try {
    shared = options.key.deriveShared(ephPub);
  } catch {
    return null;
  }
  return open(
    wrapKey(shared, ephPub, fromB64u(options.key.public.encPub), options.info),
    bytes.subarray(32),
    options.aad,
  );
}

/** Wraps `fk` to the member whose sharing public key is `recipient`; returns `b64u(ephPub || sealed)`. */
export function wrapFolderKey(
  options: FolderWrapContext & { fk: Uint8Array; recipient: SharingPublic },
): string {
  return sealToMember({
    plain: options.fk,
    recipient: options.recipient,
    info: FOLDER_LABELS.folderWrap,
    aad: aad(options),
  });
}

/**
 * Unwraps the folder key of `epoch` with the member's own sharing key and checks it against the
 * commitment in the verified `state`; any other folder, epoch, member or key is refused.
 */
export function unwrapFolderKey(
  options: FolderWrapContext & { wrapped: string; key: SharingKey; state: FolderState },
): Uint8Array {
  const refuse = (why: string) =>
    new FolderError('wrap-invalid', `The key of folder ${options.folder} (epoch ${options.epoch}) ${why}.`);
  const bytes = fromB64u(options.wrapped, 'wrapped');
  if (bytes.length < 32) throw refuse('is malformed');
  const fk = openAsMember({
    sealed: options.wrapped,
    key: options.key,
    info: FOLDER_LABELS.folderWrap,
    aad: aad(options),
  });
  if (!fk || fk.length !== 32) throw refuse(`cannot be opened by ${options.member}`);
  const commit = options.state.keyCommits[options.epoch];
  if (
    commit === undefined ||
    commit !== folderKeyCommit({ fk, folder: options.folder, epoch: options.epoch })
  )
    throw refuse('is not the one the owners committed to in the member log');
  return fk;
}
