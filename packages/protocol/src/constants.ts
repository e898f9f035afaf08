/**
 * Constants of the Tessera keychain protocol (docs/PROTOCOL.md). The one place these numbers live:
 * the server enforces them and clients read them from here.
 */

/** The protocol version this package describes (docs/PROTOCOL.md title). */
export const PROTOCOL_VERSION = 2;

/** Header every /v1 request carries: `<client>/<semver>`, e.g. `tessera-cli/0.2.0` (§4). */
export const CLIENT_HEADER = 'Tessera-Client';

/**
 * Query parameter accepted instead of the header on `GET /v1/feed` only, because a browser
 * `EventSource` cannot set request headers.
 */
export const CLIENT_QUERY_PARAM = 'client';

/** Cookie holding the session token for the web app (HttpOnly, SameSite=Strict, Secure over TLS). */
export const SESSION_COOKIE = 'tessera_session';

/** Minimum client version a server requires unless configured otherwise. */
export const DEFAULT_MIN_CLIENT_VERSION = '0.2.0';

/** Size and count limits the server enforces (§4 "Limits"). */
export const LIMITS = {
  /** One relayed approval message (§1.3), b64u characters; the sealed delivery is the largest. 413 above. */
  maxJoinMessageChars: 16 * 1024,
  /** Length of one item's `ciphertext` string (b64u characters). 413 above. */
  maxCiphertextChars: 24 * 1024,
  /** Live (not deleted) items per account. 422 above. */
  maxLiveItems: 5000,
  /** Items in one `POST /v1/items`. 413 above. */
  maxItemsPerPush: 500,
  /** UTF-8 bytes of `canon(link)` for one circle link. 413 above. */
  maxCircleLinkBytes: 8 * 1024,
  /** Wraps posted with one circle link. */
  maxWrapsPerLink: 200,
  /** Default and maximum page size of `GET /v1/items`. */
  defaultPullLimit: 500,
  maxPullLimit: 1000,
  /** Maximum notices returned by one `GET /v1/notices`. */
  maxNoticesPerPage: 500,
  /** UTF-8 bytes of `canon(data)` of a notice posted by a client. */
  maxNoticeDataBytes: 2048,
  /** Length of a device name. */
  maxDeviceNameChars: 64,
  /** Length of an email address. */
  maxEmailChars: 254,
  /** Sealed codes of one code link (b64u characters): 2 hours of 30-second codes fit easily. */
  maxShareCiphertextChars: 64 * 1024,
  /** Longest window of a code link, in seconds (§9). */
  maxShareSeconds: 2 * 60 * 60,
  /** Code links one account may have open at once. */
  maxOpenShares: 50,
  /** Length of any OPAQUE message (b64u characters); real ones are under 500. */
  maxOpaqueMessageChars: 2048,
} as const;

/** Plaintext padding buckets of an item, in bytes (§3); a larger plaintext is refused. */
export const PADDING_BUCKETS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** Escrow: failed PIN proofs (in total) after which the escrow record is destroyed (§4). */
export const ESCROW_MAX_FAILED_ATTEMPTS = 10;

/** A join request (pending device waiting for approval) can be approved for this long (§1.3). */
export const JOIN_REQUEST_TTL_MS = 10 * 60 * 1000;

/**
 * Longest a `GET /v1/join` with `wait` holds its answer for news (§1.3); a longer `wait` is cut to
 * this. Clients time such a request out after the wait they asked for plus their usual timeout.
 */
export const JOIN_WAIT_MAX_MS = 25_000;

/** The feed sends a comment ping this often (§4). */
export const FEED_PING_INTERVAL_MS = 15_000;

/** Labels used for HKDF `info`, AEAD associated data and signatures (§1, §3). */
export const LABELS = {
  items: 'tessera/v1/items',
  circle: 'tessera/v1/circle',
  recovery: 'tessera/v1/recovery',
  escrow: 'tessera/v1/escrow',
  /** Ed25519 seed from the recovery key; signs the genesis so a device can tell the real keychain (§2). */
  recoverySign: 'tessera/v1/recovery-sign',
  /** Ed25519 seed from `EK || exportKey`; signs the set-escrow link naming the escrow key (§2). */
  escrowSign: 'tessera/v1/escrow-sign',
  wrap: 'tessera/v1/wrap',
  item: 'tessera/v1/item',
  sas: 'tessera/v1/sas',
  escrowRelease: 'tessera/v1/escrow-release',
  /** A PIN held by realms (§11): X25519 and Ed25519 seeds of the escrow key from the unlock secret S. */
  realmEscrow: 'tessera/v2/realm-escrow',
  realmEscrowSign: 'tessera/v2/realm-escrow-sign',
  /** From the vault key of the epoch the PIN was set in: deletes the PIN's realm records (§11). */
  realmDelete: 'tessera/v2/realm-delete',
  /** Passkey restore (§8): the PRF input, and HKDF infos of the passkey's X25519 and Ed25519 seeds. */
  passkeyPrf: 'tessera/v2/passkey-restore',
  passkey: 'tessera/v2/passkey',
  passkeySign: 'tessera/v2/passkey-sign',
  /** Device proof when resuming an existing device at sign-in: sign `resume|loginId|deviceId`. */
  resume: 'tessera/v1/resume',
} as const;

/** Recipient ids that are not devices (§1.1). */
export const RECOVERY_RECIPIENT = 'recovery';
export const ESCROW_RECIPIENT = 'escrow';
/** A passkey for restore is recipient `passkey:<id>` (§8). */
export const PASSKEY_RECIPIENT_PREFIX = 'passkey:';

export const DEVICE_STATUSES = ['pending', 'trusted', 'removed'] as const;

export const CIRCLE_OPS = [
  'genesis',
  'add-device',
  'remove-device',
  'set-escrow',
  'rotate',
  // v2 passkey restore
  'add-passkey',
  'remove-passkey',
  // v2: a trusted device renames a member (the name every approval prompt shows)
  'rename-device',
  // v2 shared folders (§12.1): publishes the account's sharing key, its seed sealed under VK
  'sharing-key',
] as const;
export type CircleOp = (typeof CIRCLE_OPS)[number];

export const JOIN_VIAS = ['genesis', 'approval', 'recovery', 'pin', 'passkey'] as const;
export type JoinVia = (typeof JOIN_VIAS)[number];

export const NOTICE_KINDS = [
  'device-join-requested',
  'device-joined',
  'device-removed',
  'pin-attempt-failed',
  'escrow-destroyed',
  'recovery-key-used',
  'backup-mismatch',
  'server',
  // v2 circle
  'recovery-key-replaced',
  'pin-changed',
  /** Made by a client itself, never by the server: it refused an item sealed under an old epoch. */
  'item-refused',
  // v2 passkey restore
  'passkey-added',
  'passkey-removed',
  'passkey-used',
  // credential lifecycle (§10)
  'account-locked',
  'password-changed',
] as const;

/** Notice kinds a client may post itself (`POST /v1/notices`). */
export const CLIENT_NOTICE_KINDS = ['backup-mismatch'] as const;

/** `folders`: a shared folder this account is named in changed (`data: { folder }`, §12.7). */
export const FEED_EVENTS = ['items', 'circle', 'notice', 'devices', 'folders'] as const;
export type FeedEventType = (typeof FEED_EVENTS)[number];

/** Error codes the server answers with (`{ error: { code, message } }`). */
export const ERROR_CODES = [
  'bad-request',
  'client-header-required',
  'update-required',
  'unauthorized',
  'invalid-credentials',
  'forbidden',
  'not-found',
  'email-taken',
  'login-expired',
  'device-removed',
  'join-request-expired',
  'circle-conflict',
  'conflict',
  'invalid-link',
  'too-large',
  'too-many-items',
  'rate-limited',
  'escrow-not-enabled',
  'escrow-destroyed',
  'attempt-expired',
  'pin-incorrect',
  'database-unavailable',
  'unavailable',
  'internal',
  // v2 circle
  'epoch-stale',
  // v2 shared codes
  'share-expired',
  // credential lifecycle (§10)
  'join-removed',
  'session-expired',
  // escrow realms (§11)
  'realm-no-record',
  'realm-record-exists',
  'realm-record-destroyed',
  'realm-record-deleted',
  // v2 approval relay (§1.3)
  'join-failed',
  'join-slot-taken',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
