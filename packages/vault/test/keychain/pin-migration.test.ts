// Migration of PINs set before escrow realms (docs/PROTOCOL.md §11): a PIN held by the legacy
// OPAQUE escrow still restores, and that first use sets it again at the server's realms, after which
// the legacy record is gone and the PIN goes through the realms. The legacy PIN is made the way an
// older server made it: a proxy in front of the real server hides the realms from /v1/meta.
import { beforeAll, describe, expect, it } from 'vitest';
import { keychainStatus, login, recoverWithPin, setPin, syncRound } from '../../src/keychain/index.js';
import { device, isGet, useProxiedAccount } from './tampering-proxy.js';

describe('a PIN set before realms', () => {
  const email = 'legacy-pin@example.com';
  const password = 'correct horse battery staple';
  const pin = '730415';
  const { proxy, a } = useProxiedAccount({ email, password, entries: 2 });

  const pendingDevice = async (name: string) => {
    const d = await device();
    await login(d.keychain, { server: proxy.url, email, password, deviceName: name });
    return d;
  };
  const pathsSince = (start: number) => proxy.requests.slice(start).map((r) => `${r.method} ${r.path}`);

  beforeAll(async () => {
    // An older server: no realms announced, so the PIN goes to the legacy escrow.
    proxy.tamper = (req, res) => (isGet('/v1/meta')(req) ? { ...res, escrowRealms: undefined } : undefined);
    await setPin(a.keychain, pin);
    proxy.tamper = null;
  });

  it('is shown as the legacy escrow', () => {
    expect(a.keychain.requireTrusted().circle!.escrowRealms ?? null).toBeNull();
    expect(keychainStatus(a.keychain).pin).toMatchObject({ kind: 'legacy' });
  });

  it('restores through the legacy escrow once, and moves to the realms on the way', async () => {
    const b = await pendingDevice('B');
    const start = proxy.requests.length;
    expect(await recoverWithPin(b.keychain, pin)).toEqual({ movedToRealms: true });
    expect(pathsSince(start)).toContain('POST /v1/escrow/login/start');
    await syncRound(b.keychain);
    expect(b.vault.entries()).toHaveLength(2);
    expect(b.keychain.requireTrusted().circle!.escrowRealms).toMatchObject({ threshold: 1 });
    // The legacy escrow no longer holds the PIN; the other devices see where it is now.
    expect((await b.keychain.client().call('escrowStatus')).enabled).toBe(false);
    await syncRound(a.keychain);
    expect(keychainStatus(a.keychain).pin?.summary).toBe("1 realm, run by this server's operator");
  });

  it('then restores through the realms only', async () => {
    const c = await pendingDevice('C');
    const start = proxy.requests.length;
    expect(await recoverWithPin(c.keychain, pin)).toEqual({ movedToRealms: false });
    const paths = pathsSince(start);
    expect(paths).toContain('POST /realm/v1/realm/recover1');
    expect(paths.filter((p) => p.includes('/v1/escrow/login'))).toEqual([]);
    await syncRound(c.keychain);
    expect(c.vault.entries()).toHaveLength(2);
  });
});
