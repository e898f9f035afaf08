// Flows of one keychain that run beside each other: the apps run most one at a time, but a few run
// beside the others (the web app's PIN state refresh after a reload or on the join screen, a
// sign-out), and another tab or the extension's background has a keychain object of its own.
//
// A sign-out deletes the keychain state from the vault (the web app's and the extension's: the
// session ends, the state goes). A flow of the same keychain still running then must not write the
// state back when its answer comes: the signed-out device would come back signed in, its vault keys
// and ended session saved again, showing "no longer signed in" instead of the first screen.
import { describe, expect, it } from 'vitest';
import { Keychain, KeychainError, renameDevice, syncRound } from '../../src/keychain/index.js';
import {
  approvalAccount,
  approveJoin,
  isGet,
  restoredDevice,
  upstreamAnswer,
  useProxiedAccount,
} from './tampering-proxy.js';

describe('a sign-out beside a running flow', () => {
  const email = 'sign-out@example.com';
  const password = 'correct horse battery staple';
  const { proxy, a, recoveryKeys } = useProxiedAccount({ email, password, entries: 2 });

  it('a circle answer that comes after the sign-out does not write the state back', async () => {
    const c = await restoredDevice(proxy.url, { email, password }, recoveryKeys[0]!, 'C');
    // The circle moved (A renamed C), so adopting the answer changes C's state and saves it.
    await renameDevice(a.keychain, { deviceId: c.keychain.requireState().deviceId, name: 'C, renamed' });
    const session = c.keychain.requireState().session;
    let asked!: () => void;
    const circleAsked = new Promise<void>((resolve) => (asked = resolve));
    let release!: () => void;
    const signedOut = new Promise<void>((resolve) => (release = resolve));
    // The server answers C's circle request before the sign-out; the answer arrives after it.
    proxy.intercept = (req) => {
      if (req.session !== session || !isGet('/v1/circle')(req)) return null;
      asked();
      const answer = upstreamAnswer(proxy, req);
      return signedOut.then(() => answer);
    };
    const refresh = c.keychain.refreshCircle();
    await circleAsked;
    // The web app's sign-out: the session ends, then the state leaves the vault.
    await c.keychain.client().call('logout');
    await c.vault.setMeta('keychain', undefined);
    release();
    const outcome = await refresh.then(
      () => 'adopted',
      (err: KeychainError) => err.code,
    );
    proxy.intercept = null;
    expect(c.vault.getMeta('keychain')).toBeUndefined();
    expect(outcome).toBe('not-signed-in');
    const reopened = new Keychain({
      host: c.vault,
      deviceKeys: c.keychain.deviceKeyStore,
      clientId: 'tessera-cli/0.2.0',
    });
    expect(reopened.state).toBeNull();
    // A round started after it finds no keychain either.
    await expect(syncRound(c.keychain)).rejects.toMatchObject({ code: 'not-signed-in' });
    expect(c.vault.getMeta('keychain')).toBeUndefined();
  });
});

describe('a pending device’s circle refresh beside its join', () => {
  const { account, waiting } = approvalAccount('refresh-join@example.com', 1);

  it('a refresh answered after the join adopted a newer circle asks again from it: no false rollback', async () => {
    const { d, session, verificationCode } = await waiting('D');
    let asked!: () => void;
    const circleAsked = new Promise<void>((resolve) => (asked = resolve));
    let release!: () => void;
    const joined = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    // The join screen's PIN state refresh asks for the links after the circle of the sign-in; the
    // server answers at once, and the answer arrives once the device was approved meanwhile.
    account.proxy.intercept = (req) => {
      if (held || req.session !== session || !isGet('/v1/circle?since=')(req)) return null;
      held = true;
      asked();
      const answer = upstreamAnswer(account.proxy, req);
      return joined.then(() => answer);
    };
    const refresh = d.keychain.refreshCircle();
    await circleAsked;
    await approveJoin(account.a, d, verificationCode);
    release();
    const outcome = await refresh.then(
      (circle) => circle.head,
      (err: Error) => err.message,
    );
    account.proxy.intercept = null;
    expect(outcome).toEqual(account.a.keychain.requireState().circle!.head);
    expect(d.keychain.requireTrusted().circle!.head).toEqual(account.a.keychain.requireState().circle!.head);
  });
});
