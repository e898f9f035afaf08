/**
 * The route table of docs/PROTOCOL.md §4: method, path, who may call it and its schemas. The server
 * registers exactly these; clients can type their calls with `Static<(typeof ROUTES)[name]['body']>`.
 */
import type { TSchema } from 'typebox';
import * as S from './schemas.js';

/** `none` = no session; `pending` = any device of the account (P); `trusted` = trusted devices only (T). */
export type Auth = 'none' | 'pending' | 'trusted';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  auth: Auth;
  summary: string;
  body?: TSchema;
  querystring?: TSchema;
  /** Success status and body schema (`S.Empty` for 204). */
  status: 200 | 204;
  response?: TSchema;
}

const route = <T extends RouteSpec>(spec: T): T => spec;

export const ROUTES = {
  meta: route({
    method: 'GET',
    url: '/v1/meta',
    auth: 'none',
    status: 200,
    summary: 'Server version, minimum client version, OPAQUE public keys, time',
    response: S.MetaResponse,
  }),
  registerStart: route({
    method: 'POST',
    url: '/v1/accounts/register/start',
    auth: 'none',
    status: 200,
    summary: 'OPAQUE registration, step 1',
    body: S.RegisterStartBody,
    response: S.RegisterStartResponse,
  }),
  registerFinish: route({
    method: 'POST',
    url: '/v1/accounts/register/finish',
    auth: 'none',
    status: 200,
    summary: 'OPAQUE registration, step 2: creates the account and its first (pending) device',
    body: S.RegisterFinishBody,
    response: S.RegisterFinishResponse,
  }),
  loginStart: route({
    method: 'POST',
    url: '/v1/sessions/start',
    auth: 'none',
    status: 200,
    summary: 'OPAQUE sign-in, step 1 (an unknown email answers like a known one)',
    body: S.LoginStartBody,
    response: S.LoginStartResponse,
  }),
  loginFinish: route({
    method: 'POST',
    url: '/v1/sessions/finish',
    auth: 'none',
    status: 200,
    summary: 'OPAQUE sign-in, step 2: a session for a new (pending) device or an existing one',
    body: S.LoginFinishBody,
    response: S.LoginFinishResponse,
  }),
  logout: route({
    method: 'DELETE',
    url: '/v1/sessions/current',
    auth: 'pending',
    status: 204,
    summary: 'Ends this session',
    response: S.Empty,
  }),
  deleteAccount: route({
    method: 'DELETE',
    url: '/v1/accounts/current',
    auth: 'trusted',
    status: 204,
    summary: 'Deletes the account and everything it holds, escrow included',
    response: S.Empty,
  }),
  passwordStart: route({
    method: 'POST',
    url: '/v1/accounts/password/start',
    auth: 'trusted',
    status: 200,
    summary:
      'Password change (§10.4), step 1: an OPAQUE sign-in with the current password and a registration of the new one',
    body: S.PasswordStartBody,
    response: S.PasswordStartResponse,
  }),
  passwordFinish: route({
    method: 'POST',
    url: '/v1/accounts/password/finish',
    auth: 'trusted',
    status: 204,
    summary:
      'Password change, step 2: proves the current password, replaces the record, revokes every other session and evicts pending devices',
    body: S.PasswordFinishBody,
    response: S.Empty,
  }),
  lockAccount: route({
    method: 'POST',
    url: '/v1/accounts/lock',
    auth: 'trusted',
    status: 204,
    summary:
      "Kill switch (§10): revokes every session of the account, the caller's too, and evicts every pending device",
    response: S.Empty,
  }),
  devices: route({
    method: 'GET',
    url: '/v1/devices',
    auth: 'pending',
    status: 200,
    summary: 'Devices of the account',
    response: S.DevicesResponse,
  }),
  evictDevice: route({
    method: 'POST',
    url: '/v1/devices/evict',
    auth: 'trusted',
    status: 204,
    summary: 'Evicts a pending device (§10): its join request ends and its sessions stop working',
    body: S.EvictDeviceBody,
    response: S.Empty,
  }),
  circle: route({
    method: 'GET',
    url: '/v1/circle',
    auth: 'pending',
    status: 200,
    summary: 'Circle links after `since`, and the head',
    querystring: S.CircleQuery,
    response: S.CircleResponse,
  }),
  circlePost: route({
    method: 'POST',
    url: '/v1/circle',
    auth: 'pending',
    status: 200,
    summary: 'Appends a circle link (compare-and-swap on the head) with VK wraps',
    body: S.CirclePostBody,
    response: S.CirclePostResponse,
  }),
  keys: route({
    method: 'GET',
    url: '/v1/keys',
    auth: 'pending',
    status: 200,
    summary: 'VK wraps for this device, `recovery` or `escrow`',
    querystring: S.KeysQuery,
    response: S.KeysResponse,
  }),
  escrowRegisterStart: route({
    method: 'POST',
    url: '/v1/escrow/register/start',
    auth: 'trusted',
    status: 200,
    summary: 'PIN registration with the escrow, step 1',
    body: S.EscrowRegisterStartBody,
    response: S.EscrowRegisterStartResponse,
  }),
  escrowRegisterFinish: route({
    method: 'POST',
    url: '/v1/escrow/register/finish',
    auth: 'trusted',
    status: 204,
    summary: 'PIN registration with the escrow, step 2: sets or replaces the PIN and EK',
    body: S.EscrowRegisterFinishBody,
    response: S.Empty,
  }),
  escrowLoginStart: route({
    method: 'POST',
    url: '/v1/escrow/login/start',
    auth: 'pending',
    status: 200,
    summary: 'PIN proof, step 1; counts as a failed attempt until finished',
    body: S.EscrowLoginStartBody,
    response: S.EscrowLoginStartResponse,
  }),
  escrowLoginFinish: route({
    method: 'POST',
    url: '/v1/escrow/login/finish',
    auth: 'pending',
    status: 200,
    summary: 'PIN proof, step 2: releases EK sealed under the OPAQUE session key',
    body: S.EscrowLoginFinishBody,
    response: S.EscrowLoginFinishResponse,
  }),
  realmPinReport: route({
    method: 'POST',
    url: '/v1/escrow/realm-report',
    auth: 'pending',
    status: 204,
    summary:
      'A device tells the account what the escrow realms answered to its PIN (wrong, destroyed): realms know no accounts, so the notice is self-reported (§11)',
    body: S.RealmPinReportBody,
    response: S.Empty,
  }),
  escrowStatus: route({
    method: 'GET',
    url: '/v1/escrow/status',
    auth: 'pending',
    status: 200,
    summary: 'Whether a PIN is set, attempts left, destroyed',
    response: S.EscrowStatusResponse,
  }),
  items: route({
    method: 'GET',
    url: '/v1/items',
    // A pending device may read the ciphertexts (never write them): a restoring device pulls them
    // while its join runs (PROTOCOL §5 "Sync", SECURITY.md "What a pending session reads").
    auth: 'pending',
    status: 200,
    summary: 'Items changed since a version, in version order (pending devices may read)',
    querystring: S.ItemsQuery,
    response: S.ItemsResponse,
  }),
  push: route({
    method: 'POST',
    url: '/v1/items',
    auth: 'trusted',
    status: 200,
    summary: 'Pushes items, each compared-and-swapped on its base version; all or nothing',
    body: S.PushBody,
    response: S.PushResponse,
  }),
  notices: route({
    method: 'GET',
    url: '/v1/notices',
    auth: 'pending',
    status: 200,
    summary: 'Notices after `since`',
    querystring: S.NoticesQuery,
    response: S.NoticesResponse,
  }),
  noticePost: route({
    method: 'POST',
    url: '/v1/notices',
    auth: 'trusted',
    status: 200,
    summary: 'Posts a client notice (backup-mismatch) to every device',
    body: S.NoticePostBody,
    response: S.NoticePostResponse,
  }),
  feed: route({
    method: 'GET',
    url: '/v1/feed',
    auth: 'pending',
    status: 200,
    summary: 'Server-sent events: items, circle, notice, devices; Last-Event-ID resumes',
    querystring: S.FeedQuery,
  }),
  // v2 shared codes: time-limited code links (§9)
  sharePost: route({
    method: 'POST',
    url: '/v1/shares',
    auth: 'trusted',
    status: 200,
    summary: 'Stores the sealed codes of a time-limited code link until its window ends',
    body: S.SharePostBody,
    response: S.SharePostResponse,
  }),
  shareGet: route({
    method: 'GET',
    url: '/v1/shares',
    auth: 'none',
    status: 200,
    summary: "A code link's sealed codes (the key is in the link's fragment, never sent); 410 once expired",
    querystring: S.ShareQuery,
    response: S.ShareResponse,
  }),
  shareDelete: route({
    method: 'DELETE',
    url: '/v1/shares',
    auth: 'trusted',
    status: 204,
    summary: 'Withdraws a code link of this account before its window ends',
    querystring: S.ShareQuery,
  }),
  // v2 shared folders (§12): members verify everything; the server keeps order and access
  folderLinkPost: route({
    method: 'POST',
    url: '/v1/folders/links',
    auth: 'trusted',
    status: 204,
    summary:
      'Appends one signed link to a folder member log if its head is still expectedHead (409 otherwise)',
    body: S.FolderLinkPostBody,
  }),
  folderLinks: route({
    method: 'GET',
    url: '/v1/folders/links',
    auth: 'trusted',
    status: 200,
    summary: 'The whole member log of a folder this account is (or is invited to be) a member of',
    querystring: S.FolderQuery,
    response: S.FolderLinksResponse,
  }),
  folderWrapsPost: route({
    method: 'POST',
    url: '/v1/folders/wraps',
    auth: 'trusted',
    status: 204,
    summary: 'Stores folder keys wrapped to members (each checked by its member against the log)',
    body: S.FolderWrapsPostBody,
  }),
  folderWraps: route({
    method: 'GET',
    url: '/v1/folders/wraps',
    auth: 'trusted',
    status: 200,
    summary: "This account's wrapped folder keys of a folder, every epoch",
    querystring: S.FolderQuery,
    response: S.FolderWrapsResponse,
  }),
  folderEntriesPost: route({
    method: 'POST',
    url: '/v1/folders/entries',
    auth: 'trusted',
    status: 200,
    summary: 'Writes sealed entries of a folder; returns the new entry head',
    body: S.FolderEntriesPostBody,
    response: S.FolderEntriesPostResponse,
  }),
  folderEntries: route({
    method: 'GET',
    url: '/v1/folders/entries',
    auth: 'trusted',
    status: 200,
    summary: 'Sealed entries of a folder written after version `since`',
    querystring: S.FolderEntriesQuery,
    response: S.FolderEntriesResponse,
  }),
  folders: route({
    method: 'GET',
    url: '/v1/folders',
    auth: 'trusted',
    status: 200,
    summary: 'The folders this account is named in (member or pending invite), with its role',
    response: S.FolderListResponse,
  }),
  folderDelete: route({
    method: 'DELETE',
    url: '/v1/folders',
    auth: 'trusted',
    status: 204,
    summary: 'Deletes a folder with its log, wraps, entries and activity (owners only)',
    querystring: S.FolderQuery,
  }),
  sharingKey: route({
    method: 'GET',
    url: '/v1/folders/sharing-key',
    auth: 'trusted',
    status: 200,
    summary:
      "Another account's sharing public key, from its circle (unverified: the safety number checks it)",
    querystring: S.SharingKeyQuery,
    response: S.SharingKeyResponse,
  }),
  folderActivityPost: route({
    method: 'POST',
    url: '/v1/folders/activity',
    auth: 'trusted',
    status: 204,
    summary: 'Appends one sealed, self-reported activity event (code revealed or copied) of a member',
    body: S.FolderActivityPostBody,
  }),
  folderActivity: route({
    method: 'GET',
    url: '/v1/folders/activity',
    auth: 'trusted',
    status: 200,
    summary: 'Sealed activity events of a folder after id `since` (owners only)',
    querystring: S.FolderActivityQuery,
    response: S.FolderActivityResponse,
  }),
  // v2 approval by CPace (§1.3): the server relays opaque messages, keyed by the pending device
  joinMessagePost: route({
    method: 'POST',
    url: '/v1/join',
    auth: 'pending',
    status: 204,
    summary:
      'Writes one slot of a join attempt (a, confirm-a: the pending device itself; b, sealed: a trusted device; fail: either); each slot once',
    body: S.JoinMessagePostBody,
  }),
  joinMessages: route({
    method: 'GET',
    url: '/v1/join',
    auth: 'pending',
    status: 200,
    summary:
      'The slots written so far of a join attempt (the pending device itself or a trusted device); with `wait` and `seen`, held until there is news (long polling)',
    querystring: S.JoinMessagesQuery,
    response: S.JoinMessagesResponse,
  }),
} as const;

export type RouteName = keyof typeof ROUTES;
