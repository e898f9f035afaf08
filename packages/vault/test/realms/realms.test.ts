// The realm PIN client against real realms (SQLite and PostgreSQL) on loopback: 2-of-3 register
// and recover, a realm down, a forged answer, wrong PINs counted and the records deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('works with threshold 1 (each realm alone) and 3 of 3', async () => {
    for (const threshold of [1, 3]) {
      const { setup, secret } = await registerRealmPin({ realms: pins(), threshold, pin: '55' });
      expect((await recoverRealmPin({ setup, pin: '55' })).secret).toEqual(secret);
    }
  });
});
