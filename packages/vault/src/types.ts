import type { OtpEntry } from '@tessera/otp';

/**
 * One entry of the vault: the OTP credential plus the display data that travels with it.
 * Credential fields (`type`, `secret`, `algorithm`, `digits`, `period`) never change after creation:
 * a different secret is a different entry. That keeps every merge result a valid credential.
 */
export interface VaultEntry extends OtpEntry {
  /** Random UUID v4; also the keychain item id (docs/PROTOCOL.md §3). */
  id: string;
  tags: string[];
  /**
   * Position in lists when no `position` is set, ascending. Kept and written for clients older than
   * `position`, which require it.
   */
  order: number;
  /**
   * Key of the entry in the manual order (`position.ts`): a base-62 fraction compared as a string.
   * Absent on entries made before manual order; they sort after every entry that has one.
   */
  position?: string;
  /** Shown before the unpinned entries in every sort, on every device. Absent: not pinned. */
  pinned?: boolean;
  /** A device-only entry never leaves this device (the sync engine skips it). */
  deviceOnly: boolean;
  /**
   * Sites (registrable domains, e.g. `example.co.uk`) where the browser extension may fill this
   * entry's code; absent or empty: nowhere. Synced with the entry like any display field.
   */
  sites?: string[];
  /**
   * The user's choice of icon (`icons.ts`): `"none"` for the lettered tile, or `"simple-icons/<slug>"`;
   * absent: chosen automatically from the issuer and sites. Display data, synced like tags.
   */
  icon?: string;
  /** Unix milliseconds. */
  createdAt: number;
  /** Unix milliseconds of the last change. */
  updatedAt: number;
}

/** The per-field clocks of a record: field name → HLC string (see `hlc.ts`). */
export type RecordClock = Record<string, string>;

/**
 * A vault record, exactly the plaintext of a keychain item (docs/PROTOCOL.md §3).
 * `clock.deleted`, when present, is the clock of the latest deletion; `deleted` is true while that
 * deletion is newer than every edit (see `merge.ts`).
 */
export interface VaultRecord {
  v: 1;
  entry: VaultEntry;
  clock: RecordClock;
  deleted: boolean;
}

/** The fields of an entry a user may change after creation. */
export type EntryPatch = Partial<
  Pick<
    VaultEntry,
    'issuer' | 'account' | 'tags' | 'order' | 'position' | 'pinned' | 'deviceOnly' | 'extra' | 'sites'
  > & {
    /** An icon choice (`icons.ts`), or null to go back to the automatic icon. */
    icon?: string | null;
  }
>;

/** JSON-compatible value kept in the vault's `meta` section. */
export type MetaValue = null | boolean | number | string | MetaValue[] | { [key: string]: MetaValue };

/** What changed, for listeners such as the sync engine. */
export interface VaultChange {
  /** `records`: entries were added, edited or deleted; `meta`: the meta section changed. */
  kind: 'records' | 'meta';
  /** `local`: made on this device; `remote`: merged from elsewhere (`applyRemote`) or another process. */
  source: 'local' | 'remote';
  /** Ids of the records that changed (for `meta`: the meta keys). */
  ids: string[];
}

export type ChangeListener = (change: VaultChange) => void;
