/**
 * Talking to one realm: JSON over HTTP(S), base64url bytes, answers checked against the realm key
 * pinned at setup (docs/PROTOCOL.md §11). Realms send open CORS headers, so browsers call them
 * directly.
 */
import { ed25519Verify, realmAnswerMessage, type RealmSignedStep } from '@tessera/protocol';
import { fromB64u, randomBytes, toB64u } from '../bytes.js';
import type { RealmOutcome } from './errors.js';

/** A realm as pinned in the circle: where it answers and the key its answers must carry. */
export interface RealmPin {
  url: string;
  realmId: string;
  /** Ed25519 public key, base64url. */
  publicKey: string;
}

export interface RealmTransport {
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export type RealmReply =
  { ok: true; json: Record<string, unknown> } | { ok: false; outcome: Omit<RealmOutcome, 'url' | 'realmId'> };

const DEFAULT_TIMEOUT_MS = 10_000;

/** Reads a realm's id and public key (to pin at setup; compare with what its operator publishes). */
export async function fetchRealmPin(url: string, transport: RealmTransport = {}): Promise<RealmPin> {
  const base = url.replace(/\/+$/, '');
  let json: Record<string, unknown>;
  try {
    const res = await (transport.fetch ?? fetch)(`${base}/v1/realm`, {
      signal: AbortSignal.timeout(transport.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`realm ${base} is unreachable or not a Tessera realm: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof json.realmId !== 'string' || typeof json.publicKey !== 'string')
    throw new Error(`realm ${base} answered /v1/realm without realmId and publicKey`);
  if (fromB64u(json.publicKey, `publicKey of realm ${base}`).length !== 32)
    throw new Error(`realm ${base}: publicKey is not an Ed25519 key`);
  return { url: base, realmId: json.realmId, publicKey: json.publicKey };
}

/** POSTs one step; network failures and error bodies become an outcome, never an exception. */
export async function post(
  realm: RealmPin,
  step: 'register1' | 'register2' | 'recover1' | 'recover2' | 'delete',
  body: Record<string, string>,
  transport: RealmTransport,
): Promise<RealmReply> {
  let res: Response;
  try {
    res = await (transport.fetch ?? fetch)(`${realm.url}/v1/realm/${step}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(transport.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (err) {
    return { ok: false, outcome: { kind: 'unreachable', detail: (err as Error).message } };
  }
  let json: Record<string, unknown>;
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    return { ok: false, outcome: { kind: 'unreachable', detail: `HTTP ${res.status}, not JSON` } };
  }
  if (res.ok) return { ok: true, json };
  const error = (json.error ?? {}) as { code?: string; message?: string; guessesLeft?: number };
  const detail = typeof error.message === 'string' ? error.message : `HTTP ${res.status}`;
  if (error.code === 'pin-incorrect')
    return {
      ok: false,
      outcome: {
        kind: 'wrong-pin',
        detail,
        ...(typeof error.guessesLeft === 'number' ? { guessesLeft: error.guessesLeft } : {}),
      },
    };
  if (error.code === 'realm-record-destroyed') return { ok: false, outcome: { kind: 'destroyed', detail } };
  if (error.code === 'realm-record-deleted') return { ok: false, outcome: { kind: 'deleted', detail } };
  if (error.code === 'realm-no-record') return { ok: false, outcome: { kind: 'no-record', detail } };
  return { ok: false, outcome: { kind: 'refused', detail } };
}

/**
 * The payload of a signed answer, or null when it is not from the pinned realm key, for another
 * record, or not an answer to this nonce (replayed).
 */
export async function verifiedPayload(o: {
  json: Record<string, unknown>;
  realm: RealmPin;
  step: RealmSignedStep;
  record: string;
  nonce: Uint8Array;
}): Promise<Uint8Array | null> {
  const { json, realm } = o;
  if (json.realmId !== realm.realmId || json.record !== o.record) return null;
  if (
    typeof json.payload !== 'string' ||
    typeof json.signature !== 'string' ||
    json.nonce !== toB64u(o.nonce)
  )
    return null;
  try {
    const payload = fromB64u(json.payload, 'payload');
    const message = realmAnswerMessage({
      step: o.step,
      realmId: realm.realmId,
      record: o.record,
      nonce: o.nonce,
      payload,
    });
    const signature = fromB64u(json.signature, 'signature');
    // The one Ed25519 rule of Tessera (ZIP-215, OpenSSL first on Node), as for circle links: a realm
    // answer some platform's check took and another refused would recover on one device and not on
    // the next.
    const publicKey = fromB64u(realm.publicKey, 'publicKey');
    return ed25519Verify({ publicKey, message, signature }) ? payload : null;
  } catch {
    return null;
  }
}

export const newNonce = () => randomBytes(32);
