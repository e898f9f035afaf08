/**
 * What every folder flow shares: fetching and verifying a folder's member log against the local
 * pin, this account's role, and the folder key of an epoch (unwrapped and checked against the
 * owners' commitment). Nothing here trusts the server beyond ordering.
 */
import { canon } from '@tessera/protocol';
import { b64u, fromB64u } from '../../keychain/bytes.js';
import { KeychainError } from '../../keychain/errors.js';
import type { Keychain } from '../../keychain/keychain.js';
import { ensureSharingKey } from '../../keychain/sharing.js';
import { FolderError } from '../errors.js';
import {
  verifyFolderLog,
  type FolderLink,
  type FolderMember,
  type FolderRole,
  type FolderState,
} from '../log.js';
import type { SharingKey } from '../sharing-key.js';
import { unwrapFolderKey } from '../wrap.js';
import type { LocalFolder, LocalFolders } from './local.js';

/** A folder's verified log as fetched now. */
export interface FetchedLog {
  links: FolderLink[];
  state: FolderState;
  emails: Record<string, string>;
}

/**
 * Fetches the log of `folder` and verifies it from its genesis; with a local copy, against its pin
 * (a log that lost the pinned head is a rollback, another link at its place a fork).
 */
export async function fetchFolderLog(options: {
  keychain: Keychain;
  folder: string;
  local?: LocalFolder;
}): Promise<FetchedLog> {
  const { keychain, folder, local } = options;
  const res = await folderCall(() => keychain.client().call('folderLinks', { query: { folder } }));
  let links: FolderLink[];
  try {
    links = res.links.map((text) => JSON.parse(text) as FolderLink);
  } catch {
    throw new FolderError('log-invalid', `The member log of folder ${folder} is not JSON.`);
  }
  const state = verifyFolderLog({ folder, links, pinned: local?.pin ?? null });
  return { links, state, emails: res.emails ?? {} };
}

/** Records a verified log in the local folder (moving its pin forward). */
export function adoptLog(local: LocalFolder, fetched: FetchedLog): void {
  local.state = fetched.state;
  local.pin = { genesisHash: fetched.state.genesisHash, head: fetched.state.head };
  local.emails = { ...local.emails, ...fetched.emails };
}

/** A fresh local record for a folder whose log was just verified. */
export function newLocalFolder(id: string, fetched: FetchedLog): LocalFolder {
  const local: LocalFolder = {
    id,
    pin: { genesisHash: fetched.state.genesisHash, head: fetched.state.head },
    state: fetched.state,
    keys: {},
    name: '',
    cursor: 0,
    entryHead: 0,
    records: {},
    emails: {},
  };
  adoptLog(local, fetched);
  return local;
}

/** This account in the verified log; its keys must be this account's own sharing key. */
export function selfMember(options: {
  keychain: Keychain;
  state: FolderState;
  key: SharingKey;
}): FolderMember {
  const { state, key } = options;
  const accountId = options.keychain.requireState().accountId;
  const me = state.members[accountId];
  if (!me || me.status === 'removed')
    throw new FolderError('not-member', `This account is not a member of folder ${state.folder}.`);
  if (me.encPub !== key.public.encPub || me.signPub !== key.public.signPub)
    throw new FolderError(
      'invite-keys',
      `The member log of folder ${state.folder} names this account with keys that are not its own; ` +
        'the server may have substituted them. Nothing was accepted.',
    );
  return me;
}

/** This account's active role, or throws (`not-member`, or `not-owner`/`not-writer` for `need`). */
export function requireRole(options: {
  keychain: Keychain;
  local: LocalFolder;
  need?: 'owner' | 'writer';
}): FolderRole {
  const { local, need } = options;
  const me = local.state.members[options.keychain.requireState().accountId];
  if (!me || me.status !== 'active')
    throw new FolderError('not-member', `This account is not an active member of folder ${local.id}.`);
  if (need === 'owner' && me.role !== 'owner')
    throw new FolderError(
      'not-owner',
      `Only an owner of folder ${folderLabel(local)} can do this; this account is ${me.role}.`,
    );
  if (need === 'writer' && me.role === 'viewer')
    throw new FolderError(
      'not-writer',
      `A viewer cannot add, edit or delete entries of folder ${folderLabel(local)}; ask an owner for the editor role.`,
    );
  return me.role;
}

export function folderLabel(local: LocalFolder): string {
  return local.name ? `"${local.name}"` : local.id;
}

/** The folder key of `epoch`: the local copy, or this account's wrap (checked against the commitment). */
export async function folderKey(options: {
  keychain: Keychain;
  local: LocalFolder;
  epoch: number;
  key: SharingKey;
}): Promise<Uint8Array> {
  const { keychain, local, epoch, key } = options;
  const known = local.keys[String(epoch)];
  if (known) return fromB64u(known);
  const accountId = keychain.requireState().accountId;
  const { wraps } = await folderCall(() =>
    keychain.client().call('folderWraps', { query: { folder: local.id } }),
  );
  for (const wrap of wraps) {
    if (local.keys[String(wrap.epoch)] || wrap.account !== accountId) continue;
    if (local.state.keyCommits[wrap.epoch] === undefined) continue;
    const fk = unwrapFolderKey({
      folder: local.id,
      epoch: wrap.epoch,
      member: accountId,
      wrapped: wrap.wrapped,
      key,
      state: local.state,
    });
    local.keys[String(wrap.epoch)] = b64u(fk);
  }
  const found = local.keys[String(epoch)];
  if (!found)
    throw new FolderError(
      'no-key',
      `No key of folder ${folderLabel(local)} for epoch ${epoch} was wrapped to this account yet; an owner's device must sync first.`,
    );
  return fromB64u(found);
}

/** Posts a signed link on the head it was built on. */
export async function postFolderLink(options: {
  keychain: Keychain;
  folder: string;
  expectedHead: number;
  link: FolderLink;
}): Promise<void> {
  await folderCall(() =>
    options.keychain.client().call('folderLinkPost', {
      body: { folder: options.folder, expectedHead: options.expectedHead, link: canon(options.link) },
    }),
  );
}

/** The account's sharing key (made and published on first use). */
export function ownSharingKey(keychain: Keychain): Promise<SharingKey> {
  return ensureSharingKey({ keychain });
}

/** The local folder `id`, or `not-member` when this device does not know it (sync first). */
export function localFolder(folders: LocalFolders, id: string): LocalFolder {
  const local = folders.folders[id];
  if (!local)
    throw new FolderError('not-member', `This device knows no folder ${id}; run \`tessera sync\` first.`);
  return local;
}

/**
 * Runs a server call; a 403 becomes the folder error it means (a viewer writing, a non-owner
 * managing), a 404 `not-member`.
 */
export async function folderCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof KeychainError && err.details.status === 403) {
      const viewer = /viewer/.test(err.message);
      throw new FolderError(viewer ? 'not-writer' : 'not-owner', `The server refused: ${err.message}`);
    }
    if (err instanceof KeychainError && err.details.status === 404)
      throw new FolderError('not-member', `The server refused: ${err.message}`);
    throw err;
  }
}
