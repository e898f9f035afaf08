// Freshness after a removal (docs/PROTOCOL.md §7, docs/SECURITY.md "Freshness after removal"): a
// malicious server that also holds a removed device's keys plays the attacker through a tampering
// proxy in front of the real server. It shows new devices the circle as it was before the removal,
// with the genuine wraps of that time, and injects items sealed under the old epoch. Real devices
// holding the current credentials must refuse every one of these, and post nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encryptItem,
  fromB64u,
  wrapVaultKey,
  keychainStatus,
  login,
  recoverWithPin,
  recoverWithRecoveryKey,
  removeDevice,
  awaitApproval,
  rotateRecoveryKey,
  signup,
  syncRound,
  setPin,
  takeUnshownNotices,
  type CircleLink,
} from '../../src/keychain/index.js';
import { totpEntry } from '../fixtures.js';
import {
  approveJoin,
  device,
  isGet,
  refused,
  refusedUndecryptable,
  restoredDevice,
  useProxiedServer,
  type Json,
} from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe('after a removal, a server holding the removed device keys', () => {
  const proxy = useProxiedServer();
  let a: Device;
  let b: Device;
  let c: Device;
  const email = 'fresh@example.com';
  const password = 'correct horse battery staple';
  const pin = '4821';
  const recoveryKeys: string[] = [];
  const keep = async (rk: string) => {
    recoveryKeys.push(rk);
  };
  /** What the server kept from before the removal: the circle and the recovery and escrow wraps. */
  let before: { links: CircleLink[]; head: Json; recovery: Json[]; escrow: Json[] };

  /** Serves the pre-removal circle and wraps to whoever asks (set before the victim signs in). */
  const showPreRemovalView = (
    extra: (req: { method: string; path: string }) => Json | undefined = () => undefined,
  ) => {
    proxy.tamper = (req) => {
      if (isGet('/v1/circle')(req)) {
        const since = Number(new URL(req.path, 'http://x').searchParams.get('since') ?? -1);
        return { links: before.links.filter((l) => l.seq > since), head: before.head };
      }
      if (isGet('/v1/keys?recipient=recovery')(req)) return { wraps: before.recovery };
      if (isGet('/v1/keys?recipient=escrow')(req)) return { wraps: before.escrow };
      return extra(req);
    };
  };
  const postsSince = (start: number) =>
    proxy.requests.slice(start).filter((r) => r.method === 'POST' && r.path === '/v1/circle');
  const newDevice = async (name: string) => {
    const d = await device();
    await login(d.keychain, { server: proxy.url, email, password, deviceName: name });
    return d;
  };

  beforeAll(async () => {
    a = await device();
    for (let n = 0; n < 3; n++) await a.vault.add(totpEntry(n));
    await signup(a.keychain, { server: proxy.url, email, password, deviceName: 'A', keepRecoveryKey: keep });
    await setPin(a.keychain, pin);
    await syncRound(a.keychain);
    b = await restoredDevice(proxy.url, { email, password }, recoveryKeys[0]!, 'B (to be lost)');
    expect(b.vault.entries()).toHaveLength(3);

    const client = a.keychain.client();
    const circle = await client.call('circle', { query: {} });
    before = {
      links: circle.links as CircleLink[],
      head: circle.head!,
      recovery: (await client.call('keys', { query: { recipient: 'recovery' } })).wraps,
      escrow: (await client.call('keys', { query: { recipient: 'escrow' } })).wraps,
    };
    // B is lost: A removes it, replacing the recovery key and keeping the PIN under a new escrow key.
    await removeDevice(a.keychain, b.keychain.requireState().deviceId, { keepRecoveryKey: keep, pin });
    expect(a.keychain.requireTrusted().circle!.epoch).toBe(2);
    expect(recoveryKeys).toHaveLength(2);
  });

  /**
   * The thief's wraps: B's epoch-1 vault key wrapped to a public key the real circle names now
   * (anyone can wrap to a public key), so the old view comes with a wrap the current credential opens.
   */
  const thiefWrap = (recipientId: 'recovery' | 'escrow') => {
    const current = a.keychain.requireTrusted().circle!;
    const pub = recipientId === 'recovery' ? current.recoveryPub : current.escrowPub!;
    const wrapped = wrapVaultKey({
      accountId: a.keychain.requireState().accountId,
      recipientId,
      epoch: 1,
      vk: b.keychain.vaultKeyFor(1)!,
      recipientPub: fromB64u(pub),
    });
    return [{ recipientId, epoch: 1, wrapped }];
  };

  it('a device recovering with the current recovery key refuses the pre-removal view', async () => {
    before.recovery = thiefWrap('recovery');
    showPreRemovalView();
    const start = proxy.requests.length;
    const victim = await newDevice('C (fork, recovery key)');
    await refused(
      recoverWithRecoveryKey(victim.keychain, recoveryKeys[1]!),
      'recovery-key-invalid',
      /not the current recovery key of the keychain the server shows: .* old view from before this key was made/,
    );
    proxy.tamper = null;
    expect(postsSince(start)).toEqual([]);
    expect(victim.keychain.requireState().status).toBe('pending');
    expect(victim.keychain.requireState().vaultKeys).toEqual({});
  });

  it('the replaced recovery key is told when it was replaced, and the current one restores everything', async () => {
    const start = proxy.requests.length;
    const late = await newDevice('C (old key)');
    const today = new Date().toISOString().slice(0, 10);
    await refused(
      recoverWithRecoveryKey(late.keychain, recoveryKeys[0]!),
      'recovery-key-replaced',
      new RegExp(
        `^This recovery key was replaced on ${today} \\(circle link \\d+\\); use the newer recovery key`,
      ),
    );
    expect(postsSince(start)).toEqual([]);
    c = await newDevice('C');
    await recoverWithRecoveryKey(c.keychain, recoveryKeys[1]!);
    await syncRound(c.keychain);
    expect(
      c.vault
        .entries()
        .map((e) => e.issuer)
        .sort(),
    ).toEqual(['Issuer 0', 'Issuer 1', 'Issuer 2']);
    // The server retired the old recovery wraps: only the current epoch's is left.
    const wraps = (await c.keychain.client().call('keys', { query: { recipient: 'recovery' } })).wraps;
    expect(wraps.map((w) => w.epoch)).toEqual([2]);
  });

  it('a device recovering with the PIN refuses the pre-removal view (the escrow now holds a new key)', async () => {
    before.escrow = thiefWrap('escrow');
    showPreRemovalView();
    const start = proxy.requests.length;
    const victim = await newDevice('D (fork, PIN)');
    await refused(
      recoverWithPin(victim.keychain, pin),
      'circle-invalid',
      /^The escrow key does not match the one the circle names: the PIN was changed after the view of the keychain this server shows/,
    );
    proxy.tamper = null;
    expect(postsSince(start)).toEqual([]);
    expect(victim.keychain.requireState().vaultKeys).toEqual({});
    // The same PIN on the genuine keychain still works.
    const honest = await newDevice('D');
    await recoverWithPin(honest.keychain, pin);
    await syncRound(honest.keychain);
    expect(honest.vault.entries()).toHaveLength(3);
  });

  /**
   * C adds entry `n` ("Genuine n", a real new version on the server); returns it with B's forgery
   * for it: a record labelled `issuer`, sealed under the epoch-1 vault key the removed B holds.
   */
  const forgeryOf = async (n: number, issuer: string) => {
    const added = await c.vault.add(totpEntry(n, { issuer: `Genuine ${n}` }));
    await syncRound(c.keychain);
    const forged = b.vault.records()[0]!;
    const record = { ...forged, entry: { ...forged.entry, id: added.id, issuer } };
    const accountId = a.keychain.requireState().accountId;
    const vk = b.keychain.vaultKeyFor(1)!;
    return { added, ciphertext: encryptItem({ accountId, id: added.id, epoch: 1, vk, record }) };
  };

  it('an item sealed under the old epoch with the removed device key is refused, recorded and shown', async () => {
    // C adds an entry (a real new version on the server); the server swaps in B's forgery for it.
    const { added, ciphertext } = await forgeryOf(7, 'Injected by B');
    let forgedItem: Json | undefined;
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req)
        ? {
            ...res,
            items: res.items.map((i: Json) =>
              i.id === added.id ? (forgedItem = { ...i, epoch: 1, ciphertext }) : i,
            ),
          }
        : undefined;
    await syncRound(a.keychain);
    expect(a.vault.entries().map((e) => e.issuer)).not.toContain('Injected by B');
    expect(a.vault.get(added.id)).toBeUndefined();
    // A second try in a later round: the same forged copy (same id and version) served again. The
    // refusal is remembered as a refusal, not as a copy this device held before the rotation.
    expect(forgedItem).toBeDefined();
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req) ? { ...res, items: [...res.items, forgedItem] } : undefined;
    await syncRound(a.keychain);
    proxy.tamper = null;
    expect(a.vault.entries().map((e) => e.issuer)).not.toContain('Injected by B');
    expect(a.vault.get(added.id)).toBeUndefined();
    const message =
      /^Refused item .* sealed under key epoch 1, older than the current epoch 2, .* Nothing was merged\.$/;
    expect(keychainStatus(a.keychain).lastError).toMatch(message);
    const shown = await takeUnshownNotices(a.keychain);
    // One notice per refused attempt: the first serving and the second try.
    expect(shown.filter((n) => n.kind === 'item-refused').map((n) => n.data.message)).toEqual([
      expect.stringMatching(message),
      expect.stringMatching(message),
    ]);
    // Shown once; the genuine entry arrives with its next change.
    expect((await takeUnshownNotices(a.keychain)).filter((n) => n.kind === 'item-refused')).toEqual([]);
    await c.vault.rename(added.id, { account: 'again' });
    await syncRound(c.keychain);
    await syncRound(a.keychain);
    expect(a.vault.get(added.id)).toMatchObject({ issuer: 'Genuine 7', account: 'again' });
  });

  // SECURITY.md "Items are bound to their place": the server cannot relabel an item's epoch. The
  // removed device's forgery above, labelled with the current epoch so that the monotonic-epoch
  // rule lets it through, must still be refused: the item binds its epoch (AAD and key).
  it('the same forgery relabelled with the current epoch is refused, nothing applied', async () => {
    const current = a.keychain.requireTrusted().circle!.epoch;
    expect(current).toBeGreaterThan(1);
    const { added, ciphertext } = await forgeryOf(8, 'Relabelled by B');
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req)
        ? {
            ...res,
            items: res.items.map((i: Json) => (i.id === added.id ? { ...i, epoch: current, ciphertext } : i)),
          }
        : undefined;
    await refusedUndecryptable(syncRound(a.keychain));
    proxy.tamper = null;
    expect(a.vault.entries().map((e) => e.issuer)).not.toContain('Relabelled by B');
    await syncRound(a.keychain);
    expect(a.vault.get(added.id)).toMatchObject({ issuer: 'Genuine 8' });
  });

  it('a device that missed a rotation is refused its old-epoch push and re-encrypts under the new key', async () => {
    await syncRound(c.keychain);
    const id = c.vault.entries()[0]!.id;
    await c.vault.rename(id, { account: 'edited before hearing of the rotation' });
    await rotateRecoveryKey(a.keychain, { keepRecoveryKey: keep });
    expect(a.keychain.requireTrusted().circle!.epoch).toBe(3);
    // Until C pushes, the server shows it neither the rotation nor the items re-encrypted under it
    // (C fetched both just before the rotation landed).
    let hiding = true;
    const knownHead = c.keychain.requireState().circle!.head;
    proxy.tamper = (req, res) => {
      if (req.method === 'POST' && req.path === '/v1/items') hiding = false;
      if (!hiding) return undefined;
      if (isGet('/v1/circle')(req)) return { links: [], head: knownHead };
      if (isGet('/v1/items')(req)) return { ...res, items: res.items.filter((i: Json) => i.epoch < 3) };
      return undefined;
    };
    const start = proxy.requests.length;
    await syncRound(c.keychain);
    proxy.tamper = null;
    const pushes = proxy.requests
      .slice(start)
      .filter((r) => r.method === 'POST' && r.path === '/v1/items')
      .map((r) => (r.body!.items as Json[]).map((i) => i.epoch));
    expect(pushes).toEqual([[2], [3]]);
    await syncRound(a.keychain);
    expect(a.vault.get(id)!.account).toBe('edited before hearing of the rotation');
    // The recovery key from before the rotation is retired and told so; the new one is current.
    const late = await newDevice('E');
    await refused(
      recoverWithRecoveryKey(late.keychain, recoveryKeys[1]!),
      'recovery-key-replaced',
      /was replaced on/,
    );
    await recoverWithRecoveryKey(late.keychain, recoveryKeys[2]!);
    await syncRound(late.keychain);
    expect(late.vault.get(id)!.account).toBe('edited before hearing of the rotation');
  });

  it('a removal without the PIN deletes its realm records: the pre-removal view gets no PIN path either', async () => {
    await removeDevice(a.keychain, c.keychain.requireState().deviceId, { keepRecoveryKey: keep });
    expect(a.keychain.requireTrusted().circle!.escrowPub).toBeNull();
    showPreRemovalView();
    const start = proxy.requests.length;
    const victim = await newDevice('F (fork, PIN off)');
    await refused(
      recoverWithPin(victim.keychain, pin),
      'circle-invalid',
      /^The escrow key does not match the one the circle names: the PIN was changed after the view/,
    );
    proxy.tamper = null;
    expect(postsSince(start)).toEqual([]);
  });
  it('a device the user approves refuses the pre-removal view: the true head comes through the channel', async () => {
    const victim = await device();
    const joined = await login(victim.keychain, {
      server: proxy.url,
      email,
      password,
      deviceName: 'G (fork, approval)',
    });
    const session = victim.keychain.requireState().session;
    // Only the new device is shown the old circle; the approving device sees the real one.
    proxy.tamper = (req) => {
      if (req.session !== session || !isGet('/v1/circle')(req)) return undefined;
      const since = Number(new URL(req.path, 'http://x').searchParams.get('since') ?? -1);
      return { links: before.links.filter((l) => l.seq > since), head: before.head };
    };
    const start = proxy.requests.length;
    await refused(
      approveJoin(a, victim, joined.verificationCode, { nameDevice: true }),
      'circle-rollback',
      /does not contain the head the approving device sent .*older or forked circle/,
    );
    const victimPosts = proxy.requests
      .slice(start)
      .filter((r) => r.session === session && r.method === 'POST' && r.path !== '/v1/join');
    expect(victimPosts).toEqual([]);
    expect(victim.keychain.requireState().status).toBe('pending');
    expect(victim.keychain.requireState().vaultKeys).toEqual({});
    // Shown the real circle, the same approval completes: the channel's head is the genuine one.
    proxy.tamper = null;
    await awaitApproval(victim.keychain, { pollMs: 10 });
    await syncRound(victim.keychain);
    expect(victim.keychain.requireTrusted().circle!.epoch).toBe(a.keychain.requireTrusted().circle!.epoch);
    expect(victim.vault.entries().length).toBe(a.vault.entries().length);
  });
});
