/**
 * Escrow realm core (issue 12, first slice): the guess-counting state machine of one realm,
 * after Juicebox's design (juicebox-sdk, "Protocol" description): the realm holds a per-record
 * OPRF key, one secret share and a commitment to the PIN; every OPRF evaluation counts as a guess,
 * a correct commitment resets the count and releases the share, and the record (share + OPRF key)
 * is dropped once the guess budget is spent. Answers are signed with the realm key over
 * (realm id, account, client nonce, payload) so a realm answering for another account, or a
 * replayed answer, is refused by the client (see verifyRealmAnswer).
 *
 * In-memory only; the HTTP service, stores and clients are not built yet (see docs/PROTOCOL.md §11).
 */
import { ed25519, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Wrong guesses after which a realm deletes the record (issue 12: 10). */
export const REALM_MAX_GUESSES = 10;

interface RealmRecord {
  oprfKey: Uint8Array;
  share: Uint8Array;
  commitment: Uint8Array;
  guesses: number;
}

/** A signed realm answer, bound to realm, account and the client's nonce. */
export interface RealmAnswer {
  realmId: string;
  account: string;
  nonce: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

const enc = new TextEncoder();

function transcript(o: {
  realmId: string;
  account: string;
  nonce: Uint8Array;
  payload: Uint8Array;
}): Uint8Array {
  const parts = [
    enc.encode('tessera-realm-answer-v1'),
    enc.encode(o.realmId),
    enc.encode(o.account),
    o.nonce,
    o.payload,
  ];
  // Length-prefix every part so no two distinct tuples share a transcript.
  const out: number[] = [];
  for (const p of parts) {
    out.push((p.length >>> 24) & 255, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255, ...p);
  }
  return sha256(Uint8Array.from(out));
}

/** One realm: its signing key and records by account. */
export class RealmCore {
  readonly realmId: string;
  readonly publicKey: Uint8Array;
  private readonly secretKey: Uint8Array;
  private readonly records = new Map<string, RealmRecord>();

  /** @param o.realmId stable realm name pinned in the circle; o.secretKey optional ed25519 seed. */
  constructor(o: { realmId: string; secretKey?: Uint8Array }) {
    this.realmId = o.realmId;
    this.secretKey = o.secretKey ?? ed25519.utils.randomSecretKey();
    this.publicKey = ed25519.getPublicKey(this.secretKey);
  }

  private answer(o: { account: string; nonce: Uint8Array; payload: Uint8Array }): RealmAnswer {
    if (o.nonce.length !== 32) throw new Error('realm: client nonce must be 32 bytes');
    const signature = ed25519.sign(transcript({ realmId: this.realmId, ...o }), this.secretKey);
    return { realmId: this.realmId, account: o.account, nonce: o.nonce, payload: o.payload, signature };
  }

  /** Stores a fresh record: generates the OPRF key, keeps share and commitment. */
  register1(o: { account: string; nonce: Uint8Array; blinded: Uint8Array }): RealmAnswer {
    const oprfKey = ristretto255_oprf.oprf.generateKeyPair().secretKey;
    const evaluated = ristretto255_oprf.oprf.blindEvaluate(oprfKey, o.blinded);
    this.records.set(o.account, {
      oprfKey,
      share: new Uint8Array(),
      commitment: new Uint8Array(),
      guesses: 0,
    });
    return this.answer({ account: o.account, nonce: o.nonce, payload: evaluated });
  }

  /** Completes registration with the share and the commitment derived from the OPRF output. */
  register2(o: { account: string; share: Uint8Array; commitment: Uint8Array }): void {
    const r = this.records.get(o.account);
    if (!r) throw new Error('realm: no registration in progress for this account');
    if (o.commitment.length !== 32) throw new Error('realm: commitment must be 32 bytes');
    r.share = Uint8Array.from(o.share);
    r.commitment = Uint8Array.from(o.commitment);
    r.guesses = 0;
  }

  /** Evaluates a guess; counted before answering, so parallel guesses are each counted. */
  recover1(o: { account: string; nonce: Uint8Array; blinded: Uint8Array }): RealmAnswer {
    const r = this.records.get(o.account);
    if (!r || r.commitment.length === 0) throw new Error('realm: no PIN record for this account');
    r.guesses += 1;
    const evaluated = ristretto255_oprf.oprf.blindEvaluate(r.oprfKey, o.blinded);
    if (r.guesses >= REALM_MAX_GUESSES) this.destroy(o.account);
    return this.answer({ account: o.account, nonce: o.nonce, payload: evaluated });
  }

  /** Checks the commitment; on match resets the count and releases the share. */
  recover2(o: { account: string; nonce: Uint8Array; commitment: Uint8Array }): RealmAnswer {
    const r = this.records.get(o.account);
    if (!r) throw new Error('realm: no PIN record for this account');
    if (o.commitment.length !== 32 || !timingSafeEqual(o.commitment, r.commitment)) {
      throw new Error('realm: wrong PIN');
    }
    r.guesses = 0;
    return this.answer({ account: o.account, nonce: o.nonce, payload: r.share });
  }

  /** Remaining guesses, or 0 when the record is gone. */
  guessesLeft(o: { account: string }): number {
    const r = this.records.get(o.account);
    return r ? REALM_MAX_GUESSES - r.guesses : 0;
  }

  private destroy(account: string): void {
    const r = this.records.get(account);
    if (r) {
      r.oprfKey.fill(0);
      r.share.fill(0);
      r.commitment.fill(0);
    }
    this.records.delete(account);
  }
}

/** Client side: accepts an answer only if signed by the pinned realm key for this account and nonce. */
export function verifyRealmAnswer(o: {
  answer: RealmAnswer;
  realmId: string;
  realmPublicKey: Uint8Array;
  account: string;
  nonce: Uint8Array;
}): Uint8Array {
  const a = o.answer;
  if (a.realmId !== o.realmId)
    throw new Error(`realm answer: from realm ${a.realmId}, expected ${o.realmId}`);
  if (a.account !== o.account) throw new Error('realm answer: for another account');
  if (a.nonce.length !== o.nonce.length || !timingSafeEqual(a.nonce, o.nonce)) {
    throw new Error('realm answer: nonce mismatch (replayed answer)');
  }
  const msg = transcript({ realmId: o.realmId, account: o.account, nonce: o.nonce, payload: a.payload });
  if (!ed25519.verify(a.signature, msg, o.realmPublicKey)) throw new Error('realm answer: bad signature');
  return a.payload;
}

/** Fresh 32-byte client nonce. */
export function realmNonce(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}
