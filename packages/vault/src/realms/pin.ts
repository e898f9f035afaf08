/**
 * A PIN over n escrow realms with threshold t (docs/PROTOCOL.md §11).
 *
 * Register: the unlock secret S and a random unlock key K are each split t-of-n. Realm i evaluates
 * the PIN under its own OPRF key (y_i) and keeps: K's share masked with y_i, a commitment derived
 * from K, and S's share. Recover: every realm counts a guess and returns its masked K share; t of them,
 * unmasked with the PIN's evaluations, give K; the commitments derived from K release t shares of S.
 * So a PIN guess can only be checked with the help of t realms, each of which counts it.
 */
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { fromB64u, randomBytes, toB64u } from '../bytes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { commitment, deleteToken, maskShare, oprfInput, secretCheck, unlockCheck } from './derive.js';
import { describeOutcomes, RealmError, type RealmOutcome } from './errors.js';
import { combineChecked, splitT } from './threshold.js';
import {
  newNonce,
  post,
  verifiedPayload,
  type RealmPin,
  type RealmReply,
  type RealmTransport,
} from './wire.js';

/** What to pin (in the signed circle): the realms, the threshold, the record and two checks. */
export interface RealmSetup {
  v: 1;
  /** Random id of this PIN's records at every realm (one per registration). */
  record: string;
  threshold: number;
  realms: RealmPin[];
  /** HKDF(K), base64url: tells a right K from a wrong one without asking a realm. */
  unlockCheck: string;
  /** HKDF(S), base64url: tells a right S from one built with a lying realm's share. */
  secretCheck: string;
}

export const MAX_REALMS = 16;
const oprf = ristretto255_oprf.oprf;
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function checkRealms(realms: RealmPin[], threshold: number): void {
  if (!Array.isArray(realms) || realms.length === 0 || realms.length > MAX_REALMS)
    throw new RealmError('invalid', `realms: give 1 to ${MAX_REALMS} realms, got ${realms?.length ?? 0}`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > realms.length)
    throw new RealmError('invalid', `threshold: must be 1 to ${realms.length}, got ${threshold}`);
  for (const [key, label] of [
    ['realmId', 'realm id'],
    ['url', 'URL'],
  ] as const) {
    const seen = new Set(realms.map((r) => r[key]));
    if (seen.size !== realms.length)
      throw new RealmError('invalid', `realms: the same ${label} appears twice`);
  }
  for (const r of realms) {
    let key: Uint8Array;
    try {
      key = fromB64u(r.publicKey, 'publicKey');
    } catch {
      key = new Uint8Array();
    }
    if (key.length !== 32)
      throw new RealmError('invalid', `realm ${r.realmId}: publicKey is not an Ed25519 key`);
  }
}

const B64U = /^[A-Za-z0-9_-]+$/;

/**
 * A realm setup read from somewhere untrusted (a circle link): the shape, the realms and the
 * threshold checked, every field named in the error.
 */
export function checkRealmSetup(value: unknown): RealmSetup {
  const v = value as Partial<RealmSetup> | null;
  const bad = (why: string) => new RealmError('invalid', `realm setup: ${why}`);
  if (!v || typeof v !== 'object' || v.v !== 1) throw bad('not a realm PIN setup (v 1)');
  for (const key of ['record', 'unlockCheck', 'secretCheck'] as const) {
    const field = v[key];
    if (typeof field !== 'string' || !B64U.test(field) || field.length > 128)
      throw bad(`${key} must be base64url`);
  }
  if (!Array.isArray(v.realms)) throw bad('realms must be a list');
  const realms = v.realms.map((r, i) => {
    if (!r || typeof r !== 'object') throw bad(`realms[${i}] is not a realm`);
    const { url, realmId, publicKey } = r;
    if (typeof url !== 'string' || url.length > 2048) throw bad(`realms[${i}].url must be a URL`);
    if (typeof realmId !== 'string' || realmId.length > 64)
      throw bad(`realms[${i}].realmId is not a realm id`);
    if (typeof publicKey !== 'string') throw bad(`realms[${i}].publicKey is not a key`);
    return { url, realmId, publicKey };
  });
  checkRealms(realms, v.threshold as number);
  return {
    v: 1,
    record: v.record!,
    threshold: v.threshold!,
    realms,
    unlockCheck: v.unlockCheck!,
    secretCheck: v.secretCheck!,
  };
}

function checkPin(pin: string): void {
  if (typeof pin !== 'string' || pin.length === 0) throw new RealmError('invalid', 'pin: must not be empty');
}

/**
 * Registers `pin` at every realm; all n must accept. Returns the setup to pin and the unlock secret
 * (the one given, or 32 fresh random bytes). On failure nothing usable exists: the records some
 * realms may hold carry a random id nobody will use.
 */
export async function registerRealmPin(o: {
  realms: RealmPin[];
  threshold: number;
  pin: string;
  secret?: Uint8Array;
  /**
   * Derives each realm's delete token (`deleteRealmPin`); 32 bytes the owner keeps. Default: random,
   * so only 10 wrong guesses ever delete the records.
   */
  deleteKey?: Uint8Array;
  transport?: RealmTransport;
}): Promise<{ setup: RealmSetup; secret: Uint8Array }> {
  checkRealms(o.realms, o.threshold);
  checkPin(o.pin);
  const secret = o.secret ?? randomBytes(32);
  if (secret.length < 16 || secret.length > 64)
    throw new RealmError('invalid', `secret: must be 16 to 64 bytes, got ${secret.length}`);
  const transport = o.transport ?? {};
  const deleteKey = o.deleteKey ?? randomBytes(32);
  const record = toB64u(randomBytes(16));
  const n = o.realms.length;
  const k = randomBytes(32);
  const [sShares, kShares] = await Promise.all([splitT(secret, n, o.threshold), splitT(k, n, o.threshold)]);
  const input = oprfInput(record, o.pin);
  const outcomes: RealmOutcome[] = await Promise.all(
    o.realms.map(async (realm, i): Promise<RealmOutcome> => {
      const base = { url: realm.url, realmId: realm.realmId };
      const { blind, blinded } = oprf.blind(input);
      const nonce = newNonce();
      const r1 = await post(
        realm,
        'register1',
        { record, nonce: toB64u(nonce), blinded: toB64u(blinded) },
        transport,
      );
      if (!r1.ok) return { ...base, ...r1.outcome };
      const evaluated = await verifiedPayload({ json: r1.json, realm, step: 'register1', record, nonce });
      if (!evaluated) return { ...base, kind: 'forged', detail: 'register1 answer fails the pinned key' };
      const y = oprf.finalize(input, blind, evaluated);
      const r2 = await post(
        realm,
        'register2',
        {
          record,
          nonce: toB64u(nonce),
          commitment: toB64u(commitment(k, realm.realmId, record)),
          masked: toB64u(maskShare(y, realm.realmId, record, kShares[i]!)),
          share: toB64u(sShares[i]!),
          deleteHash: toB64u(sha256(deleteToken(deleteKey, realm.realmId, record))),
        },
        transport,
      );
      return r2.ok ? { ...base, kind: 'ok' } : { ...base, ...r2.outcome };
    }),
  );
  if (outcomes.some((x) => x.kind !== 'ok'))
    throw new RealmError(
      'register-failed',
      `the PIN could not be set at every realm: ${describeOutcomes(outcomes)}`,
      outcomes,
    );
  return {
    setup: {
      v: 1,
      record,
      threshold: o.threshold,
      realms: o.realms.map(({ url, realmId, publicKey }) => ({ url, realmId, publicKey })),
      unlockCheck: toB64u(unlockCheck(k, record)),
      secretCheck: toB64u(secretCheck(secret, record)),
    },
    secret,
  };
}

/**
 * Recovers the unlock secret with `pin`: asks every realm in parallel (each counts the guess),
 * needs `threshold` honest answers. Returns the secret and how each realm answered (a realm that is
 * down or answered falsely is reported there even when recovery succeeds).
 */
export async function recoverRealmPin(o: {
  setup: RealmSetup;
  pin: string;
  transport?: RealmTransport;
}): Promise<{ secret: Uint8Array; realms: RealmOutcome[] }> {
  const { setup } = o;
  if (setup?.v !== 1 || typeof setup.record !== 'string')
    throw new RealmError('invalid', 'setup: not a realm PIN setup (v 1)');
  checkRealms(setup.realms, setup.threshold);
  checkPin(o.pin);
  const transport = o.transport ?? {};
  const { record, threshold: t } = setup;
  const input = oprfInput(record, o.pin);

  // Step 1: one counted guess at every realm. Each realm's request leaves before the next realm's
  // input is blinded (a blind is ~1.5 ms of CPU), so the first realm starts working while the client
  // still blinds for the others, rather than after all n blinds.
  let turn: Promise<void> = Promise.resolve();
  const step1 = await Promise.all(
    setup.realms.map(async (realm) => {
      const base = { url: realm.url, realmId: realm.realmId };
      const mine = turn;
      let sent!: () => void;
      turn = new Promise((resolve) => (sent = resolve));
      await mine;
      const nonce = newNonce();
      let blind: Uint8Array;
      let reply: Promise<RealmReply>;
      try {
        const blinding = oprf.blind(input);
        blind = blinding.blind;
        reply = post(
          realm,
          'recover1',
          { record, nonce: toB64u(nonce), blinded: toB64u(blinding.blinded) },
          transport,
        );
      } finally {
        // The next realm's turn comes even should this one's blind fail.
        void afterWrites().then(sent);
      }
      const r = await reply;
      if (!r.ok) return { realm, outcome: { ...base, ...r.outcome } as RealmOutcome };
      const payload = await verifiedPayload({ json: r.json, realm, step: 'recover1', record, nonce });
      let kShare: Uint8Array | null = null;
      if (payload && payload.length > 32) {
        try {
          const y = oprf.finalize(input, blind, payload.subarray(0, 32));
          kShare = maskShare(y, realm.realmId, record, payload.subarray(32));
        } catch {
          kShare = null;
        }
      }
      if (!kShare)
        return {
          realm,
          outcome: {
            ...base,
            kind: 'forged',
            detail: 'recover1 answer fails the pinned key, record or nonce',
          } as RealmOutcome,
        };
      const guessesLeft = typeof r.json.guessesLeft === 'number' ? r.json.guessesLeft : undefined;
      return {
        realm,
        kShare,
        outcome: {
          ...base,
          kind: 'ok',
          ...(guessesLeft !== undefined ? { guessesLeft } : {}),
        } as RealmOutcome,
      };
    }),
  );
  const answered = step1.filter((s): s is typeof s & { kShare: Uint8Array } => s.kShare !== undefined);
  const outcomes = new Map(step1.map((s) => [s.realm.realmId, s.outcome]));
  const report = () => setup.realms.map((r) => outcomes.get(r.realmId)!);
  const fail = () => failure(report(), t);
  if (answered.length < t) throw fail();

  const expected = fromB64u(setup.unlockCheck, 'setup.unlockCheck');
  const found = await combineChecked(
    answered.map((a) => a.kShare),
    t,
    (k) => same(unlockCheck(k, record), expected),
  );
  // Wrong PIN: still send a commitment, so every realm learns the guess was wrong (and deletes the
  // record once the budget is spent) and says how many guesses are left.
  const k = found?.value ?? randomBytes(32);

  // Step 2: the commitment releases each realm's share of S (and resets its count).
  const step2 = await Promise.all(
    answered.map(async ({ realm, outcome: first }) => {
      const base = { url: realm.url, realmId: realm.realmId };
      const nonce = newNonce();
      const r = await post(
        realm,
        'recover2',
        { record, nonce: toB64u(nonce), commitment: toB64u(commitment(k, realm.realmId, record)) },
        transport,
      );
      if (!r.ok) {
        // The guess that spent the last attempt: deleted now, but the news is "wrong PIN, none left".
        const lastGuess = r.outcome.kind === 'destroyed' && first.guessesLeft === 0;
        outcomes.set(
          realm.realmId,
          lastGuess
            ? { ...base, kind: 'wrong-pin', guessesLeft: 0, detail: r.outcome.detail }
            : { ...base, ...r.outcome },
        );
        return null;
      }
      const share = await verifiedPayload({ json: r.json, realm, step: 'recover2', record, nonce });
      if (!share)
        outcomes.set(realm.realmId, {
          ...base,
          kind: 'forged',
          detail: 'recover2 answer fails the pinned key',
        });
      else outcomes.set(realm.realmId, { ...base, kind: 'ok' });
      return share;
    }),
  );
  if (!found) throw fail();
  const shares = step2.filter((s): s is Uint8Array => s !== null);
  const expectedS = fromB64u(setup.secretCheck, 'setup.secretCheck');
  const secret =
    shares.length >= t
      ? await combineChecked(shares, t, (s) => same(secretCheck(s, record), expectedS))
      : null;
  if (!secret) throw fail();
  return { secret: secret.value, realms: report() };
}

/**
 * Deletes this PIN's record at every realm (the PIN was replaced or turned off), in parallel. A realm
 * that is down keeps its record until asked again; the outcomes say which.
 */
export async function deleteRealmPin(o: {
  setup: RealmSetup;
  deleteKey: Uint8Array;
  transport?: RealmTransport;
}): Promise<RealmOutcome[]> {
  const { setup } = o;
  const transport = o.transport ?? {};
  return Promise.all(
    setup.realms.map(async (realm): Promise<RealmOutcome> => {
      const base = { url: realm.url, realmId: realm.realmId };
      const token = deleteToken(o.deleteKey, realm.realmId, setup.record);
      const r = await post(realm, 'delete', { record: setup.record, token: toB64u(token) }, transport);
      if (r.ok) return { ...base, kind: 'ok' };
      // Gone already is what was asked for.
      if (['destroyed', 'deleted', 'no-record'].includes(r.outcome.kind)) return { ...base, kind: 'ok' };
      return { ...base, ...r.outcome };
    }),
  );
}

/**
 * Resolves once the requests started before it were handed to the network: on Node, whose `fetch`
 * writes a request on a kept-alive connection from an Immediate of its own, after the next two
 * Immediates (whatever event-loop phase this is called in); elsewhere after a task (`setTimeout`).
 */
function afterWrites(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(() => setImmediate(resolve));
    else setTimeout(resolve, 0);
  });
}

/** The one error that best explains why fewer than t realms helped. */
function failure(realms: RealmOutcome[], t: number): RealmError {
  const n = realms.length;
  const count = (kind: RealmOutcome['kind']) => realms.filter((r) => r.kind === kind).length;
  const wrong = realms.filter((r) => r.kind === 'wrong-pin');
  const gone = count('destroyed') + count('no-record') + count('deleted');
  if (count('deleted') > 0 && gone > n - t)
    return new RealmError(
      'replaced',
      `${gone} of ${n} realms no longer hold this PIN's record because its owner deleted it (the PIN was replaced or turned off), and ${t} are needed`,
      realms,
    );
  if (gone > n - t)
    return new RealmError(
      'destroyed',
      `${gone} of ${n} realms no longer hold this PIN's record (deleted after too many wrong guesses), and ${t} are needed: the PIN cannot unlock this keychain any more`,
      realms,
    );
  if (wrong.length > 0 && wrong.length + count('ok') >= t) {
    const guessesLeft = Math.min(...wrong.map((r) => r.guessesLeft ?? 0));
    return new RealmError(
      'wrong-pin',
      `wrong PIN: ${guessesLeft} ${guessesLeft === 1 ? 'guess' : 'guesses'} left before the realms delete it`,
      realms,
      guessesLeft,
    );
  }
  return new RealmError(
    'not-enough-realms',
    `only ${count('ok')} of ${n} realms answered correctly and ${t} are needed: ${describeOutcomes(realms)}`,
    realms,
  );
}
