// The recovery path's sign-in (issue 14): `signInToRecover` starts no approval run, the device keys
// are written with the state in one vault write, and the join starts from the circle the sign-in just
// verified instead of fetching it again. A circle that moved in between is caught by the server's
// compare-and-swap (the join refreshes and posts again), and a recovery key replaced in between is
// checked again on a fresh view.
import { describe, expect, it } from 'vitest';
import {
  recoverWithRecoveryKey,
  renameDevice,
  rotateRecoveryKey,
  signInToRecover,
  syncRound,
} from '../../src/keychain/index.js';
import { openNodeVault } from '@tessera/vault/node';
import { Keychain, metaDeviceKeyStore } from '../../src/keychain/index.js';
import { tempHome } from '../fixtures.js';
import { device, refused, useProxiedAccount } from './tampering-proxy.js';

describe('signing in to recover', () => {
  const email = 'recover-sign-in@example.com';
  const password = 'correct horse battery staple';
  const account = useProxiedAccount({ email, password, entries: 3 });
  const { recoveryKeys } = account;
  const proxy = () => account.proxy;
  const a = () => account.a;

  /** Signs a new device in to recover; returns it and the requests and vault writes that made. */
  const signedIn = async (name: string, joinBy?: 'recovery-key') => {
    const d = await device();
    // Counted on after the sign-in too (an object, so the test reads the count at each point).
    const writes = { count: 0 };
    const updateMeta = d.vault.updateMeta.bind(d.vault);
    d.vault.updateMeta = async (patch) => {
      writes.count++;
      return updateMeta(patch);
    };
    const start = proxy().requests.length;
    await signInToRecover(d.keychain, { server: proxy().url, email, password, deviceName: name, joinBy });
    const requests = named(proxy().requests.slice(start));
    return { d, requests, writes };
  };
  const requestsDuring = async (action: () => Promise<unknown>) => {
    const start = proxy().requests.length;
    await action();
    return named(proxy().requests.slice(start));
  };
  // The sign-in also starts reading the items in the background (prefetch.ts; tested in
  // prefetch.test.ts); it reaches the proxy at no fixed point, so the sequences here leave it out.
  const named = (requests: { method: string; path: string }[]) =>
    requests.map((r) => `${r.method} ${r.path.split('?')[0]}`).filter((r) => r !== 'GET /v1/items');

  it.each([
    ['a server that folds', true, ['POST /v1/sessions/finish'], ['POST /v1/circle']],
    [
      'an older server',
      false,
      ['POST /v1/sessions/finish', 'GET /v1/circle'],
      ['GET /v1/keys', 'POST /v1/circle'],
    ],
  ])(
    '%s: posts no approval share, writes the vault once (by the join), and the join does not fetch the circle again',
    async (_, fold, signInRequests, joinRequests) => {
      proxy().fold = fold;
      let signedInB: Awaited<ReturnType<typeof signedIn>>;
      try {
        signedInB = await signedIn(fold ? 'B' : 'B0', 'recovery-key');
      } finally {
        proxy().fold = true;
      }
      const { d, requests, writes } = signedInB;
      // meta and sessions/start go out at once, so they reach the proxy in either order.
      expect([...requests.slice(0, 2)].sort()).toEqual(['GET /v1/meta', 'POST /v1/sessions/start']);
      // With the fold, the circle (and the recovery wraps) came with the sign-in's answer.
      expect(requests.slice(2)).toEqual(signInRequests);
      const finish = proxy().requests.findLast((r) => r.path === '/v1/sessions/finish')!;
      expect(finish.body!.include).toEqual(fold ? { circle: true, wraps: 'recovery' } : undefined);
      // Nothing written yet: the device keys, the state and the circle land in the join's one write.
      expect(writes.count).toBe(0);
      const state = d.keychain.requireState();
      expect(state.status).toBe('pending');
      expect(state.join).toBeUndefined();
      expect(await requestsDuring(() => recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!))).toEqual(
        joinRequests,
      );
      expect(writes.count).toBe(1);
      expect(d.vault.getMeta('deviceKeys')).toBeDefined();
      d.keychain.reload();
      expect(d.keychain.requireTrusted().deviceId).toBe(state.deviceId);
      await syncRound(d.keychain);
      expect(d.vault.entries()).toHaveLength(3);
    },
  );

  it('a join that fails writes the sign-in, so it can be tried again without signing in again', async () => {
    const { d, writes } = await signedIn('F');
    // A server that withholds the recovery wrap: the join fails on the circle the sign-in verified,
    // before any other fetch or write of its own.
    proxy().tamper = (r, body) => (r.path.startsWith('/v1/keys') ? { ...body, wraps: [] } : undefined);
    try {
      const requests = await requestsDuring(() =>
        refused(
          recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!),
          'circle-invalid',
          /holds no recovery wrap/,
        ),
      );
      expect(requests).toEqual(['GET /v1/keys']);
    } finally {
      proxy().tamper = null;
    }
    expect(writes.count).toBe(1);
    // As a new process would see it: the pending sign-in with its keys, ready to try again.
    d.keychain.reload();
    expect(d.keychain.requireState().status).toBe('pending');
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    expect(d.keychain.requireTrusted().deviceName).toBe('F');
  });

  it("sends the sign-in's first message without waiting for meta: one round trip for both", async () => {
    const vault = await openNodeVault({
      home: tempHome(),
      env: { ...process.env, TESSERA_KEY_STORE: 'file' },
    });
    const events: string[] = [];
    const keychain = new Keychain({
      host: vault,
      deviceKeys: metaDeviceKeyStore(vault),
      clientId: 'tessera-cli/0.2.0',
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        events.push(`sent ${path}`);
        const res = await fetch(input, init);
        events.push(`answered ${path}`);
        return res;
      },
    });
    await signInToRecover(keychain, { server: proxy().url, email, password, deviceName: 'M' });
    expect(events.indexOf('sent /v1/sessions/start')).toBeLessThan(events.indexOf('answered /v1/meta'));
    expect(events.indexOf('sent /v1/meta')).toBeLessThan(events.indexOf('answered /v1/sessions/start'));
    // The server's OPAQUE key from meta was still checked: the sign-in finished.
    expect(keychain.requireState().status).toBe('pending');
  });

  it('a circle that moved after the sign-in: the link is refused, the join refreshes and succeeds', async () => {
    const { d } = await signedIn('C');
    await renameDevice(a().keychain, { deviceId: a().keychain.requireState().deviceId, name: 'A (renamed)' });
    const requests = await requestsDuring(() => recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!));
    expect(requests.filter((r) => r === 'POST /v1/circle')).toHaveLength(2);
    expect(
      d.keychain.requireTrusted().circle!.devices[a().keychain.requireState().deviceId]!.device.name,
    ).toBe('A (renamed)');
  });

  it('a recovery key replaced after the sign-in is checked again on a fresh view', async () => {
    const { d } = await signedIn('D');
    await rotateRecoveryKey(a().keychain, { keepRecoveryKey: async (rk) => void recoveryKeys.push(rk) });
    const requests = await requestsDuring(() => recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!));
    expect(requests[0]).toBe('GET /v1/circle');
    expect(d.keychain.requireTrusted().circle!.recoveryPub).toBe(
      a().keychain.requireTrusted().circle!.recoveryPub,
    );
    await syncRound(d.keychain);
    expect(d.vault.entries()).toHaveLength(3);
  });
});
