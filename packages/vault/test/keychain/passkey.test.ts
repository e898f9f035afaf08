// Passkeys for restore (docs/PROTOCOL.md §8) against the real server, through a tampering proxy that
// plays the server: the PRF output of a WebAuthn credential (here: 32 random bytes standing in for
// it; the browser test runs a real virtual authenticator) restores a new device, survives key
// rotation without being asked for, and the server can neither swap its wrap nor forge its anchor.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addPasskey,
  applyLinks,
  b64u,
  buildLink,
  circleKey,
  fetchNotices,
  fromB64u,
  linkHash,
  listPasskeys,
  login,
  newVaultKey,
  passkeyEntry,
  passkeySigningKey,
  randomBytes,
  recoverWithPasskey,
  removeDevice,
  removePasskey,
  rotateRecoveryKey,
  syncRound,
  wrapVaultKey,
  type CircleLink,
} from '../../src/keychain/index.js';
import { device, isGet, refused, useProxiedAccount } from './tampering-proxy.js';

describe('passkeys for restore', () => {
  const email = 'passkey@example.com';
  const password = 'correct horse battery staple';
  const passkey = { credentialId: randomBytes(48), prf: randomBytes(32) };
  const keep = async () => undefined;
  const { proxy, a } = useProxiedAccount({ email, password, entries: 3 });
  const newDevice = async (name: string) => {
    const d = await device();
    await login(d.keychain, { server: proxy.url, email, password, deviceName: name });
    return d;
  };
  const postsSince = (start: number) =>
    proxy.requests.slice(start).filter((r) => r.method === 'POST' && r.path === '/v1/circle');
  const recipient = `passkey:${passkeyEntry({ ...passkey, name: 'x' }).id}`;

  beforeAll(async () => {
    await addPasskey(a.keychain, { ...passkey, name: 'Phone passkey' });
  });

  it('a new device restores every entry with the passkey alone; every device is told', async () => {
    expect(listPasskeys(a.keychain).map((p) => p.name)).toEqual(['Phone passkey']);
    const b = await newDevice('B');
    await recoverWithPasskey(b.keychain, passkey);
    await syncRound(b.keychain);
    expect(
      b.vault
        .entries()
        .map((e) => e.issuer)
        .sort(),
    ).toEqual(['Issuer 0', 'Issuer 1', 'Issuer 2']);
    expect(b.keychain.requireTrusted().circle!.devices[b.keychain.requireState().deviceId]!.via).toBe(
      'passkey',
    );
    expect((await fetchNotices(a.keychain)).map((n) => n.kind)).toContain('passkey-used');
  });

  it('another credential, or the right one with another PRF output, restores nothing', async () => {
    const c = await newDevice('C');
    await refused(
      recoverWithPasskey(c.keychain, { credentialId: randomBytes(48), prf: passkey.prf }),
      'recovery-key-invalid',
      /not registered for restore in this keychain/,
    );
    await refused(
      recoverWithPasskey(c.keychain, { credentialId: passkey.credentialId, prf: randomBytes(32) }),
      'circle-invalid',
      /passkey entry this passkey did not sign/,
    );
  });

  it('refuses a wrap the server swapped for its own vault key, and posts nothing', async () => {
    const state = a.keychain.requireTrusted();
    const forged = wrapVaultKey({
      accountId: state.accountId,
      recipientId: recipient,
      epoch: state.circle!.epoch,
      vk: newVaultKey(),
      recipientPub: fromB64u(listPasskeys(a.keychain)[0]!.encPub),
    });
    proxy.tamper = (req) =>
      isGet(`/v1/keys?recipient=${encodeURIComponent(recipient)}`)(req) ||
      isGet(`/v1/keys?recipient=${recipient}`)(req)
        ? { wraps: [{ recipientId: recipient, epoch: state.circle!.epoch, wrapped: forged }] }
        : undefined;
    const start = proxy.requests.length;
    const c = await newDevice('C (swapped wrap)');
    await refused(
      recoverWithPasskey(c.keychain, passkey),
      'circle-invalid',
      /does not match the circle's signing key/,
    );
    proxy.tamper = null;
    expect(postsSince(start)).toEqual([]);
  });

  it('refuses a keychain of the server own whose passkey anchor it forged, and posts nothing', async () => {
    // The server's own keychain names the real passkey public keys, but cannot sign with the passkey.
    const real = listPasskeys(a.keychain)[0]!;
    const fakeKey = circleKey(newVaultKey());
    const fakeDevice = {
      id: crypto.randomUUID(),
      name: 'server',
      encPub: b64u(randomBytes(32)),
      signPub: b64u(randomBytes(32)),
    };
    const genesis = buildLink(null, {
      op: 'genesis',
      by: fakeDevice.id,
      device: fakeDevice,
      via: 'genesis',
      recoveryPub: b64u(randomBytes(32)),
      signer: fakeKey,
      nextCirclePub: fakeKey.publicKey,
    });
    const s0 = applyLinks(null, [genesis]);
    const { addedAt: _a, ...entry } = real;
    const forgedAnchor = buildLink(s0, {
      op: 'add-passkey',
      by: fakeDevice.id,
      passkey: entry,
      signer: fakeKey,
      passkeyAnchor: passkeySigningKey(randomBytes(32)),
    });
    const links: CircleLink[] = [genesis, forgedAnchor];
    proxy.tamper = (req) =>
      isGet('/v1/circle')(req) ? { links, head: { seq: 1, hash: linkHash(forgedAnchor) } } : undefined;
    const start = proxy.requests.length;
    const c = await device();
    await refused(
      login(c.keychain, { server: proxy.url, email, password, deviceName: 'C (forged anchor)' }),
      'circle-invalid',
      /is not signed by the passkey.signPub it names/,
    );
    proxy.tamper = null;
    expect(postsSince(start)).toEqual([]);
    expect(proxy.requests.slice(start).some((r) => r.path.startsWith('/v1/keys'))).toBe(false);
  });

  it('a key rotation re-wraps to the passkey without asking for it', async () => {
    await rotateRecoveryKey(a.keychain, { keepRecoveryKey: keep });
    const epoch = a.keychain.requireTrusted().circle!.epoch;
    const wraps = (await a.keychain.client().call('keys', { query: { recipient } })).wraps;
    expect(wraps.map((w) => w.epoch)).toEqual([epoch]);
    const d = await newDevice('D');
    await recoverWithPasskey(d.keychain, passkey);
    await syncRound(d.keychain);
    expect(d.vault.entries()).toHaveLength(3);
  });

  it('a removed passkey, and every passkey after a device removal, restores nothing new', async () => {
    const second = { credentialId: randomBytes(32), prf: randomBytes(32) };
    const added = await addPasskey(a.keychain, { ...second, name: 'Security key' });
    await removePasskey(a.keychain, added.id);
    expect(listPasskeys(a.keychain).map((p) => p.name)).toEqual(['Phone passkey']);
    const e = await newDevice('E');
    await refused(
      recoverWithPasskey(e.keychain, second),
      'recovery-key-invalid',
      /not registered for restore/,
    );
    expect(
      (await a.keychain.client().call('keys', { query: { recipient: `passkey:${added.id}` } })).wraps,
    ).toEqual([]);

    // Removing a device drops the passkeys (their keys cannot be replaced without their owner's touch).
    const victim = a.keychain.requireTrusted().circle!;
    const removable = Object.values(victim.devices).find(
      (m) => m.status === 'trusted' && m.device.name === 'D',
    )!;
    await removeDevice(a.keychain, removable.device.id, { keepRecoveryKey: keep });
    expect(listPasskeys(a.keychain)).toEqual([]);
    expect((await a.keychain.client().call('keys', { query: { recipient } })).wraps).toEqual([]);
    const f = await newDevice('F');
    await refused(
      recoverWithPasskey(f.keychain, passkey),
      'recovery-key-invalid',
      /a device removal dropped it/,
    );
    const { notices } = await a.keychain.client().call('notices', { query: {} });
    const kinds = notices.map((n) => n.kind as string);
    expect(kinds).toEqual(expect.arrayContaining(['passkey-added', 'passkey-removed']));
  });
});
