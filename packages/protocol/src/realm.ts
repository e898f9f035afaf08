/**
 * Escrow realms (docs/PROTOCOL.md §11): the constants and the signed-answer message that the realm
 * service (server) and its client (vault) must agree on byte for byte, so they live once, here.
 */

/** Counted PIN guesses after which a realm deletes a record (issue 12). */
export const REALM_MAX_GUESSES = 10;

/** Realm answer steps that carry a signature. */
export type RealmSignedStep = 'register1' | 'recover1' | 'recover2';

/** Label of the answer signature; bump with any change to `realmAnswerMessage`. */
export const REALM_ANSWER_LABEL = 'tessera-realm-answer-v1';

const enc = new TextEncoder();

/**
 * The bytes a realm signs (Ed25519) for one answer: label, step, realm id, record id, the client's
 * 32-byte nonce and the payload, each length-prefixed (4 bytes, big-endian) so no two distinct
 * tuples share a message. Binding the record and the client's fresh nonce makes an answer for
 * another record, or a replayed one, fail verification.
 */
export function realmAnswerMessage(o: {
  step: RealmSignedStep;
  realmId: string;
  record: string;
  nonce: Uint8Array;
  payload: Uint8Array;
}): Uint8Array {
  const parts = [
    enc.encode(REALM_ANSWER_LABEL),
    enc.encode(o.step),
    enc.encode(o.realmId),
    enc.encode(o.record),
    o.nonce,
    o.payload,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    new DataView(out.buffer).setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}
