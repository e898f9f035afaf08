import { describe, expect, it } from 'vitest';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { REALM_MAX_GUESSES, RealmCore, realmNonce, verifyRealmAnswer } from '../src/realm/index.js';

const enc = new TextEncoder();
const commit = (out: Uint8Array) => sha256(Uint8Array.from([...enc.encode('tessera-realm-commit'), ...out]));

function pin(realm: RealmCore, account: string, p: string, step: 'register' | 'recover') {
  const input = enc.encode(p);
  const b = ristretto255_oprf.oprf.blind(input);
  const nonce = realmNonce();
  const a =
    step === 'register'
      ? realm.register1({ account, nonce, blinded: b.blinded })
      : realm.recover1({ account, nonce, blinded: b.blinded });
  const evaluated = verifyRealmAnswer({
    answer: a,
    realmId: realm.realmId,
    realmPublicKey: realm.publicKey,
    account,
    nonce,
  });
  return commit(ristretto255_oprf.oprf.finalize(input, b.blind, evaluated));
}

function recover(realm: RealmCore, account: string, p: string): Uint8Array {
  const commitment = pin(realm, account, p, 'recover');
  const nonce = realmNonce();
  const a = realm.recover2({ account, nonce, commitment });
  return verifyRealmAnswer({
    answer: a,
    realmId: realm.realmId,
    realmPublicKey: realm.publicKey,
    account,
    nonce,
  });
}

function setup(account = 'acct-1') {
  const realm = new RealmCore({ realmId: 'realm-a' });
  const share = Uint8Array.from([1, 2, 3, 4, 5]);
  realm.register2({ account, share, commitment: pin(realm, account, '1234', 'register') });
  return { realm, share, account };
}

describe('realm core', () => {
  it('releases the share for the right PIN and resets the count', () => {
    const { realm, share, account } = setup();
    expect(() => recover(realm, account, '0000')).toThrow(/wrong PIN/);
    expect(realm.guessesLeft({ account })).toBe(REALM_MAX_GUESSES - 1);
    expect(recover(realm, account, '1234')).toEqual(share);
    expect(realm.guessesLeft({ account })).toBe(REALM_MAX_GUESSES);
  });

  it('deletes the record after 10 wrong guesses; the right PIN fails afterwards', () => {
    const { realm, account } = setup();
    for (let i = 0; i < REALM_MAX_GUESSES - 1; i++)
      expect(() => recover(realm, account, `9${i}`)).toThrow(/wrong PIN/);
    expect(() => recover(realm, account, '5555')).toThrow(/no PIN record/);
    expect(realm.guessesLeft({ account })).toBe(0);
    expect(() => recover(realm, account, '1234')).toThrow(/no PIN record/);
  });

  it('counts every evaluation, even when the client never sends the commitment', () => {
    const { realm, account } = setup();
    for (let i = 0; i < 3; i++) pin(realm, account, '1234', 'recover');
    expect(realm.guessesLeft({ account })).toBe(REALM_MAX_GUESSES - 3);
  });

  it('refuses an answer for another account, a replayed answer and another realm key', () => {
    const { realm, account } = setup();
    realm.register2({
      account: 'acct-2',
      share: Uint8Array.from([9]),
      commitment: pin(realm, 'acct-2', '1234', 'register'),
    });
    const other = new RealmCore({ realmId: 'realm-a' });
    const b = ristretto255_oprf.oprf.blind(enc.encode('1234'));
    const nonce = realmNonce();
    const answer = realm.recover1({ account: 'acct-2', nonce, blinded: b.blinded });
    const check = (o: Partial<Parameters<typeof verifyRealmAnswer>[0]>) => () =>
      verifyRealmAnswer({
        answer,
        realmId: realm.realmId,
        realmPublicKey: realm.publicKey,
        account,
        nonce,
        ...o,
      });
    expect(check({})).toThrow(/another account/);
    expect(check({ account: 'acct-2', nonce: realmNonce() })).toThrow(/replayed/);
    expect(check({ account: 'acct-2', realmPublicKey: other.publicKey })).toThrow(/bad signature/);
    expect(check({ account: 'acct-2' })()).toBeInstanceOf(Uint8Array);
    // A forged payload under the real signature is refused too.
    const forged = { ...answer, payload: Uint8Array.from(answer.payload).fill(7, 0, 1) };
    expect(() =>
      verifyRealmAnswer({
        answer: forged,
        realmId: realm.realmId,
        realmPublicKey: realm.publicKey,
        account: 'acct-2',
        nonce,
      }),
    ).toThrow(/bad signature/);
  });
});
