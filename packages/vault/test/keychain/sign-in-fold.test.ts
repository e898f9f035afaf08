// The sign-in's answers folded into `sessions/finish` (docs/PROTOCOL.md §5 "Sign-in answers folded",
// issue 14): the circle and the recovery wraps come with the session, and each is checked exactly as
// its own answer is. A tampering proxy in front of the real server (SQLite and
// PostgreSQL) alters each folded part, and the same alteration of the separate answer (the proxy
// shows the server as one that does not fold); both must be refused alike.
import { describe, expect, it } from 'vitest';
import {
  b64u,
  fromB64u,
  KeychainError,
  newVaultKey,
  recoverWithRecoveryKey,
  signInToRecover,
  syncRound,
  wrapVaultKey,
} from '../../src/keychain/index.js';
import { device, isGet, useProxiedAccount, type Json } from './tampering-proxy.js';

const flip = (text: string, at: number) => {
  const bytes = fromB64u(text);
  bytes[at] = bytes[at]! ^ 1;
  return b64u(bytes);
};

describe.each(['sqlite', 'postgres'] as const)(
  'sign-in answers folded into sessions/finish (%s)',
  (backend) => {
    const email = `fold-${backend}@example.com`;
    const password = 'correct horse battery staple';
    const account = useProxiedAccount({ email, password, entries: 4, backend });
    const { recoveryKeys } = account;
    const proxy = () => account.proxy;

    const isFinish = (r: { method: string; path: string }) =>
      r.method === 'POST' && r.path === '/v1/sessions/finish';
    const entries = (d: Awaited<ReturnType<typeof device>>) => d.vault.entries().length;

    /**
     * Runs `steps` on a new device twice: against the folding server with `folded` altering the
     * finish answer, and against it shown as an older server with `separate` altering the answer of
     * the separate request. Returns both errors (or null).
     */
    async function both(
      folded: (finish: Json) => Json,
      separate: (request: { method: string; path: string }, res: Json) => Json | undefined,
      steps: (d: Awaited<ReturnType<typeof device>>) => Promise<void>,
    ) {
      const errors: (KeychainError | null)[] = [];
      for (const fold of [true, false]) {
        proxy().fold = fold;
        proxy().tamper = (r, res) => (fold ? (isFinish(r) ? folded(res) : undefined) : separate(r, res));
        const d = await device();
        try {
          await steps(d);
          errors.push(null);
        } catch (err) {
          errors.push(err as KeychainError);
        } finally {
          proxy().tamper = null;
          proxy().fold = true;
        }
        expect(entries(d)).toBe(0);
      }
      return errors;
    }

    const signIn = (d: Awaited<ReturnType<typeof device>>, name: string) =>
      signInToRecover(d.keychain, {
        server: proxy().url,
        email,
        password,
        deviceName: name,
        joinBy: 'recovery-key',
      });

    it('restores from the folded answers: no separate circle or wraps request', async () => {
      const d = await device();
      const start = proxy().requests.length;
      await signIn(d, 'F1');
      const finish = proxy().requests.slice(start).find(isFinish)!;
      expect(finish.body!.include).toEqual({ circle: true, wraps: 'recovery' });
      await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
      const joined = proxy().requests.length;
      await syncRound(d.keychain);
      expect(entries(d)).toBe(4);
      const session = d.keychain.requireState().session;
      // From the sign-in to the end of the join (the round checks the circle afterwards, as always).
      const own = proxy()
        .requests.slice(start, joined)
        .filter((r) => r.session === session)
        .map((r) => `${r.method} ${r.path.split('?')[0]}`);
      expect(own).not.toContain('GET /v1/circle');
      expect(own).not.toContain('GET /v1/keys');
      // The page read during the join (prefetch.ts) is still its own request.
      expect(own).toContain('GET /v1/items');
    });

    it('a tampered folded circle is refused as the tampered GET /v1/circle is', async () => {
      const renamed = (circle: Json) => ({
        ...circle,
        links: circle.links.map((l: Json, i: number) =>
          i === 0 ? { ...l, device: { ...l.device, name: 'Mallory' } } : l,
        ),
      });
      const errors = await both(
        (finish) => ({ ...finish, circle: renamed(finish.circle) }),
        (r, res) => (isGet('/v1/circle')(r) ? renamed(res) : undefined),
        async (d) => void (await signIn(d, 'C1')),
      );
      expect(errors[0]).toBeInstanceOf(KeychainError);
      expect([errors[0]!.code, errors[0]!.message]).toEqual([errors[1]!.code, errors[1]!.message]);
    });

    it('a tampered folded recovery wrap is refused as the tampered GET /v1/keys is, and nothing is linked', async () => {
      const altered = (keys: Json) => ({
        wraps: keys.wraps.map((w: Json) => ({ ...w, wrapped: flip(w.wrapped, 50) })),
      });
      const links = async () =>
        (await account.a.keychain.client().call('circle', { query: {} })).links.length;
      const before = await links();
      const errors = await both(
        (finish) => ({ ...finish, wraps: altered(finish.wraps) }),
        (r, res) => (isGet('/v1/keys')(r) ? altered(res) : undefined),
        async (d) => {
          await signIn(d, 'W1');
          await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
        },
      );
      expect(errors[0]).toBeInstanceOf(KeychainError);
      expect([errors[0]!.code, errors[0]!.message]).toEqual([errors[1]!.code, errors[1]!.message]);
      expect(await links()).toBe(before);
    });

    it("a folded wrap of a vault key of the server's own is refused as the same GET /v1/keys answer is, and nothing is linked", async () => {
      // A wrap that opens with the recovery key (the recovery public key is public) but holds a key
      // the circle does not name: only the join's vault-key check against the verified circle stops it.
      const real = account.a.keychain.requireTrusted();
      const forged = (keys: Json) => ({
        wraps: keys.wraps.map((w: Json) => ({
          ...w,
          wrapped: wrapVaultKey({
            accountId: real.accountId,
            recipientId: 'recovery',
            epoch: w.epoch,
            vk: newVaultKey(),
            recipientPub: fromB64u(real.circle!.recoveryPub),
          }),
        })),
      });
      const links = async () =>
        (await account.a.keychain.client().call('circle', { query: {} })).links.length;
      const before = await links();
      const errors = await both(
        (finish) => ({ ...finish, wraps: forged(finish.wraps) }),
        (r, res) => (isGet('/v1/keys')(r) ? forged(res) : undefined),
        async (d) => {
          await signIn(d, 'K1');
          await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
        },
      );
      expect(errors[0]).toBeInstanceOf(KeychainError);
      expect(errors[0]!.code).toBe('circle-invalid');
      expect([errors[0]!.code, errors[0]!.message]).toEqual([errors[1]!.code, errors[1]!.message]);
      expect(await links()).toBe(before);
    });

    it('a server that folds nothing it was asked for: the device asks for each apart and restores', async () => {
      proxy().tamper = (r, res) =>
        isFinish(r)
          ? {
              accountId: res.accountId,
              deviceId: res.deviceId,
              session: res.session,
              deviceStatus: res.deviceStatus,
            }
          : undefined;
      const d = await device();
      try {
        await signIn(d, 'N1');
      } finally {
        proxy().tamper = null;
      }
      await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
      await syncRound(d.keychain);
      expect(entries(d)).toBe(4);
      const session = d.keychain.requireState().session;
      const own = proxy()
        .requests.filter((r) => r.session === session)
        .map((r) => `${r.method} ${r.path.split('?')[0]}`);
      expect(own).toContain('GET /v1/circle');
      expect(own).toContain('GET /v1/keys');
    });
  },
);
