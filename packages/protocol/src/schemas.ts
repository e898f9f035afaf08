/**
 * TypeBox schemas of every body, query and response of docs/PROTOCOL.md §4. Plain JSON Schema, so the
 * server validates with them and publishes them at /openapi.json, and clients derive their types
 * with `Static<typeof X>`.
 */
import { Type, type Static, type TSchema } from 'typebox';
import {
  CIRCLE_OPS,
  CLIENT_NOTICE_KINDS,
  DEVICE_STATUSES,
  ERROR_CODES,
  JOIN_VIAS,
  LIMITS,
  NOTICE_KINDS,
} from './constants.js';

// ---------------------------------------------------------------------------------------------
// Primitives

const B64U_PATTERN = '^[A-Za-z0-9_-]*$';
const UUID_V4_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

/** Unpadded base64url (RFC 4648 §5) of at most `maxLength` characters. */
export const B64u = (maxLength: number, description?: string) =>
  Type.String({ pattern: B64U_PATTERN, minLength: 1, maxLength, ...(description ? { description } : {}) });

/** Unpadded base64url of exactly `bytes` bytes. */
export const B64uBytes = (bytes: number, description?: string) => {
  const length = Math.ceil((bytes * 4) / 3);
  return Type.String({
    pattern: B64U_PATTERN,
    minLength: length,
    maxLength: length,
    description: description ?? `${bytes} bytes, unpadded base64url`,
  });
};

/** A 32-byte public key (X25519 or Ed25519). */
export const PublicKey = B64uBytes(32, '32-byte public key, unpadded base64url');
export const Uuid = Type.String({ pattern: UUID_V4_PATTERN, description: 'UUID v4, lower case' });
export const AccountId = Uuid;
export const DeviceId = Uuid;
/** A recipient of a VK wrap: a device id, `recovery` or `escrow` (§1.1). */
export const RecipientId = Type.String({
  pattern: `^(recovery|escrow|passkey:[A-Za-z0-9_-]{22}|${UUID_V4_PATTERN.slice(1, -1)})$`,
  description: 'device id, "recovery", "escrow" or "passkey:<id>"',
});
/** Milliseconds since the Unix epoch. */
export const Millis = Type.Integer({ minimum: 0, description: 'milliseconds since the Unix epoch' });
export const Version = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Epoch = Type.Integer({ minimum: 1, maximum: 1_000_000 });
export const Email = Type.String({
  minLength: 3,
  maxLength: LIMITS.maxEmailChars,
  pattern: '^[^\\s@]+@[^\\s@]+$',
});
export const OpaqueMessage = B64u(LIMITS.maxOpaqueMessageChars, 'OPAQUE message from @serenity-kit/opaque');
/** Session token: 32 random bytes, unpadded base64url. */
export const SessionToken = B64uBytes(32, 'session token: 32 random bytes, unpadded base64url');

export const DeviceStatus = Type.Enum(DEVICE_STATUSES);
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
export const NoticeKind = Type.Enum(NOTICE_KINDS);
export type NoticeKind = (typeof NOTICE_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Every error: `{ error: { code, message } }`, plus the fields some errors carry inside `error`.
 * Extra fields are allowed so the response serializer keeps them, and new ones need no schema change.
 */
export const ErrorDetail = Type.Object(
  {
    code: Type.Enum(ERROR_CODES, { description: 'error code' }),
    message: Type.String({ description: 'one sentence for people' }),
    minimumVersion: Type.Optional(Type.String({ description: 'with update-required (426)' })),
    retryAfter: Type.Optional(Type.Integer({ description: 'seconds, with rate-limited (429)' })),
    attemptsLeft: Type.Optional(Type.Integer({ description: 'with pin-incorrect (401)' })),
    head: Type.Optional(Type.Any({ description: 'with circle-conflict (409): the current circle head' })),
    conflicts: Type.Optional(
      Type.Array(Type.Object({ id: Uuid, version: Version }), { description: 'with conflict (409)' }),
    ),
  },
  { additionalProperties: true },
);
export type ErrorDetail = Static<typeof ErrorDetail>;
export const ErrorBody = Type.Object({ error: ErrorDetail });
export type ErrorBody = Static<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------------
// Meta

export const MetaResponse = Type.Object({
  serverVersion: Type.String(),
  protocolVersion: Type.Integer(),
  minClientVersion: Type.String(),
  opaquePublicKey: Type.String({ description: 'OPAQUE server public key of sign-in; clients pin it' }),
  escrowOpaquePublicKey: Type.String({ description: 'OPAQUE server public key of the escrow (PIN)' }),
  escrowRealms: Type.Optional(
    Type.Object({
      urls: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { minItems: 1, maxItems: 16 }),
      threshold: Type.Integer({ minimum: 1, maximum: 16 }),
    }),
  ),
  signInFold: Type.Optional(
    Type.Boolean({ description: 'sessions/finish takes `include` (§5 "Sign-in answers folded")' }),
  ),
  time: Millis,
});
export type MetaResponse = Static<typeof MetaResponse>;

// ---------------------------------------------------------------------------------------------
// Accounts and sessions

/** A device as it registers: its public keys and the random nonce of its verification code (§1.3). */
export const NewDevice = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.maxDeviceNameChars }),
    encPub: PublicKey,
    signPub: PublicKey,
    nonce: B64uBytes(16, '16 random bytes, unpadded base64url'),
  },
  { additionalProperties: false },
);
export type NewDevice = Static<typeof NewDevice>;

export const RegisterStartBody = Type.Object(
  { email: Email, registrationRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const RegisterStartResponse = Type.Object({ registrationResponse: Type.String() });

export const RegisterFinishBody = Type.Object(
  { email: Email, registrationRecord: OpaqueMessage, device: NewDevice },
  { additionalProperties: false },
);
export const RegisterFinishResponse = Type.Object({
  accountId: AccountId,
  deviceId: DeviceId,
  session: SessionToken,
});

export const LoginStartBody = Type.Object(
  { email: Email, startLoginRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const LoginStartResponse = Type.Object({
  loginId: Type.String({ description: 'opaque handle of this sign-in attempt, valid for 2 minutes' }),
  loginResponse: Type.String(),
});

export const LoginFinishBody = Type.Object(
  {
    loginId: B64u(64),
    finishLoginRequest: OpaqueMessage,
    device: Type.Optional(NewDevice),
    deviceId: Type.Optional(DeviceId),
    deviceProof: Type.Optional(
      B64uBytes(
        64,
        'with deviceId: Ed25519 signature by the device signing key over utf8("tessera/v1/resume|" + loginId + "|" + deviceId)',
      ),
    ),

    include: Type.Optional(
      Type.Object(
        {
          circle: Type.Optional(Type.Literal(true, { description: 'the answer of GET /v1/circle' })),
          wraps: Type.Optional(
            Type.Union([Type.Literal('recovery'), Type.Literal('escrow')], {
              description: 'the answer of GET /v1/keys?recipient=…, counted as that request is',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'servers whose meta says signInFold: what to answer with the session (§5 "Sign-in answers folded"); each part left out is asked for apart',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'exactly one of device (a join request) or deviceId + deviceProof (resume)',
  },
);

// ---------------------------------------------------------------------------------------------
// Devices

export const Device = Type.Object({
  id: DeviceId,
  name: Type.String(),
  status: DeviceStatus,
  encPub: PublicKey,
  signPub: PublicKey,
  nonce: Type.String(),
  createdAt: Millis,
  lastSeenAt: Millis,
});
export type Device = Static<typeof Device>;
export const DevicesResponse = Type.Object({ devices: Type.Array(Device) });
/** §10: evicts a pending device (a join request nobody approved). */
export const EvictDeviceBody = Type.Object({ deviceId: DeviceId }, { additionalProperties: false });

// ---------------------------------------------------------------------------------------------
// Circle (§2)

export const LinkDevice = Type.Object(
  {
    id: DeviceId,
    name: Type.String({ minLength: 1, maxLength: LIMITS.maxDeviceNameChars }),
    encPub: PublicKey,
    signPub: PublicKey,
  },
  { additionalProperties: false },
);

/** A passkey for restore as the circle names it (§8). */
export const LinkPasskey = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9_-]{22}$',
      description: 'b64u of the first 16 bytes of H(credentialId)',
    }),
    credentialId: B64u(1400, 'WebAuthn credential id, unpadded base64url'),
    name: Type.String({ minLength: 1, maxLength: LIMITS.maxDeviceNameChars }),
    encPub: PublicKey,
    signPub: PublicKey,
  },
  { additionalProperties: false },
);

/** Where a PIN's realm records are, pinned by the set-escrow link that sets it (§11). */
export const LinkEscrowRealms = Type.Object(
  {
    v: Type.Literal(1),
    record: Type.String({ pattern: '^[A-Za-z0-9_-]{22,86}$', description: 'random id of the records' }),
    threshold: Type.Integer({ minimum: 1, maximum: 16 }),
    realms: Type.Array(
      Type.Object(
        {
          url: Type.String({ minLength: 1, maxLength: 512 }),
          realmId: Type.String({ pattern: '^realm-[A-Za-z0-9_-]{16}$' }),
          publicKey: PublicKey,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 16 },
    ),
    unlockCheck: B64uBytes(32, 'HKDF(K), §11'),
    secretCheck: B64uBytes(32, 'HKDF(S), §11'),
  },
  { additionalProperties: false },
);

/** The account's sharing key as the circle names it (§12.1): public halves and the sealed seed. */
export const LinkSharing = Type.Object(
  {
    encPub: PublicKey,
    signPub: PublicKey,
    sealed: B64u(256, 'the 32-byte seed sealed under HKDF(VK of the link epoch, sharing-seal)'),
    /** A rotation naming a new sharing key: the previous key's Ed25519 signature of the change (§12.1). */
    prevSig: Type.Optional(B64uBytes(64, 'Ed25519 signature by the previous sharing key')),
  },
  { additionalProperties: false },
);

/**
 * A circle link exactly as signed by the client. Nullable fields may be present as null or absent;
 * the server stores and returns the link unchanged (its hash is `H(canon(link))`).
 */
export const CircleLink = Type.Object(
  {
    v: Type.Union([Type.Literal(1), Type.Literal(2)]),
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    prev: Type.Union([B64uBytes(32, 'b64u H(canon(previous link))'), Type.Null()]),
    op: Type.Enum(CIRCLE_OPS),
    epoch: Epoch,
    circlePub: PublicKey,
    device: Type.Optional(Type.Union([LinkDevice, Type.Null()])),
    recoveryPub: Type.Optional(Type.Union([PublicKey, Type.Null()])),
    escrowPub: Type.Optional(Type.Union([PublicKey, Type.Null()])),
    escrowRealms: Type.Optional(Type.Union([LinkEscrowRealms, Type.Null()])),
    recoverySignPub: Type.Optional(PublicKey),
    recoverySig: Type.Optional(
      B64uBytes(
        64,
        'genesis: Ed25519 signature by the recovery signing key over canon(link without sig, recoverySig); v2 rotate and remove-device: over canon({ genesis, link: link without sig, recoverySig, escrowSig })',
      ),
    ),
    escrowSignPub: Type.Optional(PublicKey),
    escrowSig: Type.Optional(
      B64uBytes(
        64,
        'v1 set-escrow: Ed25519 signature by the escrow signing key over canon({ genesis: b64u H(canon(genesis link)), link: link without sig, escrowSig }); v2 links: link without sig, recoverySig, escrowSig',
      ),
    ),
    via: Type.Optional(Type.Union([Type.Enum(JOIN_VIAS), Type.Null()])),
    passkey: Type.Optional(Type.Union([LinkPasskey, Type.Null()])),
    sharing: Type.Optional(Type.Union([LinkSharing, Type.Null()])),
    passkeySig: Type.Optional(
      B64uBytes(64, 'add-passkey: Ed25519 signature by the passkey signing key over the v2 anchor message'),
    ),
    by: DeviceId,
    at: Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 time' }),
    sig: B64uBytes(64, 'Ed25519 signature, unpadded base64url'),
  },
  { additionalProperties: false },
);
export type CircleLink = Static<typeof CircleLink>;

/** `{ seq, hash }` of the last link, or null before genesis. */
export const CircleHead = Type.Union([
  Type.Object({ seq: Type.Integer({ minimum: 0 }), hash: Type.String() }),
  Type.Null(),
]);
export type CircleHead = Static<typeof CircleHead>;

export const Wrap = Type.Object(
  { recipientId: RecipientId, epoch: Epoch, wrapped: B64u(512, 'b64u(eph.public || AEAD(k, VK, aad))') },
  { additionalProperties: false },
);
export type Wrap = Static<typeof Wrap>;

export const CircleQuery = Type.Object({
  since: Type.Optional(
    Type.Integer({ minimum: -1, description: 'return links with seq > since; all when absent' }),
  ),
});
export const CircleResponse = Type.Object({ links: Type.Array(CircleLink), head: CircleHead });
export const CirclePostBody = Type.Object(
  { link: CircleLink, wraps: Type.Array(Wrap, { maxItems: LIMITS.maxWrapsPerLink }) },
  { additionalProperties: false },
);
export const CirclePostResponse = Type.Object({ head: CircleHead });

export const KeysQuery = Type.Object({ recipient: RecipientId });
export const KeysResponse = Type.Object({ wraps: Type.Array(Wrap) });

// ---------------------------------------------------------------------------------------------
// Escrow

export const PasswordStartBody = Type.Object(
  { startLoginRequest: OpaqueMessage, registrationRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const PasswordStartResponse = Type.Object({
  loginId: Type.String({ description: 'opaque handle of this change, valid for 2 minutes' }),
  loginResponse: Type.String(),
  registrationResponse: Type.String(),
});
export const PasswordFinishBody = Type.Object(
  { loginId: B64u(64), finishLoginRequest: OpaqueMessage, registrationRecord: OpaqueMessage },
  { additionalProperties: false },
);

export const EscrowRegisterStartBody = Type.Object(
  { registrationRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const EscrowRegisterStartResponse = Type.Object({ registrationResponse: Type.String() });
export const EscrowRegisterFinishBody = Type.Object(
  { registrationRecord: OpaqueMessage, escrowKey: B64uBytes(32, 'EK: 32 random bytes, unpadded base64url') },
  { additionalProperties: false },
);
export const EscrowLoginStartBody = Type.Object(
  { startLoginRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const EscrowLoginStartResponse = Type.Object({
  attemptId: Type.String(),
  loginResponse: Type.String(),
  attemptsLeft: Type.Integer({ minimum: 0, description: 'attempts left if this one fails' }),
});
export const EscrowLoginFinishBody = Type.Object(
  { attemptId: B64u(64), finishLoginRequest: OpaqueMessage },
  { additionalProperties: false },
);
export const EscrowLoginFinishResponse = Type.Object({
  sealedEscrowKey: Type.String({
    description:
      'b64u(AEAD(HKDF(b64u-decoded OPAQUE sessionKey, "", "tessera/v1/escrow-release", 32), EK, "tessera/v1/escrow-release|" + accountId))',
  }),
});
export const RealmPinReportBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('wrong'), Type.Literal('destroyed')]),
    attemptsLeft: Type.Integer({ minimum: 0, maximum: 10 }),
  },
  { additionalProperties: false },
);

export const EscrowStatusResponse = Type.Object({
  enabled: Type.Boolean(),
  attemptsLeft: Type.Integer({ minimum: 0 }),
  destroyed: Type.Boolean(),
});

// ---------------------------------------------------------------------------------------------
// Items (§3)

export const Item = Type.Object({
  id: Uuid,
  version: Version,
  epoch: Epoch,
  ciphertext: Type.String(),
  deleted: Type.Boolean(),
});
export type Item = Static<typeof Item>;

export const ItemsQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: LIMITS.maxPullLimit, default: LIMITS.defaultPullLimit }),
  ),
  /**
   * The highest version the client knows of (its own push's head, a feed event's): a server may
   * answer from what it holds in memory only when its head reaches this, else it reads (§5 "Sync").
   */
  atLeast: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
});
export const ItemsResponse = Type.Object({
  items: Type.Array(Item),
  head: Version,
  more: Type.Boolean(),
});

export const LoginFinishResponse = Type.Object({
  accountId: AccountId,
  deviceId: DeviceId,
  session: SessionToken,
  deviceStatus: DeviceStatus,
  // Only when asked for with `include` (a server may leave any part out; the client then asks apart).
  circle: Type.Optional(CircleResponse),
  wraps: Type.Optional(KeysResponse),
});

export const PushItem = Type.Object(
  {
    id: Uuid,
    baseVersion: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: '0 = new item' }),
    epoch: Epoch,
    // The limit (LIMITS.maxCiphertextChars) is checked by the server to answer 413, not 400; the
    // schema only bounds what a parser accepts.
    ciphertext: Type.String({
      pattern: B64U_PATTERN,
      minLength: 1,
      maxLength: 4 * LIMITS.maxCiphertextChars,
    }),
    deleted: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PushItem = Static<typeof PushItem>;
export const PushBody = Type.Object(
  { items: Type.Array(PushItem, { minItems: 1, maxItems: 4 * LIMITS.maxItemsPerPush }) },
  { additionalProperties: false },
);
export const PushResponse = Type.Object({
  versions: Type.Array(Type.Object({ id: Uuid, version: Version })),
  head: Version,
});

// ---------------------------------------------------------------------------------------------
// Notices and feed

export const Notice = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  kind: NoticeKind,
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Millis,
});
export type Notice = Static<typeof Notice>;
export const NoticesQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, description: 'notices with id > since' })),
});
export const NoticesResponse = Type.Object({ notices: Type.Array(Notice) });
export const NoticePostBody = Type.Object(
  { kind: Type.Enum(CLIENT_NOTICE_KINDS), data: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: false },
);
export const NoticePostResponse = Type.Object({ notice: Notice });

export const FeedQuery = Type.Object({
  client: Type.Optional(
    Type.String({ maxLength: 100, description: 'Tessera-Client value, for EventSource' }),
  ),
});

/** Data of each feed event type (the SSE `data:` line is its JSON). */
export const FeedEventData = {
  items: Type.Object({ head: Version }),
  circle: Type.Object({ head: CircleHead }),
  notice: Type.Object({ notice: Notice }),
  devices: Type.Object({}),
} as const;

export const Empty = Type.Null({ description: 'no content (204)' });

export type { Static, TSchema };

// ---------------------------------------------------------------------------------------------
// v2 shared codes: time-limited code links (§9)

export const ShareId = B64uBytes(16, 'random share id, unpadded base64url');
export const SharePostBody = Type.Object(
  {
    id: ShareId,
    ciphertext: B64u(LIMITS.maxShareCiphertextChars, 'b64u(nonce || XChaCha20-Poly1305(codes))'),
    expiresAt: Type.Integer({ minimum: 0, description: 'Unix seconds; the link answers 410 from then on' }),
  },
  { additionalProperties: false },
);
export const SharePostResponse = Type.Object({ id: ShareId, expiresAt: Type.Integer() });
export const ShareQuery = Type.Object({ id: ShareId }, { additionalProperties: false });
export const ShareResponse = Type.Object({ ciphertext: Type.String(), expiresAt: Type.Integer() });

// ---------------------------------------------------------------------------------------------
// Approval relay (§1.3): opaque CPace messages between a pending device and a trusted one

/** The slots of one join attempt, each written once: a (new device), b (trusted), confirm-a, sealed, fail. */
export const JoinSlot = Type.Union([
  Type.Literal('a'),
  Type.Literal('b'),
  Type.Literal('confirm-a'),
  Type.Literal('sealed'),
  Type.Literal('fail'),
]);
export type JoinSlot = Static<typeof JoinSlot>;

export const JoinMessagePostBody = Type.Object(
  {
    deviceId: DeviceId,
    slot: JoinSlot,
    body: B64u(LIMITS.maxJoinMessageChars, 'opaque to the server; b64u'),
  },
  { additionalProperties: false },
);
export const JoinMessagesQuery = Type.Object(
  {
    deviceId: DeviceId,
    /**
     * Long polling (§1.3): when the attempt still has exactly `seen` slots, the answer waits up to
     * this many ms (cut to JOIN_WAIT_MAX_MS) for a slot to be written or the device's status to change.
     */
    wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    /** How many slots the caller has seen; with `wait`, the server answers at once when it has another count. */
    seen: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
  },
  { additionalProperties: false },
);
export const JoinMessage = Type.Object({ slot: JoinSlot, body: Type.String() });
export const JoinMessagesResponse = Type.Object({ messages: Type.Array(JoinMessage) });

// ---------------------------------------------------------------------------------------------
// v2 shared folders (§12): the server stores signed member-log links, wraps and sealed entries

export const FolderId = B64uBytes(16, 'random folder id, unpadded base64url');
const FolderLinkText = Type.String({
  minLength: 2,
  maxLength: LIMITS.maxCircleLinkBytes,
  description: 'canon JSON of one signed folder link (§12.2)',
});
export const FolderQuery = Type.Object({ folder: FolderId }, { additionalProperties: false });
export const FolderLinkPostBody = Type.Object(
  {
    folder: FolderId,
    /** seq of the head this link extends; -1 creates the folder. */
    expectedHead: Type.Integer({ minimum: -1 }),
    link: FolderLinkText,
  },
  { additionalProperties: false },
);
export const FolderLinksResponse = Type.Object({
  links: Type.Array(Type.String()),
  /** Emails of the accounts the server's copy of the log names (display only; §12.7). */
  emails: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export const SharingKeyQuery = Type.Object({ email: Email }, { additionalProperties: false });
export const SharingKeyResponse = Type.Object({
  account: AccountId,
  encPub: PublicKey,
  signPub: PublicKey,
});
export const FolderListResponse = Type.Object({
  folders: Type.Array(
    Type.Object({
      id: Type.String(),
      /** owner | editor | viewer, or invited:<role> while the invite is pending. */
      role: Type.String(),
      /** Email of the account whose link named this one last (the inviter, for a pending invite). */
      invitedBy: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export const FolderActivityPostBody = Type.Object(
  {
    folder: FolderId,
    blob: B64u(4096, 'activity event sealed under FK (§12.7)'),
    epoch: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export const FolderActivityQuery = Type.Object(
  { folder: FolderId, since: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
export const FolderActivityResponse = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.Integer(),
      account: Type.String(),
      epoch: Type.Integer(),
      blob: Type.String(),
      at: Type.Integer(),
    }),
  ),
});
export const FolderWrap = Type.Object(
  {
    account: AccountId,
    epoch: Type.Integer({ minimum: 1 }),
    wrapped: B64u(512, 'b64u(ephPub || XChaCha20-Poly1305(FK)) (§12.3)'),
  },
  { additionalProperties: false },
);
export const FolderWrapsPostBody = Type.Object(
  { folder: FolderId, wraps: Type.Array(FolderWrap, { minItems: 1, maxItems: 256 }) },
  { additionalProperties: false },
);
export const FolderWrapsResponse = Type.Object({ wraps: Type.Array(FolderWrap) });
export const FolderEntry = Type.Object(
  {
    id: Uuid,
    epoch: Type.Integer({ minimum: 1 }),
    blob: B64u(LIMITS.maxCiphertextChars, 'record sealed under FK (§12.4)'),
    /**
     * Compare-and-swap (§12.6): the entry version this write was based on, 0 when the writer saw
     * no such entry; the server refuses the write (409) when the stored version differs.
     */
    base: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export const FolderEntriesPostBody = Type.Object(
  { folder: FolderId, entries: Type.Array(FolderEntry, { minItems: 1, maxItems: LIMITS.maxItemsPerPush }) },
  { additionalProperties: false },
);
export const FolderEntriesPostResponse = Type.Object({ head: Type.Integer() });
export const FolderEntriesQuery = Type.Object(
  { folder: FolderId, since: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
export const FolderEntriesResponse = Type.Object({
  head: Type.Integer(),
  entries: Type.Array(
    Type.Object({ id: Type.String(), epoch: Type.Integer(), blob: Type.String(), version: Type.Integer() }),
  ),
});
