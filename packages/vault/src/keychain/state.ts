/**
 * What the keychain client remembers between runs, kept as one JSON value in the vault's encrypted
 * `meta` section (so vault keys and the session are as protected as the secrets themselves).
 */
import type { MetaValue, VaultRecord } from '../types.js';
import type { CircleState } from './circle.js';
import type { Notice } from '@tessera/protocol';

/** The vault operations the keychain needs; `Vault` provides them (see `vaultHost`). */
export interface KeychainHost {
  /** Every record, tombstones included. */
  records(): VaultRecord[];
  /**
   * Merges records from the server into the vault and sets `meta` keys, in one atomic write;
   * returns the ids that changed.
   */
  applyRemote(
    records: VaultRecord[],
    options?: { meta?: Record<string, MetaValue | undefined> },
  ): Promise<{ changed: string[] }>;
  getMeta(key: string): MetaValue | undefined;
  /** Whether a meta key is set, when the host can tell without copying its value. */
  hasMeta?(key: string): boolean;
  setMeta(key: string, value: MetaValue | undefined): Promise<void>;
  /** Sets several meta keys in one write, when the host can. */
  updateMeta?(patch: Record<string, MetaValue | undefined>): Promise<void>;
  /** Re-reads what other processes saved (the CLI's follower and commands share one vault file). */
  refresh?(): Promise<void>;
  /**
   * Wipes entries that have been in the trash for `TRASH_DAYS`; each sync round calls it, so a
   * device left open (a web tab, `sync --follow`) purges on time and pushes the wiped tombstones.
   */
  purgeTrash?(): Promise<unknown>;
}

/** What the client knows of one item on the server: version, hash of its plaintext, its latest clock. */
export interface SyncedItem {
  v: number;
  h: string;
  m: string;
  /** Key epoch of that copy (absent in state saved by protocol v1 clients). */
  e?: number;
  /**
   * Set when this version was refused (sealed under an older epoch than this device ever held it):
   * a later round that serves it again must meet the refusal, not a copy held before a rotation.
   */
  refused?: true;
}

export interface VerifyResult {
  at: number;
  ok: boolean;
  checked: number;
  mismatched: number;
}

export interface KeychainState {
  v: 1;
  server: string;
  email: string;
  accountId: string;
  deviceId: string;
  deviceName: string;
  session: string;
  /** The join nonce registered with this device's keys (§1.3). */
  nonce: string;
  status: 'pending' | 'trusted' | 'removed';
  /** b64u vault key of each epoch this device holds. */
  vaultKeys: Record<string, string>;
  circle: CircleState | null;
  /** Items pulled up to this version. */
  cursor: number;
  /** Highest version (item head) the server has ever shown; a lower head is a rollback. */
  highestSeen: number;
  synced: Record<string, SyncedItem>;
  noticeCursor: number;
  /** Recent notices, newest last (bounded). */
  notices: Notice[];
  /** Notices up to this id were already shown as one-line messages. */
  noticesShown: number;
  /** Local notices (negative ids, `addLocalNotice`) down to this id were shown. */
  localNoticesShown?: number;
  /** Notices the user dismissed on this device (`dismissNotice`). */
  dismissedNotices?: number[];
  lastSyncAt: number | null;
  lastBackupAt: number | null;
  lastVerify: VerifyResult | null;
  lastError: string | null;
  /** A pending device's approval in progress (§1.3); its secrets never leave the device. */
  join?: JoinAttempt;
}

/** The new device's side of one CPace approval run (§1.3). */
export interface JoinAttempt {
  /** The 8 digits shown to the user; never sent. */
  code: string;
  /** b64u CPace scalar ya (secret) and share Ya. */
  y: string;
  share: string;
  /** When the run started (ms); the server relays it for JOIN_REQUEST_TTL_MS. */
  startedAt?: number;
  /** b64u key that opens the trusted device's sealed delivery, once the MACs matched. */
  sealKey?: string;
}

/** Meta key of the keychain state. */
export const KEYCHAIN_META_KEY = 'keychain';
/** Notices kept locally for `status`. */
export const MAX_KEPT_NOTICES = 50;

/** Reads the state; null when this device never signed in. */
export function loadState(host: KeychainHost): KeychainState | null {
  const value = host.getMeta(KEYCHAIN_META_KEY);
  if (!value || typeof value !== 'object' || Array.isArray(value) || value.v !== 1) return null;
  return value as unknown as KeychainState;
}

export async function saveState(host: KeychainHost, state: KeychainState): Promise<void> {
  await host.setMeta(KEYCHAIN_META_KEY, state as unknown as MetaValue);
}

/** Fresh state for a device that has just registered or joined. */
export function newState(
  fields: Pick<
    KeychainState,
    'server' | 'email' | 'accountId' | 'deviceId' | 'deviceName' | 'session' | 'nonce'
  >,
): KeychainState {
  return {
    v: 1,
    ...fields,
    status: 'pending',
    vaultKeys: {},
    circle: null,
    cursor: 0,
    highestSeen: 0,
    synced: {},
    noticeCursor: 0,
    notices: [],
    noticesShown: 0,
    lastSyncAt: null,
    lastBackupAt: null,
    lastVerify: null,
    lastError: null,
  };
}
