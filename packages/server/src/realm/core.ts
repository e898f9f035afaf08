/**
 * The guess-counting state machine of one realm (docs/PROTOCOL.md §11), after Juicebox's design:
 * per record the realm holds its own OPRF key, the client's masked unlock-key share, a commitment and
 * one share of the unlock secret. `recover1` counts a guess before it answers (one SQL statement, so
 * parallel guesses are each counted, in any number of processes); a matching commitment in
 * `recover2` resets the count and releases the share; the record is deleted (and shredded) once
 * REALM_MAX_GUESSES guesses were spent without a match. Every answer is signed over
 * `realmAnswerMessage` (@tessera/protocol), so the client can refuse forged, misdirected or replayed
 * answers.
 */
import { createPrivateKey, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { REALM_MAX_GUESSES, realmAnswerMessage, type RealmSignedStep } from '@tessera/protocol';
import { HttpError } from '../http-error.js';
import { countHits, rateLimited, type RateKey } from '../rate-limit.js';
import type { RealmKeys } from './keys.js';
import { openRecord, sealKey, sealPending, sealRecord } from './record.js';
import type { RealmStore } from './store.js';

/** A signed realm answer, bound to step, realm, record and the client's nonce. */
export interface RealmAnswer {
  realmId: string;
  record: string;
  nonce: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** What a realm reports to its metrics. */
export type RealmEvent = 'registered' | 'guess' | 'wrong' | 'released' | 'destroyed' | 'deleted';

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

const noRecord = () => new HttpError(404, 'realm-no-record', 'This realm holds no PIN record with this id.');
const destroyed = () =>
  new HttpError(
    410,
    'realm-record-destroyed',
    `This realm deleted the record after ${REALM_MAX_GUESSES} wrong PIN guesses.`,
  );
const deleted = () =>
  new HttpError(
    410,
    'realm-record-deleted',
    'The owner of this record deleted it: the PIN was replaced or turned off.',
  );

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class RealmCore {
  /** Node's own Ed25519 signs every answer (several times faster than a JavaScript one). */
  private readonly signingKey: KeyObject;

  constructor(
    private readonly store: RealmStore,
    private readonly keys: RealmKeys,
    private readonly onEvent: (e: RealmEvent) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {
    this.signingKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, keys.signingKey]),
      format: 'der',
      type: 'pkcs8',
    });
  }

  get realmId(): string {
    return this.keys.realmId;
  }

  get publicKey(): Uint8Array {
    return this.keys.publicKey;
  }

  private answer(step: RealmSignedStep, record: string, nonce: Uint8Array, payload: Uint8Array): RealmAnswer {
    const message = realmAnswerMessage({ step, realmId: this.keys.realmId, record, nonce, payload });
    const signature = new Uint8Array(sign(null, message, this.signingKey));
    return { realmId: this.keys.realmId, record, nonce, payload, signature };
  }

  /** The seal key of a record: its own key from the key store with the realm's storage key. */
  private async recordSealKey(id: string): Promise<Uint8Array | null> {
    const row = await this.store.keys
      .selectFrom('realm_record_keys')
      .select('key')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? sealKey(this.keys.storageKey, row.key) : null;
  }

  private async tombstoned(id: string): Promise<boolean> {
    return (await this.tombstone(id)) !== undefined;
  }

  private async tombstone(id: string) {
    return this.store.db
      .selectFrom('realm_tombstones')
      .select('reason')
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Why a ready record is not there: destroyed by guesses, deleted by its owner, or never held. */
  private async missing(id: string): Promise<HttpError> {
    const t = await this.tombstone(id);
    if (!t) return noRecord();
    return t.reason === 'deleted' ? deleted() : destroyed();
  }

  /** Starts a registration: a fresh OPRF key evaluates the blinded PIN. A ready record is never replaced. */
  async register1(o: { record: string; nonce: Uint8Array; blinded: Uint8Array }): Promise<RealmAnswer> {
    const oprfKey = ristretto255_oprf.oprf.generateKeyPair().secretKey;
    const evaluated = evaluate(oprfKey, o.blinded);
    const exists = () =>
      new HttpError(
        409,
        'realm-record-exists',
        'This record id is taken at this realm; register with a new random id.',
      );
    if (await this.tombstoned(o.record)) throw exists();
    const existing = await this.store.db
      .selectFrom('realm_records')
      .select('state')
      .where('id', '=', o.record)
      .executeTakeFirst();
    if (existing?.state === 'ready') throw exists();
    // A retried registration keeps the record key it was given (a ready record's key is never touched).
    const recordKey = crypto.getRandomValues(new Uint8Array(32));
    await this.store.keys
      .insertInto('realm_record_keys')
      .values({ id: o.record, key: recordKey })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const key = (await this.recordSealKey(o.record))!;
    const row = {
      id: o.record,
      state: 'pending' as const,
      sealed: sealPending(key, o.record, oprfKey),
      pending_tag: sha256(o.nonce),
      delete_hash: null,
      guesses: 0,
      updated_at: this.clock(),
    };
    // Replaces only a pending registration (the client that started it may be retrying).
    const result = await this.store.db
      .insertInto('realm_records')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ sealed: row.sealed, pending_tag: row.pending_tag, updated_at: row.updated_at })
          .where('realm_records.state', '=', 'pending'),
      )
      .executeTakeFirst();
    oprfKey.fill(0);
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw exists();
    return this.answer('register1', o.record, o.nonce, evaluated);
  }

  /** Completes the registration started with the same nonce: stores commitment, masked share and share. */
  async register2(o: {
    record: string;
    nonce: Uint8Array;
    commitment: Uint8Array;
    masked: Uint8Array;
    share: Uint8Array;
    /** SHA-256 of the token that may later delete the record (`delete`). */
    deleteHash: Uint8Array;
  }): Promise<void> {
    const row = await this.store.db
      .selectFrom('realm_records')
      .selectAll()
      .where('id', '=', o.record)
      .executeTakeFirst();
    if (!row || row.state !== 'pending' || !row.pending_tag || !same(row.pending_tag, sha256(o.nonce)))
      throw new HttpError(
        409,
        'conflict',
        'No registration of this record was started with this nonce (send register1 first).',
      );
    const key = await this.recordSealKey(o.record);
    if (!key) throw noRecord();
    const { oprfKey } = openRecord(key, o.record, row.sealed);
    const sealed = sealRecord(key, o.record, {
      oprfKey,
      commitment: o.commitment,
      masked: o.masked,
      share: o.share,
    });
    oprfKey.fill(0);
    const result = await this.store.db
      .updateTable('realm_records')
      .set({
        state: 'ready',
        sealed,
        pending_tag: null,
        delete_hash: o.deleteHash,
        guesses: 0,
        updated_at: this.clock(),
      })
      .where('id', '=', o.record)
      .where('state', '=', 'pending')
      .where('pending_tag', '=', row.pending_tag)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new HttpError(409, 'conflict', 'The registration changed meanwhile; start again.');
    this.onEvent('registered');
  }

  /**
   * Counts a guess, then evaluates it and returns the masked unlock-key share. The count is taken
   * first, in one statement, so an answer is never given for an uncounted guess. `rateKeys` (the
   * route's per-address limit) are counted in the same transaction, before the guess: one commit
   * (one fsync at SQLite's synchronous=FULL), not two. A refused hit counts no guess; a malformed
   * element or an unknown record still costs its hit (as when the hit had a transaction of its own).
   */
  async recover1(o: {
    record: string;
    nonce: Uint8Array;
    blinded: Uint8Array;
    rateKeys?: RateKey[];
  }): Promise<{ answer: RealmAnswer; guessesLeft: number }> {
    const wellFormed = isElement(o.blinded); // malformed input costs no guess
    const counted = await this.store.db.transaction().execute(async (trx) => {
      const wait = o.rateKeys ? await countHits(trx, o.rateKeys) : 0;
      if (wait > 0) return { wait };
      if (!wellFormed) return { malformed: true };
      const row = await trx
        .updateTable('realm_records')
        .set((eb) => ({ guesses: eb('guesses', '+', 1), updated_at: this.clock() }))
        .where('id', '=', o.record)
        .where('state', '=', 'ready')
        .returning(['guesses', 'sealed'])
        .executeTakeFirst();
      return { row };
    });
    if (counted.wait) throw rateLimited(counted.wait);
    if (counted.malformed) throw badElement();
    const row = counted.row;
    if (!row) throw await this.missing(o.record);
    this.onEvent('guess');
    if (row.guesses > REALM_MAX_GUESSES) {
      // The budget was spent by guesses whose client never sent recover2.
      await this.destroy(o.record);
      throw destroyed();
    }
    const key = await this.recordSealKey(o.record);
    if (!key) throw noRecord();
    const r = openRecord(key, o.record, row.sealed);
    const evaluated = evaluate(r.oprfKey, o.blinded);
    const payload = new Uint8Array(evaluated.length + r.masked.length);
    payload.set(evaluated);
    payload.set(r.masked, evaluated.length);
    wipe(r);
    return {
      answer: this.answer('recover1', o.record, o.nonce, payload),
      guessesLeft: REALM_MAX_GUESSES - row.guesses,
    };
  }

  /** Checks the commitment; a match resets the count and releases the share, a miss may destroy. */
  async recover2(o: { record: string; nonce: Uint8Array; commitment: Uint8Array }): Promise<RealmAnswer> {
    const row = await this.store.db
      .selectFrom('realm_records')
      .select(['sealed', 'guesses'])
      .where('id', '=', o.record)
      .where('state', '=', 'ready')
      .executeTakeFirst();
    if (!row) throw await this.missing(o.record);
    const key = await this.recordSealKey(o.record);
    if (!key) throw noRecord();
    const r = openRecord(key, o.record, row.sealed);
    try {
      if (row.guesses === 0 || !same(o.commitment, r.commitment)) {
        // No counted guess (recover1) since the last match: nothing to check against.
        this.onEvent('wrong');
        if (row.guesses >= REALM_MAX_GUESSES) {
          await this.destroy(o.record);
          throw destroyed();
        }
        throw new HttpError(403, 'pin-incorrect', 'Wrong PIN.', {
          guessesLeft: REALM_MAX_GUESSES - row.guesses,
        });
      }
      await this.store.db
        .updateTable('realm_records')
        .set({ guesses: 0, updated_at: this.clock() })
        .where('id', '=', o.record)
        .execute();
      this.onEvent('released');
      return this.answer('recover2', o.record, o.nonce, Uint8Array.from(r.share));
    } finally {
      wipe(r);
    }
  }

  /** Guesses left for a ready record; 0 once destroyed; null when the realm never held it. */
  async guessesLeft(record: string): Promise<number | null> {
    const row = await this.store.db
      .selectFrom('realm_records')
      .select('guesses')
      .where('id', '=', record)
      .where('state', '=', 'ready')
      .executeTakeFirst();
    if (row) return Math.max(0, REALM_MAX_GUESSES - row.guesses);
    return (await this.tombstoned(record)) ? 0 : null;
  }

  /**
   * Deletes a record for the client that registered it (its PIN was replaced or turned off): the
   * token's hash must match the one given at registration. Unknown and destroyed ids answer alike.
   */
  async delete(o: { record: string; token: Uint8Array }): Promise<void> {
    const row = await this.store.db
      .selectFrom('realm_records')
      .select('delete_hash')
      .where('id', '=', o.record)
      .where('state', '=', 'ready')
      .executeTakeFirst();
    if (!row) throw await this.missing(o.record);
    if (!row.delete_hash || !same(sha256(o.token), row.delete_hash))
      throw new HttpError(403, 'forbidden', 'This token does not delete this record.');
    await this.destroy(o.record, 'deleted');
  }

  /**
   * Erases the record key first (after that no copy of the record opens), then deletes the row and
   * leaves a tombstone with the id only, and shreds the key store's files.
   */
  private async destroy(record: string, event: RealmEvent = 'destroyed'): Promise<void> {
    await this.store.keys.deleteFrom('realm_record_keys').where('id', '=', record).execute();
    await this.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('realm_records').where('id', '=', record).execute();
      await trx
        .insertInto('realm_tombstones')
        .values({
          id: record,
          destroyed_at: this.clock(),
          reason: event === 'deleted' ? 'deleted' : 'guesses',
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    });
    this.onEvent(event);
    await this.store.shred();
  }
}

const badElement = () =>
  new HttpError(400, 'bad-request', 'Field blinded is not a valid ristretto255 element.');

function isElement(blinded: Uint8Array): boolean {
  try {
    ristretto255.Point.fromBytes(blinded);
    return true;
  } catch {
    return false;
  }
}

/** Evaluates a blinded element; a malformed one is the client's error, named. */
function evaluate(oprfKey: Uint8Array, blinded: Uint8Array): Uint8Array {
  try {
    return ristretto255_oprf.oprf.blindEvaluate(oprfKey, blinded);
  } catch {
    throw badElement();
  }
}

function wipe(r: { oprfKey: Uint8Array; commitment: Uint8Array; masked: Uint8Array; share: Uint8Array }) {
  for (const b of [r.oprfKey, r.commitment, r.masked, r.share]) b.fill(0);
}
