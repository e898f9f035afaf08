import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { generateCode, type OtpEntry } from '@tessera/otp';
import { fromB64u, toB64u } from '../bytes.js';

/** The longest window a link may cover; longer would turn a link into a standing credential. */
export const MAX_SHARE_MINUTES = 120;
const KEY_BYTES = 32;
const ID_BYTES = 16;
const NONCE_BYTES = 24;
const LABEL = 'tessera/v1/share';

/** A code and the second its time step starts (Unix seconds). */
export interface SharedCode {
  from: number;
  code: string;
}

/** What a link's page shows: labels, and the codes of the window, nothing else of the entry. */
export interface SharePayload {
  v: 1;
  issuer: string;
  account: string;
  period: number;
  /** Unix seconds; no code after it is in the payload. */
  expiresAt: number;
  codes: SharedCode[];
}

/** A share ready to upload: the id and sealed codes go to the server, the key only into the link. */
export interface Share {
  id: string;
  key: string;
  expiresAt: number;
  ciphertext: string;
}

/** A link that cannot be opened, with why (expired, altered, not a link). */
export class ShareError extends Error {
  override readonly name = 'ShareError';
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const aad = (id: string, expiresAt: number) => utf8(`${LABEL}|${id}|${expiresAt}`);

/**
 * Precomputes the codes of `entry` from `now` (Unix seconds) for `minutes`, and seals them.
 * HOTP codes are counted, not timed, so they cannot be shared as a window.
 */
export function makeShare(options: { entry: OtpEntry; minutes: number; now: number }): Share {
  const { entry, minutes, now } = options;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_SHARE_MINUTES)
    throw new ShareError(`minutes: must be 1 to ${MAX_SHARE_MINUTES}, got ${minutes}`);
  if (entry.type === 'hotp' || entry.period === null)
    throw new ShareError('HOTP codes are counted, not timed: they cannot be shared for a few minutes.');
  const period = entry.period;
  const expiresAt = Math.floor(now) + minutes * 60;
  const codes: SharedCode[] = [];
  for (let step = Math.floor(now / period); step * period < expiresAt; step++) {
    codes.push({ from: step * period, code: generateCode({ entry, time: step * period }) });
  }
  const payload: SharePayload = {
    v: 1,
    issuer: entry.issuer,
    account: entry.account,
    period,
    expiresAt,
    codes,
  };
  const id = toB64u(randomBytes(ID_BYTES));
  const key = randomBytes(KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = xchacha20poly1305(key, nonce, aad(id, expiresAt)).encrypt(utf8(JSON.stringify(payload)));
  const ciphertext = new Uint8Array(NONCE_BYTES + sealed.length);
  ciphertext.set(nonce);
  ciphertext.set(sealed, NONCE_BYTES);
  return { id, key: toB64u(key), expiresAt, ciphertext: toB64u(ciphertext) };
}

/** Opens what the server returned for a link; throws `ShareError` for any alteration. */
export function openShare(options: {
  id: string;
  key: string;
  ciphertext: string;
  expiresAt: number;
}): SharePayload {
  let plain: Uint8Array;
  try {
    const sealed = fromB64u(options.ciphertext, 'ciphertext');
    const key = fromB64u(options.key, 'key');
    if (key.length !== KEY_BYTES || sealed.length <= NONCE_BYTES) throw new Error('size');
    plain = xchacha20poly1305(
      key,
      sealed.subarray(0, NONCE_BYTES),
      aad(options.id, options.expiresAt),
    ).decrypt(sealed.subarray(NONCE_BYTES));
  } catch {
    throw new ShareError('This link does not open: it was altered, or its key is incomplete.');
  }
  const payload = JSON.parse(new TextDecoder().decode(plain)) as SharePayload;
  if (payload.v !== 1 || payload.expiresAt !== options.expiresAt || !Array.isArray(payload.codes))
    throw new ShareError('This link does not open: its codes are not in a known form.');
  return payload;
}

/** The code for `now` (Unix seconds) and the seconds it stays valid, or null once the window ended. */
export function currentShareCode(
  payload: SharePayload,
  now: number,
): { code: string; secondsLeft: number } | null {
  if (now >= payload.expiresAt) return null;
  const current = payload.codes.find((c) => c.from <= now && now < c.from + payload.period);
  return current
    ? { code: current.code, secondsLeft: current.from + payload.period - Math.floor(now) }
    : null;
}

/** `<server>/share.html#<id>.<key>`: the key stays in the fragment, which browsers never send. */
export function shareLink(server: string, share: Pick<Share, 'id' | 'key'>): string {
  return `${server.replace(/\/+$/, '')}/share.html#${share.id}.${share.key}`;
}

/** The id and key of a link's fragment (`#<id>.<key>`). */
export function parseShareLink(fragment: string): { id: string; key: string } {
  const match = /^#?([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(fragment.trim());
  if (!match)
    throw new ShareError('This is not a Tessera code link (its part after # is missing or cut short).');
  return { id: match[1]!, key: match[2]! };
}
