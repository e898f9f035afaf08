/**
 * Tables of the main database (one schema for SQLite and PostgreSQL). Times are milliseconds since
 * the Unix epoch; booleans are 0/1 integers so both dialects store them the same way.
 */
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  /** Normalised (lower-case) email; the OPAQUE user identifier. */
  email: string;
  /** OPAQUE registration record; useless without the server setup, which lives outside the database. */
  opaque_record: string;
  created_at: number;
  /** Highest item version of the account (the item cursor, §3). */
  item_head: number;
  circle_seq: number | null;
  circle_hash: string | null;
  circle_epoch: number | null;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  name: string;
  enc_pub: string;
  sign_pub: string;
  nonce: string;
  status: 'pending' | 'trusted' | 'removed';
  created_at: number;
  last_seen_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_hash: string;
  account_id: string;
  device_id: string;
  created_at: number;
  expires_at: number;
  last_used_at: number;
}

/** OPAQUE sign-ins between start and finish (at most a few minutes old). */
export interface LoginsTable {
  id: string;
  /** Null for an unknown email: the attempt is answered with a fake record and always fails. */
  account_id: string | null;
  server_state: string;
  rate_keys: string;
  expires_at: number;
}

export interface CircleLinksTable {
  account_id: string;
  seq: number;
  hash: string;
  /** canon(link) exactly as posted. */
  body: string;
  created_at: number;
}

export interface WrapsTable {
  account_id: string;
  recipient_id: string;
  epoch: number;
  wrapped: string;
  created_at: number;
}

export interface ItemsTable {
  account_id: string;
  id: string;
  version: number;
  epoch: number;
  ciphertext: string;
  deleted: number;
  updated_at: number;
}

export interface NoticesTable {
  id: Generated<number>;
  account_id: string;
  kind: string;
  data: string;
  created_at: number;
}

/** The per-account event log the feed replays from (`Last-Event-ID`). */
export interface EventsTable {
  id: Generated<number>;
  account_id: string;
  type: string;
  data: string;
  created_at: number;
}

/** Rate-limit counters shared by every server process. */
export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
  blocked_until: number;
}

export interface MainDatabase {
  accounts: AccountsTable;
  devices: DevicesTable;
  sessions: SessionsTable;
  logins: LoginsTable;
  circle_links: CircleLinksTable;
  wraps: WrapsTable;
  items: ItemsTable;
  notices: NoticesTable;
  events: EventsTable;
  rate_limits: RateLimitsTable;
  shares: SharesTable;
  join_messages: JoinMessagesTable;
  folders: FoldersTable;
  folder_links: FolderLinksTable;
  folder_members: FolderMembersTable;
  folder_wraps: FolderWrapsTable;
  folder_entries: FolderEntriesTable;
  folder_activity: FolderActivityTable;
}

/** One relayed approval message (§1.3), opaque to the server; deleted with the join request's window. */
export interface JoinMessagesTable {
  device_id: string;
  slot: string;
  account_id: string;
  body: string;
  created_at: number;
}

/** Sealed codes of a time-limited code link (§9); deleted when the window ends. */
export interface SharesTable {
  id: string;
  account_id: string;
  ciphertext: string;
  /** Unix seconds. */
  expires_at: number;
  created_at: number;
}

/** A shared folder (§12): the server keeps only its log head and entry counter. */
export interface FoldersTable {
  id: string;
  head_seq: number;
  entry_head: number;
  created_at: number;
}

/** One signed member-log link, stored as the client sent it (canon JSON). */
export interface FolderLinksTable {
  folder_id: string;
  seq: number;
  body: string;
  created_at: number;
}

/** Accounts the log names as invited or active: who may read the folder. */
export interface FolderMembersTable {
  folder_id: string;
  account_id: string;
  /** The role the log last gave: owner, editor or viewer. */
  role: string;
}

export interface FolderWrapsTable {
  folder_id: string;
  account_id: string;
  epoch: number;
  wrapped: string;
}

export interface FolderEntriesTable {
  folder_id: string;
  id: string;
  epoch: number;
  blob: string;
  version: number;
}

/** A member's self-reported activity event, sealed under the folder key (§12.7). */
export interface FolderActivityTable {
  id: Generated<number>;
  folder_id: string;
  account_id: string;
  epoch: number;
  blob: string;
  created_at: number;
}
