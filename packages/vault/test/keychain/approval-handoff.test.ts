// The approval's hand-offs (issue 14). The new device's sign-in saves its state while it fetches the
// circle and posts its CPace share, then keeps the circle for `status`; the trusted device sends the
// sealed delivery while it saves its own copy of the new circle, not after that whole-vault write. Real
// server behind the tampering proxy (untouched here), real Node vaults.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  approve,
  awaitApproval,
  Keychain,
  login,
  metaDeviceKeyStore,
  syncRound,
} from '../../src/keychain/index.js';
import { approvalAccount, device, isGet, type TamperingProxy } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

const ENTRIES = 20;

describe('an approval', () => {
  const { account, waiting } = approvalAccount('handoff@example.com', ENTRIES);
  let proxy: TamperingProxy;
  let a: Device;
  const { email, password } = account;
  beforeAll(() => {
    ({ proxy, a } = account);
  });

  it('the waiting device has saved its run, its share is posted, and its saved state shows the circle', async () => {
    const d = await device();
    let writes = 0;
    const updateMeta = d.vault.updateMeta.bind(d.vault);
    d.vault.updateMeta = async (patch) => {
      writes++;
      return updateMeta(patch);
    };
    const asked = proxy.requests.length;
    const { verificationCode, deviceId } = await login(d.keychain, {
      server: proxy.url,
      email,
      password,
      deviceName: 'W',
    });
    const posted = proxy.requests
      .slice(asked)
      .filter((r) => r.method === 'POST' && r.path.startsWith('/v1/join'));
    expect(posted.map((r) => r.body?.slot)).toEqual(['a']);
    expect(posted[0]!.body?.deviceId).toBe(deviceId);
    d.keychain.reload();
    const saved = d.keychain.requireState();
    expect(saved.join?.code).toBe(verificationCode);
    expect(saved.join?.share).toBe(posted[0]!.body?.body);
    expect(saved.circle?.devices[a.keychain.requireState().deviceId]?.status).toBe('trusted');
    // The circle came with the sign-in's answer (PROTOCOL §5 "Sign-in answers folded").
    expect(proxy.requests.slice(asked).filter(isGet('/v1/circle'))).toHaveLength(0);
    // Keys, run and verified circle in one vault write (issue 14).
    expect(writes).toBe(1);
  });

  it("the new device gets the approval's delivery while the approving device still saves its circle", async () => {
    const { d, verificationCode, deviceId } = await waiting('D');
    // A knows the circle as it is, so the approval's only vault write is the one after its link.
    await syncRound(a.keychain);
    // A's vault writes wait until D is trusted: a delivery sent only after A's save would never come.
    let trusted: () => void = () => undefined;
    const dTrusted = new Promise<void>((resolve) => (trusted = resolve));
    const updateMeta = a.vault.updateMeta.bind(a.vault);
    let held = 0;
    a.vault.updateMeta = async (...args) => {
      held++;
      await dTrusted;
      return updateMeta(...args);
    };
    try {
      await Promise.all([
        approve(a.keychain, { code: verificationCode, deviceId, pollMs: 10 }),
        awaitApproval(d.keychain, { pollMs: 10 }).then(() => trusted()),
      ]);
    } finally {
      a.vault.updateMeta = updateMeta;
    }
    expect(held).toBeGreaterThan(0);
    expect(d.keychain.requireState().status).toBe('trusted');
    a.keychain.reload();
    expect(a.keychain.requireTrusted().circle?.devices[deviceId]?.status).toBe('trusted');
    await syncRound(d.keychain);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });

  it('a device stopped after posting its confirmation, before saving its seal key, finishes the run', async () => {
    const { d, verificationCode, deviceId } = await waiting('S');
    await syncRound(a.keychain);
    // D's write of its seal key fails (it stops there); the confirmation it sent meanwhile arrives.
    const updateMeta = d.vault.updateMeta.bind(d.vault);
    d.vault.updateMeta = async () => {
      throw new Error('stopped');
    };
    const approving = approve(a.keychain, { code: verificationCode, deviceId, pollMs: 10 });
    await expect(awaitApproval(d.keychain, { pollMs: 10 })).rejects.toThrow('stopped');
    d.vault.updateMeta = updateMeta;
    await approving;
    // The next start of D: what its vault holds, the run without a seal key.
    const again = new Keychain({
      host: d.vault,
      deviceKeys: metaDeviceKeyStore(d.vault),
      clientId: 'tessera-cli/0.2.0',
    });
    expect(again.requireState().join?.sealKey).toBeUndefined();
    await awaitApproval(again, { pollMs: 10 });
    expect(again.requireState().status).toBe('trusted');
    await syncRound(again);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });
});
