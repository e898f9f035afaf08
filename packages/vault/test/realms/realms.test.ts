// The realm PIN client against real realms (SQLite and PostgreSQL) on loopback: 2-of-3 register
// and recover, a realm down, a forged answer, one signed under ZIP-215 only, wrong PINs counted and
// the records deleted.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { realmAnswerMessage, type RealmSignedStep } from '@tessera/protocol';
import { REALM_SECRET_FILE } from '@tessera/server';
import {
  fetchRealmPin,
  recoverRealmPin,
  registerRealmPin,
  RealmError,
  type RealmSetup,
} from '../../src/realms/index.js';
import { TamperingProxy, type Json, type Tamper } from '../keychain/tampering-proxy.js';
import { BACKENDS, dropRealm, makeRealm, type TestRealm } from './realm-harness.js';

/** The record-specific parts of a setup, to aim one setup's requests at another record. */
const pick = (s: RealmSetup) => ({
  record: s.record,
  unlockCheck: s.unlockCheck,
  secretCheck: s.secretCheck,
});

const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/**
 * `seed`'s Ed25519 signature of `message` that only the ZIP-215 rule accepts: its nonce point is
 * R = rB + T with T = (0, -1) of order 2, so the cofactored equation holds and the cofactorless one
 * (RFC 8032 as OpenSSL and WebCrypto check it) does not (as in packages/protocol/test/ed25519.test.ts).
 */
function zip215OnlySignature(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const L = ed25519.Point.Fn.ORDER;
  const P = (1n << 255n) - 19n;
  const { scalar: a, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(seed);
  const r = 123456789n;
  const R = ed25519.Point.BASE.multiply(r)
    .add(ed25519.Point.fromBytes(toLe(P - 1n)))
    .toBytes();
  const k = le(createHash('sha512').update(R).update(publicKey).update(message).digest()) % L;
  return new Uint8Array([...R, ...toLe((r + k * a) % L)]);
}

/** RFC 8032's check alone, as OpenSSL (and so WebCrypto on Node) answers it. */
function rfc8032Accepts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
}

async function rejected(promise: Promise<unknown>): Promise<RealmError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RealmError);
  return err as RealmError;
}

describe.each(BACKENDS)('realm PIN client, 3 realms, threshold 2 (%s)', (backend) => {
  const realms: TestRealm[] = [];
  const pins = () => realms.map((r) => r.pin);

  beforeAll(async () => {
    realms.push(...(await Promise.all([0, 1, 2].map(() => makeRealm(backend)))));
  });
  afterAll(async () => {
    await Promise.all(realms.map(dropRealm));
  });

  it('pins what the realm says about itself', async () => {
    const pin = await fetchRealmPin(realms[0]!.pin.url + '/');
    expect(pin).toEqual(realms[0]!.pin);
    await expect(fetchRealmPin('http://127.0.0.1:1')).rejects.toThrow(/unreachable or not a Tessera realm/);
  });

  it('recovers the secret with the PIN, in parallel, and with one realm stopped', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const { setup } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '482913', secret });
    expect(setup.threshold).toBe(2);
    expect(setup.realms.map((r) => r.realmId)).toEqual(realms.map((r) => r.pin.realmId));
    const got = await recoverRealmPin({ setup, pin: '482913' });
    expect(got.secret).toEqual(secret);
    expect(got.realms.map((r) => r.kind)).toEqual(['ok', 'ok', 'ok']);

    await realms[1]!.stop();
    try {
      const again = await recoverRealmPin({ setup, pin: '482913' });
      expect(again.secret).toEqual(secret);
      expect(again.realms.map((r) => r.kind)).toEqual(['ok', 'unreachable', 'ok']);
      await realms[2]!.stop();
      const err = await rejected(recoverRealmPin({ setup, pin: '482913' }));
      expect(err.code).toBe('not-enough-realms');
      expect(err.message).toMatch(/only 1 of 3 realms answered correctly and 2 are needed/);
      expect(err.message).toContain(realms[1]!.pin.realmId);
    } finally {
      if (!realms[1]!.running) await realms[1]!.start();
      if (!realms[2]!.running) await realms[2]!.start();
    }
    // A restarted realm keeps its key and its records.
    expect((await recoverRealmPin({ setup, pin: '482913' })).secret).toEqual(secret);
  });

  it('detects a forged or tampered answer and recovers from the honest realms', async () => {
    const { setup, secret } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '1357' });
    const proxy = new TamperingProxy(realms[0]!.pin.url);
    await proxy.start();
    try {
      const viaProxy: RealmSetup = {
        ...setup,
        realms: setup.realms.map((r, i) => (i === 0 ? { ...r, url: proxy.url } : r)),
      };
      // Flip a byte of the masked share: the signature no longer matches.
      proxy.tamper = (req, res) => {
        if (!req.path.endsWith('/recover1')) return undefined;
        const payload = Buffer.from(res.payload as string, 'base64url');
        payload[40] = payload[40]! ^ 1;
        return { ...res, payload: payload.toString('base64url') };
      };
      const got = await recoverRealmPin({ setup: viaProxy, pin: '1357' });
      expect(got.secret).toEqual(secret);
      expect(got.realms[0]!.kind).toBe('forged');

      // A validly signed answer replayed from an earlier recovery is refused (nonce mismatch).
      let stale: Json | null = null;
      proxy.tamper = (req, res) => {
        if (!req.path.endsWith('/recover1')) return undefined;
        if (stale === null) stale = res;
        else return stale;
        return undefined;
      };
      expect((await recoverRealmPin({ setup: viaProxy, pin: '1357' })).realms[0]!.kind).toBe('ok');
      const replayed = await recoverRealmPin({ setup: viaProxy, pin: '1357' });
      expect(replayed.secret).toEqual(secret);
      expect(replayed.realms[0]!.kind).toBe('forged');

      // An answer for another record, signed by the realm, is refused too.
      const other = await registerRealmPin({ realms: pins(), threshold: 2, pin: '1357' });
      let foreign: Json | null = null;
      proxy.tamper = (req, res) => {
        if (!req.path.endsWith('/recover1')) return undefined;
        if (req.body?.record === other.setup.record) foreign = res;
        else if (foreign) return { ...foreign, nonce: req.body?.nonce };
        return undefined;
      };
      await recoverRealmPin({ setup: { ...viaProxy, ...pick(other.setup) }, pin: '1357' });
      const misdirected = await recoverRealmPin({ setup: viaProxy, pin: '1357' });
      expect(misdirected.secret).toEqual(secret);
      expect(misdirected.realms[0]!.kind).toBe('forged');

      // Two realms forged: fewer than the threshold are honest, and the client says so.
      const flipSignature: Tamper = (req, res) => {
        if (!req.path.endsWith('/recover1')) return undefined;
        const signature = Buffer.from(res.signature as string, 'base64url');
        signature[0] = signature[0]! ^ 1;
        return { ...res, signature: signature.toString('base64url') };
      };
      proxy.tamper = flipSignature;
      const proxy2 = new TamperingProxy(realms[1]!.pin.url);
      await proxy2.start();
      proxy2.tamper = flipSignature;
      try {
        const twoForged: RealmSetup = {
          ...viaProxy,
          realms: viaProxy.realms.map((r, i) => (i === 1 ? { ...r, url: proxy2.url } : r)),
        };
        const err = await rejected(recoverRealmPin({ setup: twoForged, pin: '1357' }));
        expect(err.code).toBe('not-enough-realms');
        expect(err.realms.map((r) => r.kind)).toEqual(['forged', 'forged', 'ok']);
      } finally {
        await proxy2.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('takes an answer signed under the one Ed25519 rule (ZIP-215) that RFC 8032 alone refuses', async () => {
    // Every Ed25519 check of Tessera is @tessera/protocol's ed25519Verify, realm answers too: a
    // check of the platform's own (WebCrypto) would refuse what a circle link's check takes, and a
    // recovery would then depend on the device it runs on.
    const { setup, secret } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '2468' });
    const realm = realms[0]!;
    const seed = Buffer.from(
      (await readFile(join(realm.dataDir, REALM_SECRET_FILE), 'utf8')).trim().split('.')[1]!,
      'base64url',
    );
    const publicKey = Buffer.from(realm.pin.publicKey, 'base64url');
    const proxy = new TamperingProxy(realm.pin.url);
    await proxy.start();
    let resigned = 0;
    proxy.tamper = (req, res) => {
      const step = req.path.split('/').pop() as RealmSignedStep;
      if (step !== 'recover1' && step !== 'recover2') return undefined;
      const message = realmAnswerMessage({
        step,
        realmId: realm.pin.realmId,
        record: req.body!.record as string,
        nonce: Buffer.from(req.body!.nonce as string, 'base64url'),
        payload: Buffer.from(res.payload as string, 'base64url'),
      });
      const signature = zip215OnlySignature(seed, message);
      expect(rfc8032Accepts(publicKey, message, signature)).toBe(false);
      expect(ed25519.verify(signature, message, publicKey)).toBe(true);
      resigned++;
      return { ...res, signature: Buffer.from(signature).toString('base64url') };
    };
    try {
      const viaProxy: RealmSetup = {
        ...setup,
        realms: setup.realms.map((r, i) => (i === 0 ? { ...r, url: proxy.url } : r)),
      };
      const got = await recoverRealmPin({ setup: viaProxy, pin: '2468' });
      expect(got.secret).toEqual(secret);
      expect(got.realms.map((r) => r.kind)).toEqual(['ok', 'ok', 'ok']);
      expect(resigned).toBe(2); // its recover1 and recover2 answers
    } finally {
      await proxy.close();
    }
  });

  it('says wrong PIN with the guesses left, resets on the right PIN, and deletes after 10 wrong', async () => {
    const { setup, secret } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '2468' });
    const wrong1 = await rejected(recoverRealmPin({ setup, pin: '0000' }));
    expect(wrong1.code).toBe('wrong-pin');
    expect(wrong1.guessesLeft).toBe(9);
    expect(wrong1.message).toMatch(/wrong PIN: 9 guesses left/);
    expect((await recoverRealmPin({ setup, pin: '2468' })).secret).toEqual(secret);

    for (let i = 1; i <= 9; i++) {
      const err = await rejected(recoverRealmPin({ setup, pin: `99${i}` }));
      expect(err.code).toBe('wrong-pin');
      expect(err.guessesLeft).toBe(10 - i);
    }
    // The tenth wrong guess is told as such (none left); the realms deleted the record meanwhile.
    const last = await rejected(recoverRealmPin({ setup, pin: '9910' }));
    expect(last.code).toBe('wrong-pin');
    expect(last.guessesLeft).toBe(0);
    expect(last.realms.map((r) => r.kind)).toEqual(['wrong-pin', 'wrong-pin', 'wrong-pin']);
    // The right PIN fails afterwards at every realm.
    const after = await rejected(recoverRealmPin({ setup, pin: '2468' }));
    expect(after.code).toBe('destroyed');
    expect(after.message).toMatch(/3 of 3 realms no longer hold/);
  });

  it('counts parallel guesses exactly, at every realm', async () => {
    const { setup } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '2468' });
    const parallel = await Promise.all(
      Array.from({ length: 6 }, (_, i) => rejected(recoverRealmPin({ setup, pin: `00${i}0` }))),
    );
    expect(parallel.map((e) => e.code)).toEqual(Array(6).fill('wrong-pin'));
    const next = await rejected(recoverRealmPin({ setup, pin: '0077' }));
    expect(next.guessesLeft).toBe(3);
    expect(next.realms.map((r) => r.guessesLeft)).toEqual([3, 3, 3]);
  });

  it('counts a guess at every realm asked, also at a realm the client could not use', async () => {
    const { setup } = await registerRealmPin({ realms: pins(), threshold: 2, pin: '7777' });
    await realms[2]!.stop();
    try {
      const err = await rejected(recoverRealmPin({ setup, pin: '1111' }));
      expect(err.code).toBe('wrong-pin');
      expect(err.realms.map((r) => r.kind)).toEqual(['wrong-pin', 'wrong-pin', 'unreachable']);
      expect(err.realms.map((r) => r.guessesLeft)).toEqual([9, 9, undefined]);
    } finally {
      await realms[2]!.start();
    }
    const wrong = await rejected(recoverRealmPin({ setup, pin: '1112' }));
    expect(wrong.realms.map((r) => r.guessesLeft)).toEqual([8, 8, 9]);
  });

  it('refuses bad arguments by name and a registration a realm refuses', async () => {
    const err = await rejected(registerRealmPin({ realms: pins(), threshold: 4, pin: '1' }));
    expect(err.message).toBe('threshold: must be 1 to 3, got 4');
    const dup = await rejected(registerRealmPin({ realms: [...pins(), pins()[0]!], threshold: 2, pin: '1' }));
    expect(dup.message).toMatch(/the same realm id appears twice/);
    expect((await rejected(registerRealmPin({ realms: pins(), threshold: 2, pin: '' }))).message).toBe(
      'pin: must not be empty',
    );
    await realms[0]!.stop();
    try {
      const down = await rejected(registerRealmPin({ realms: pins(), threshold: 2, pin: '1234' }));
      expect(down.code).toBe('register-failed');
      expect(down.realms.map((r) => r.kind)).toEqual(['unreachable', 'ok', 'ok']);
    } finally {
      await realms[0]!.start();
    }
    // A realm key that is not the one pinned: every answer from it is refused.
    const wrongKey = pins().map((p, i) => (i === 0 ? { ...p, publicKey: pins()[1]!.publicKey } : p));
    const forged = await rejected(registerRealmPin({ realms: wrongKey, threshold: 2, pin: '1234' }));
    expect(forged.realms[0]!.kind).toBe('forged');
  });

  it('limits guesses per address: a malformed guess or an unknown record costs a hit, a refused guess costs no guess', async () => {
    // Three guesses an hour from one address; the realm counts the hit in the guess's own transaction.
    const hour = 3_600_000;
    const rule = { limit: 3, windowMs: hour, freeAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 60_000 };
    const tight = await makeRealm(backend, { rateLimits: { guessAddress: rule } });
    try {
      const { setup } = await registerRealmPin({ realms: [tight.pin], threshold: 1, pin: '2468' });
      const ask = async (step: 'recover1' | 'recover2', body: Record<string, string>) => {
        const res = await fetch(`${tight.pin.url}/v1/realm/${step}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ nonce: Buffer.alloc(32, 7).toString('base64url'), ...body }),
        });
        const json = (await res.json()) as {
          guessesLeft?: number;
          error?: { code: string; guessesLeft?: number };
        };
        return {
          status: res.status,
          code: json.error?.code,
          left: json.guessesLeft ?? json.error?.guessesLeft,
        };
      };
      // The ristretto255 base point: a valid element. 32 bytes of 0xff: not one.
      const valid = '4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY';
      const malformed = Buffer.alloc(32, 0xff).toString('base64url');
      const unknown = Buffer.alloc(16, 9).toString('base64url');
      expect(await ask('recover1', { record: setup.record, blinded: malformed })).toMatchObject({
        status: 400,
        code: 'bad-request',
      });
      expect(await ask('recover1', { record: unknown, blinded: valid })).toMatchObject({
        status: 404,
        code: 'realm-no-record',
      });
      expect(await ask('recover1', { record: setup.record, blinded: valid })).toMatchObject({
        status: 200,
        left: 9,
      });
      // The fourth hit is refused, and the guess it carried is not counted.
      expect(await ask('recover1', { record: setup.record, blinded: valid })).toMatchObject({
        status: 429,
        code: 'rate-limited',
      });
      const commitment = Buffer.alloc(32, 1).toString('base64url');
      expect(await ask('recover2', { record: setup.record, commitment })).toMatchObject({
        status: 403,
        code: 'pin-incorrect',
        left: 9,
      });
    } finally {
      await dropRealm(tight);
    }
  });

  it('works with threshold 1 (each realm alone) and 3 of 3', async () => {
    for (const threshold of [1, 3]) {
      const { setup, secret } = await registerRealmPin({ realms: pins(), threshold, pin: '55' });
      expect((await recoverRealmPin({ setup, pin: '55' })).secret).toEqual(secret);
    }
  });
});
