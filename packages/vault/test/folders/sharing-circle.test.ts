// The account's sharing key in its circle (docs/PROTOCOL.md §12.1) through the real server: made
// lazily by one device, opened by the others, replaced by a removal (a new key under the new vault
// key, so a device that only ever held that key opens it), and refused when a tampering proxy swaps it.
import { describe, expect, it } from 'vitest';
import { ensureSharingKey, login, removeDevice, signup, syncRound } from '../../src/keychain/index.js';
import { sharingKey } from '../../src/folders/index.js';
import { approveJoin, device, isGet, refused, useProxiedServer } from '../keychain/tampering-proxy.js';

describe('the sharing key in the circle', () => {
  const proxy = useProxiedServer();
  const password = 'correct horse battery staple';
  const keep = async () => {};

  it('is made once, opened by every device, and re-sealed by a device removal', async () => {
    const a = await device();
    const b = await device();
    const email = `s${Date.now()}@example.com`;
    await signup(a.keychain, { server: proxy.url, email, password, deviceName: 'A', keepRecoveryKey: keep });
    const joinB = await login(b.keychain, { server: proxy.url, email, password, deviceName: 'B' });
    await approveJoin(a, b, joinB.verificationCode);
    await syncRound(b.keychain);

    const made = await ensureSharingKey({ keychain: a.keychain });
    const opened = await ensureSharingKey({ keychain: b.keychain });
    expect(opened.public).toEqual(made.public);
    expect(opened.seed).toEqual(made.seed);
    expect(a.keychain.requireState().circle!.sharing!.epoch).toBe(1);

    await removeDevice(a.keychain, b.keychain.requireState().deviceId, { keepRecoveryKey: keep });
    const circle = a.keychain.requireState().circle!;
    expect(circle.epoch).toBe(2);
    // B kept the old seed: the removal made a NEW sharing key, signed over by the old one.
    const replaced = await ensureSharingKey({ keychain: a.keychain });
    expect(replaced.public).not.toEqual(made.public);
    expect(circle.sharing).toMatchObject({ ...replaced.public, epoch: 2 });
    expect(circle.retiredSharing).toMatchObject([{ ...made.public, next: replaced.public }]);

    // A device joining now gets only the epoch-2 vault key, and opens the new sharing key.
    const c = await device();
    const joinC = await login(c.keychain, { server: proxy.url, email, password, deviceName: 'C' });
    await approveJoin(a, c, joinC.verificationCode);
    await syncRound(c.keychain);
    expect(Object.keys(c.keychain.requireState().vaultKeys)).toEqual(['2']);
    expect((await ensureSharingKey({ keychain: c.keychain })).public).toEqual(replaced.public);
  });

  it('refuses a sharing key the server swapped into the circle', async () => {
    const a = await device();
    const email = `t${Date.now()}@example.com`;
    await signup(a.keychain, { server: proxy.url, email, password, deviceName: 'A', keepRecoveryKey: keep });
    const fresh = await device();
    const join = await login(fresh.keychain, { server: proxy.url, email, password, deviceName: 'F' });
    await approveJoin(a, fresh, join.verificationCode);
    await ensureSharingKey({ keychain: a.keychain });
    const stranger = sharingKey().public;
    proxy.tamper = (req, res) =>
      isGet('/v1/circle')(req) && req.session === fresh.keychain.requireState().session
        ? {
            ...res,
            links: res.links.map((l: { op: string; sharing?: object }) =>
              l.op === 'sharing-key' ? { ...l, sharing: { ...l.sharing, ...stranger } } : l,
            ),
          }
        : undefined;
    await refused(syncRound(fresh.keychain), 'circle-invalid', /not signed by the circle key/);
    proxy.tamper = null;
  });
});
