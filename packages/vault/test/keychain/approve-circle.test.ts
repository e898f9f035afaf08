// The approving device builds its add-device link on the circle it verified at the start of the
// approval, not on a second fetch of it (issue 14). A circle that moved in between is refused by the
// server's compare-and-swap; the approval then refreshes, verifies and posts again.
import { describe, expect, it } from 'vitest';
import {
  approve,
  awaitApproval,
  login,
  recoverWithRecoveryKey,
  renameDevice,
  signInToRecover,
  syncRound,
} from '../../src/keychain/index.js';
import { device, useProxiedAccount } from './tampering-proxy.js';

describe('approving a device', () => {
  const email = 'approve-circle@example.com';
  const password = 'correct horse battery staple';
  const account = useProxiedAccount({ email, password, entries: 3 });
  const proxy = () => account.proxy;
  const a = () => account.a;

  /** Requests of device A (by its session) from `start` on, as "METHOD /path". */
  const byA = (start: number) =>
    proxy()
      .requests.slice(start)
      .filter((r) => r.session === a().keychain.requireState().session)
      .map((r) => `${r.method} ${r.path.split('?')[0]}`);

  it('fetches the circle once and posts the link once', async () => {
    const d = await device();
    const joined = await login(d.keychain, { server: proxy().url, email, password, deviceName: 'N' });
    const start = proxy().requests.length;
    await Promise.all([
      approve(a().keychain, { code: joined.verificationCode, pollMs: 10 }),
      awaitApproval(d.keychain, { pollMs: 10 }),
    ]);
    const requests = byA(start);
    expect(requests.filter((r) => r === 'GET /v1/circle')).toHaveLength(1);
    expect(requests.filter((r) => r === 'POST /v1/circle')).toHaveLength(1);
    await syncRound(d.keychain);
    expect(d.vault.entries()).toHaveLength(3);
  });

  it('a circle that moved during the approval: the link is refused, the approval refreshes and posts again', async () => {
    // Another trusted device renames itself while A waits for the new device's confirmation.
    const t = await device();
    await signInToRecover(t.keychain, { server: proxy().url, email, password, deviceName: 'T' });
    await recoverWithRecoveryKey(t.keychain, account.recoveryKeys.at(-1)!);
    const d = await device();
    const joined = await login(d.keychain, { server: proxy().url, email, password, deviceName: 'M' });
    const start = proxy().requests.length;
    const approving = approve(a().keychain, {
      code: joined.verificationCode,
      deviceId: d.keychain.requireState().deviceId,
      pollMs: 10,
    });
    // A has written its share (slot b): its view of the circle is taken.
    while (
      !proxy()
        .requests.slice(start)
        .some((r) => r.method === 'POST' && r.body?.slot === 'b')
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    await renameDevice(t.keychain, { deviceId: t.keychain.requireState().deviceId, name: 'T (renamed)' });
    await Promise.all([approving, awaitApproval(d.keychain, { pollMs: 10 })]);
    expect(byA(start).filter((r) => r === 'POST /v1/circle')).toHaveLength(2);
    const circle = d.keychain.requireTrusted().circle!;
    expect(circle.devices[t.keychain.requireState().deviceId]!.device.name).toBe('T (renamed)');
    expect(circle.devices[d.keychain.requireState().deviceId]!.status).toBe('trusted');
  });
});
