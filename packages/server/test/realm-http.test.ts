import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { REALM_MAX_GUESSES, realmNonce, startRealmHttp, verifyRealmAnswer } from '../src/realm/index.js';

type Realm = Awaited<ReturnType<typeof startRealmHttp>>;
const enc = new TextEncoder();
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const commit = (out: Uint8Array) => sha256(Uint8Array.from([...enc.encode('tessera-realm-commit'), ...out]));

async function post(realm: Realm, step: string, body: Record<string, string>) {
  const res = await fetch(`${realm.url}/v1/realm/${step}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, string> & {
      payload: string;
      nonce: string;
      signature: string;
    },
  };
}

async function evaluate(realm: Realm, realmId: string, account: string, pin: string, step: string) {
  const input = enc.encode(pin);
  const b = ristretto255_oprf.oprf.blind(input);
  const nonce = realmNonce();
  const r = await post(realm, step, { account, nonce: b64(nonce), blinded: b64(b.blinded) });
  expect(r.status).toBe(200);
  const answer = {
    ...r.json,
    nonce: unb64(r.json.nonce),
    payload: unb64(r.json.payload),
    signature: unb64(r.json.signature),
  } as never;
  const evaluated = verifyRealmAnswer({ answer, realmId, realmPublicKey: realm.publicKey, account, nonce });
  return commit(ristretto255_oprf.oprf.finalize(input, b.blind, evaluated));
}

async function recover(realm: Realm, realmId: string, account: string, pin: string) {
  const commitment = await evaluate(realm, realmId, account, pin, 'recover1');
  return post(realm, 'recover2', { account, nonce: b64(realmNonce()), commitment: b64(commitment) });
}

describe('realm over HTTP, three realms on loopback', () => {
  const realms: Realm[] = [];
  const ids = ['realm-a', 'realm-b', 'realm-c'];
  beforeAll(async () => {
    for (const realmId of ids) realms.push(await startRealmHttp({ realmId }));
    await Promise.all(
      realms.map(async (r, i) => {
        const commitment = await evaluate(r, ids[i]!, 'acct', '2468', 'register1');
        const res = await post(r, 'register2', {
          account: 'acct',
          share: b64(Uint8Array.of(i + 1)),
          commitment: b64(commitment),
        });
        expect(res.status).toBe(200);
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(realms.slice(0, 2).map((r) => r.close()));
  });

  it('recovers shares from the two running realms, in parallel, with one stopped', async () => {
    await realms[2]!.close();
    const got = await Promise.all([0, 1].map((i) => recover(realms[i]!, ids[i]!, 'acct', '2468')));
    expect(got.map((g) => g.status)).toEqual([200, 200]);
    expect(got.map((g) => unb64(g.json.payload)[0])).toEqual([1, 2]);
    await expect(fetch(`${realms[2]!.url}/healthz`)).rejects.toThrow();
  });

  it('counts parallel guesses exactly and deletes after the budget', async () => {
    const r = realms[0]!;
    const wrong = await Promise.all(
      Array.from({ length: 4 }, (_, i) => recover(r, ids[0]!, 'acct', `000${i}`)),
    );
    expect(wrong.map((w) => w.status)).toEqual([403, 403, 403, 403]);
    expect(r.core.guessesLeft({ account: 'acct' })).toBe(REALM_MAX_GUESSES - 4);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => evaluate(r, ids[0]!, 'acct', `11${i}`, 'recover1')),
    );
    const right = await post(r, 'recover2', {
      account: 'acct',
      nonce: b64(realmNonce()),
      commitment: b64(new Uint8Array(32)),
    });
    expect(right.status).toBe(404);
    const b = ristretto255_oprf.oprf.blind(enc.encode('2468'));
    const again = await post(r, 'recover1', {
      account: 'acct',
      nonce: b64(realmNonce()),
      blinded: b64(b.blinded),
    });
    expect(again.status).toBe(404);
  });

  it('refuses malformed input with the field named', async () => {
    const res = await post(realms[1]!, 'recover1', {
      account: 'acct',
      nonce: b64(realmNonce()),
      blinded: 42 as never,
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/blinded/);
  });
});
