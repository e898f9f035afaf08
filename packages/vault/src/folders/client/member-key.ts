/**
 * Following this account's sharing key into its folders (docs/PROTOCOL.md §12.2, §12.8). A key
 * rotation of the account (removing a device, replacing the recovery key) makes a new sharing key,
 * signed over by the old one in the circle. Each folder still naming the old key gets a `member-key`
 * link carrying that signature and signed by the new key; an owner's device then starts a new folder
 * key epoch (`rekey`), so a removed device's copy of the old key opens nothing new. A folder naming
 * this account with a key its circle never held is a hijack (someone with an old key was first) and
 * is refused loudly.
 */
import { KeychainError } from '../../keychain/errors.js';
import type { Keychain } from '../../keychain/keychain.js';
import { sharingKeyChain } from '../../keychain/sharing.js';
import { FolderError } from '../errors.js';
import { buildFolderLink } from '../log.js';
import type { SharingKey, SharingPublic } from '../sharing-key.js';
import type { CircleState } from '../../keychain/circle.js';
import { adoptLog, fetchFolderLog, postFolderLink } from './common.js';
import type { LocalFolder, LocalFolders } from './local.js';
import { startFolderEpoch } from './new-epoch.js';

/** Two appends racing on the same head: the loser refetches, re-verifies and tries again. */
const ATTEMPTS = 3;

/**
 * If the verified log of `local` names this account with a key the circle retired, posts the
 * `member-key` link moving it to `key` (the current one). Throws `key-hijacked` when the log names
 * this account, after a key change, with a key this account's circle never held.
 */
export async function followOwnKey(options: {
  keychain: Keychain;
  local: LocalFolder;
  key: SharingKey;
}): Promise<void> {
  const { keychain, local, key } = options;
  const accountId = keychain.requireState().accountId;
  for (let attempt = 0; ; attempt++) {
    const me = local.state.members[accountId];
    if (!me || me.status === 'removed') return;
    if (me.encPub === key.public.encPub && me.signPub === key.public.signPub) return;
    if (attempt === ATTEMPTS)
      throw new FolderError(
        'log-invalid',
        `Folder ${local.id} still names an old sharing key of this account after ${ATTEMPTS} key changes were posted; try again.`,
      );
    const keyChain = sharingKeyChain(keychain.requireState().circle!, me);
    // Another device of this account may have rotated since this one read the circle: read it again.
    if (!keyChain && me.keyChangedAt !== undefined && knownKey(await keychain.refreshCircle(), me)) return;
    if (!keyChain) {
      if (me.keyChangedAt !== undefined) throw hijacked(local, me.keyChangedAt);
      // Never a key of this account (not even an old one): `selfMember` refuses it as substituted.
      return;
    }
    const link = buildFolderLink({
      state: local.state,
      folder: local.id,
      link: {
        op: 'member-key',
        by: accountId,
        signer: key,
        member: { account: accountId, role: me.role, ...key.public },
        from: me,
        keyChain,
      },
    });
    try {
      await postFolderLink({ keychain, folder: local.id, expectedHead: local.state.head.seq, link });
    } catch (err) {
      if (!(err instanceof KeychainError && err.details.status === 409)) throw err;
    }
    adoptLog(local, await fetchFolderLog({ keychain, folder: local.id, local }));
  }
}

/**
 * An owner's answer to a member's key change (§12.8): while the verified log says a new epoch is
 * due, starts one (another owner's device may win the race; then nothing is left to do).
 */
export async function rekeyIfDue(options: {
  keychain: Keychain;
  folders: LocalFolders;
  local: LocalFolder;
  key: SharingKey;
}): Promise<void> {
  const { local } = options;
  for (let attempt = 1; local.state.rekeyDue !== undefined; attempt++) {
    const due = local.state.rekeyDue;
    const member = Object.values(local.state.members).find(
      (m) => m.status !== 'removed' && (m.keyChangedAt ?? -1) >= due,
    )!;
    try {
      await startFolderEpoch({ ...options, op: 'rekey', member });
      return;
    } catch (err) {
      if (!(err instanceof KeychainError && err.details.status === 409) || attempt >= ATTEMPTS) throw err;
      adoptLog(local, await fetchFolderLog({ keychain: options.keychain, folder: local.id, local }));
    }
  }
}

/** True when `circle` names `key` as this account's current or a retired sharing key. */
function knownKey(circle: CircleState, key: SharingPublic): boolean {
  const same = (k: SharingPublic | null | undefined) =>
    k?.encPub === key.encPub && k?.signPub === key.signPub;
  return same(circle.sharing) || (circle.retiredSharing ?? []).some(same);
}

function hijacked(local: LocalFolder, seq: number): FolderError {
  return new FolderError(
    'key-hijacked',
    `Folder ${local.name ? `"${local.name}"` : local.id} was moved to a sharing key this account never had ` +
      `(link ${seq}, signed with one of its old keys): a removed device of this account, or whoever holds ` +
      'its old key, got there first and may read the folder. Ask an owner to remove this account and invite it again.',
  );
}
