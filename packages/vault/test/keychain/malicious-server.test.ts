// A deliberately malicious server: a tampering proxy (the test double) in front of the real keychain
// server. Two real devices (Node vaults, real keys) talk to it; each attack must be refused with a
// clear error, and the vault key must never be wrapped to a device the circle does not prove.
import { beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@tessera/server';
import { canon, LABELS } from '@tessera/protocol';
import { startCpace } from '../../src/pake/index.js';
import { pad } from '../../src/keychain/items.js';
import { recordHash } from '../../src/keychain/sync.js';
import { itemKey } from '../../src/keychain/keys.js';
import { seal } from '../../src/keychain/primitives.js';
import { cpaceInputs } from '../../src/keychain/approval-channel.js';
import {
  approve,
  awaitApproval,
  CODE_MISMATCH_MESSAGE,
  completeJoin,
  b64u,
  buildLink,
  circleKey,
  escrowSigningKey,
  fromB64u,
  Keychain,
  linkHash,
  login,
  newVaultKey,
  randomBytes,
  recoverWithPin,
  recoverWithRecoveryKey,
  recoverySigningKey,
  removeDevice,
  setPin,
  signup,
  syncRound,
  verifyBackup,
  keychainStatus,
  listDevices,
  fetchNotices,
  KeychainClient,
  wrapVaultKey,
  type CircleLink,
} from '../../src/keychain/index.js';
import { totpEntry } from '../fixtures.js';
import {
  applyLinksOf,
  approveJoin,
  device,
  isGet,
  refused,
  refusedUndecryptable,
  useProxiedServer,
  type Json,
} from './tampering-proxy.js';

/** `value` with every object's keys in reverse order: the same record in another client's JSON. */
function reversedKeys(value: unknown): unknown {
  return value === null || typeof value !== 'object' || Array.isArray(value)
    ? value
    : Object.fromEntries(
        Object.keys(value)
          .sort()
          .reverse()
          .map((k) => [k, reversedKeys((value as Record<string, unknown>)[k])]),
      );
}

/** `text` sealed as item `id` of `keychain`'s account under the current key, as any device could. */
function sealItemText(keychain: Keychain, id: string, text: string): string {
  const state = keychain.requireTrusted();
  const { epoch, vk } = keychain.currentVaultKey();
  const utf8 = (t: string) => new TextEncoder().encode(t);
  return b64u(seal(itemKey(vk), pad(utf8(text)), utf8(`${LABELS.item}|${state.accountId}|${id}|${epoch}`)));
}

describe('a malicious server', () => {
  const proxy = useProxiedServer();
  let a: Awaited<ReturnType<typeof device>>;
  let b: Awaited<ReturnType<typeof device>>;
  const password = 'correct horse battery staple';
  let recoveryKey = '';

  beforeAll(async () => {
    a = await device();
    b = await device();
    for (let n = 0; n < 5; n++) await a.vault.add(totpEntry(n));
    await signup(a.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'A',
      keepRecoveryKey: async (rk) => {
        recoveryKey = rk;
      },
    });
    await syncRound(a.keychain);
    const joined = await login(b.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'B',
    });
    await approveJoin(a, b, joined.verificationCode);
    await syncRound(b.keychain);
    expect(b.vault.entries()).toHaveLength(5);
  });

  it('cannot add a device of its own to the circle', async () => {
    const state = a.keychain.requireTrusted();
    const forged = buildLink(state.circle, {
      op: 'add-device',
      by: state.deviceId,
      via: 'approval',
      device: {
        id: crypto.randomUUID(),
        name: 'server',
        encPub: b64u(new Uint8Array(32).fill(5)),
        signPub: b64u(new Uint8Array(32).fill(6)),
      },
      signer: circleKey(newVaultKey()),
    });
    proxy.tamper = (req, res) =>
      isGet('/v1/circle')(req)
        ? { links: [...res.links, forged], head: { seq: forged.seq, hash: linkHash(forged) } }
        : undefined;
    await refused(syncRound(a.keychain), 'circle-invalid', /not signed by the circle key/);
    proxy.tamper = null;
  });

  it('cannot rename a device: a rename it signs is refused, and names in its device list are not shown', async () => {
    const state = a.keychain.requireTrusted();
    const bId = b.keychain.requireTrusted().deviceId;
    const member = state.circle!.devices[bId]!;
    // The server's aim: make B read "A" so that an approval prompt on A looks like it came from A.
    const forged = buildLink(state.circle, {
      op: 'rename-device',
      by: state.deviceId,
      device: { ...member.device, name: 'A' },
      signer: circleKey(newVaultKey()),
    });
    proxy.tamper = (req, res) =>
      isGet('/v1/circle')(req)
        ? { links: [...res.links, forged], head: { seq: forged.seq, hash: linkHash(forged) } }
        : undefined;
    await refused(syncRound(a.keychain), 'circle-invalid', /not signed by the circle key/);
    // The device list the server serves carries names too; the circle's names are the ones shown.
    proxy.tamper = (req, res) =>
      isGet('/v1/devices')(req)
        ? { devices: res.devices.map((d: Json) => ({ ...d, name: 'A' })) }
        : undefined;
    const shown = await listDevices(a.keychain);
    proxy.tamper = null;
    expect(shown.find((d) => d.id === bId)?.name).toBe('B');
    expect(shown.filter((d) => d.name === 'A')).toHaveLength(1);
  });

  it('cannot get the vault key approved for a key pair of its own (keys substituted in the relay)', async () => {
    const c = await device();
    const joined = await login(c.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'C',
    });
    // The server swaps in its own public key for the pending device the user is approving.
    proxy.tamper = (req, res) =>
      isGet('/v1/devices')(req)
        ? {
            devices: res.devices.map((d: Json) =>
              d.id === joined.deviceId ? { ...d, encPub: b64u(new Uint8Array(32).fill(7)) } : d,
            ),
          }
        : undefined;
    const posted = proxy.requests.length;
    // The CPace channel id binds encPub: the keys disagree, both sides see the mismatch.
    const results = await Promise.allSettled([
      approve(a.keychain, { code: joined.verificationCode, pollMs: 10 }),
      awaitApproval(c.keychain, { pollMs: 10 }),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: 'code-mismatch',
        message: CODE_MISMATCH_MESSAGE,
      });
    }
    expect(proxy.requests.slice(posted).some((r) => r.method === 'POST' && r.path === '/v1/circle')).toBe(
      false,
    );
    expect(a.keychain.requireState().circle!.devices[joined.deviceId]).toBeUndefined();
    proxy.tamper = null;
  });

  it('a server-made approval without the code is refused: a guessed share burns the attempt', async () => {
    const c = await device();
    const joined = await login(c.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'C2',
    });
    // The server plays the trusted device with a code of its choosing (one online guess).
    const guess = '0000-0000' === joined.verificationCode ? '1111-1111' : '0000-0000';
    const state = c.keychain.requireState();
    const self = await c.keychain.selfDevice();
    const subject = { accountId: state.accountId, deviceId: state.deviceId, nonce: state.nonce, ...self };
    const inputs = cpaceInputs({ code: guess, subject });
    const fake = startCpace({ ...inputs, random: randomBytes });
    proxy.tamper = (req, res) =>
      isGet('/v1/join')(req)
        ? {
            messages: [
              ...res.messages,
              { slot: 'b', body: b64u(new Uint8Array([...fake.share, ...new Uint8Array(64).fill(1)])) },
            ],
          }
        : undefined;
    await refused(
      completeJoin(c.keychain),
      'code-mismatch',
      /The code did not match\. Start again on the new device/,
    );
    proxy.tamper = null;
    // The attempt is spent: the new device forgot its code, and the server holds the failure.
    expect(c.keychain.requireState().join).toBeUndefined();
    await refused(completeJoin(c.keychain), 'code-mismatch', /no approval in progress/);
    // The real code typed afterwards on the trusted device approves nothing.
    await refused(
      approve(a.keychain, { code: joined.verificationCode, pollMs: 10 }),
      'code-not-found',
      /No new device is waiting/,
    );
    expect(c.keychain.requireState().status).toBe('pending');
  });

  it('a device the server registers with keys of its choosing is never approved', async () => {
    // The server (here: someone with the password, which the server could fake) registers a device
    // of its own and posts a share for a guessed code; the user types the real new device's code.
    const fakeDevice = await device();
    const fake = await login(fakeDevice.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'phone',
    });
    const real = await device();
    const joined = await login(real.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'phone',
    });
    expect(joined.verificationCode).not.toBe(fake.verificationCode);
    // Two devices wait; the user is asked to choose, and then picks the one the server planted.
    await refused(approve(a.keychain, joined.verificationCode), 'code-not-found', /2 devices are waiting/);
    const posted = proxy.requests.length;
    const results = await Promise.allSettled([
      approve(a.keychain, { code: joined.verificationCode, deviceId: fake.deviceId, pollMs: 10 }),
      awaitApproval(fakeDevice.keychain, { pollMs: 10 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.code).toBe('code-mismatch');
    expect(proxy.requests.slice(posted).some((r) => r.method === 'POST' && r.path === '/v1/circle')).toBe(
      false,
    );
    await syncRound(a.keychain);
    expect(a.keychain.requireState().circle!.devices[fake.deviceId]).toBeUndefined();
    // The genuine device is still waiting with its attempt intact (the approval of a genuine device
    // is covered by the suite's setup, which joins B this way).
    expect(real.keychain.requireState().join?.code).toBe(joined.verificationCode);
  });

  it('a wrong code burns the attempt on both sides; the same code then fails again', async () => {
    const c = await device();
    const joined = await login(c.keychain, {
      server: proxy.url,
      email: 'm@example.com',
      password,
      deviceName: 'C3',
    });
    const digits = joined.verificationCode.replace('-', '');
    const wrong = `${digits.slice(0, 7)}${(Number(digits[7]) + 1) % 10}`;
    const results = await Promise.allSettled([
      approve(a.keychain, { code: wrong, deviceId: joined.deviceId, pollMs: 10 }),
      awaitApproval(c.keychain, { pollMs: 10 }),
    ]);
    for (const r of results) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: 'code-mismatch',
        message: CODE_MISMATCH_MESSAGE,
      });
    }
    await refused(
      approve(a.keychain, { code: joined.verificationCode, deviceId: joined.deviceId, pollMs: 10 }),
      'code-not-found',
      /No new device is waiting/,
    );
    await refused(completeJoin(c.keychain), 'code-mismatch', /no approval in progress/);
    expect(c.keychain.requireState().status).toBe('pending');
    // The relay itself refuses further messages for the burnt attempt.
    await refused(
      c.keychain
        .client()
        .call('joinMessagePost', { body: { deviceId: joined.deviceId, slot: 'confirm-a', body: 'AAAA' } }),
      'http',
      /ended/,
    );
  });

  it("swapping two items' ciphertexts is refused and nothing is applied", async () => {
    await a.vault.rename(a.vault.entries()[0]!.id, { issuer: 'Swap One' });
    await a.vault.rename(a.vault.entries()[1]!.id, { issuer: 'Swap Two' });
    await syncRound(a.keychain);
    const before = JSON.stringify(b.vault.entries());
    proxy.tamper = (req, res) => {
      if (!isGet('/v1/items')(req) || res.items.length < 2) return undefined;
      const [x, y] = res.items;
      return {
        ...res,
        items: [
          { ...x, ciphertext: y.ciphertext },
          { ...y, ciphertext: x.ciphertext },
          ...res.items.slice(2),
        ],
      };
    };
    await refused(
      syncRound(b.keychain),
      'item-invalid',
      /does not decrypt for this account, id and key epoch/,
    );
    expect(JSON.stringify(b.vault.entries())).toBe(before);
    proxy.tamper = null;
    await syncRound(b.keychain);
    expect(b.vault.entries().map((e) => e.issuer)).toContain('Swap Two');
  });

  // SECURITY.md "Items are bound to their place": the server cannot move an item to another account.
  it("moving another account's item into this account's page is refused and nothing is applied", async () => {
    const other = await device();
    await other.vault.add(totpEntry(8, { issuer: 'Another account' }));
    await signup(other.keychain, {
      server: proxy.url,
      email: 'other-account@example.com',
      password,
      deviceName: 'O',
      keepRecoveryKey: async () => {},
    });
    await syncRound(other.keychain);
    const theirs = (await other.keychain.client().call('items', { query: { since: 0 } })).items[0]!;
    await syncRound(b.keychain);
    const before = JSON.stringify(b.vault.records());
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req)
        ? { ...res, items: [...res.items, { ...theirs, version: res.head }], more: false }
        : undefined;
    await refusedUndecryptable(syncRound(b.keychain));
    proxy.tamper = null;
    expect(JSON.stringify(b.vault.records())).toBe(before);
    expect(b.vault.entries().map((e) => e.issuer)).not.toContain('Another account');
  });

  // SECURITY.md "Other decisions": the client pins the OPAQUE server key that /v1/meta announces
  // for the length of a sign-in. The sign-in's answer comes from the real server, while meta names
  // another OPAQUE server's key (the escrow's): the sign-in is refused and never finished.
  it('a sign-in answered by another OPAQUE server than the one meta announces is refused, never finished', async () => {
    proxy.tamper = (req, res) =>
      isGet('/v1/meta')(req) ? { ...res, opaquePublicKey: res.escrowOpaquePublicKey } : undefined;
    const start = proxy.requests.length;
    const c = await device();
    await refused(
      login(c.keychain, { server: proxy.url, email: 'm@example.com', password, deviceName: 'C' }),
      'wrong-password',
      /Wrong email or password/,
    );
    proxy.tamper = null;
    const paths = proxy.requests.slice(start).map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('POST /v1/sessions/start');
    expect(paths).not.toContain('POST /v1/sessions/finish');
  });

  it('replaying an old copy of an item as a new version is refused', async () => {
    const id = a.vault.entries()[2]!.id;
    let old: Json | null = null;
    proxy.tamper = (req, res) => {
      if (isGet('/v1/items')(req)) old ??= res.items.find((i: Json) => i.id === id) ?? null;
      return undefined;
    };
    // Capture the current copy, then change the entry so the server holds a newer one.
    await b.keychain.client().call('items', { query: { since: 0 } });
    expect(old).not.toBeNull();
    await a.vault.rename(id, { account: 'changed-later' });
    await syncRound(a.keychain);
    await syncRound(b.keychain);
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req)
        ? { items: [{ ...old!, version: res.head + 1 }], head: res.head + 1, more: false }
        : undefined;
    await refused(syncRound(b.keychain), 'item-replayed', /older copy of item .* \(a replay\)/);
    proxy.tamper = null;
    expect(b.vault.get(id)!.account).toBe('changed-later');
  });

  it('rolling the circle back is refused', async () => {
    proxy.tamper = (req) => {
      if (!isGet('/v1/circle')(req)) return undefined;
      return { links: [], head: { seq: 0, hash: 'A'.repeat(43) } };
    };
    await refused(
      syncRound(b.keychain),
      'circle-rollback',
      /older circle \(link 0\) than this device has verified \(link 1\)/,
    );
    proxy.tamper = null;
  });

  it('serving an older item state is refused', async () => {
    proxy.tamper = (req) => (isGet('/v1/items')(req) ? { items: [], head: 1, more: false } : undefined);
    await refused(
      syncRound(a.keychain),
      'server-rollback',
      /serves an older state \(version 1\) than this device has seen/,
    );
    proxy.tamper = null;
  });

  it('hiding an item from the backup is caught by backup verification and told to every device', async () => {
    await syncRound(a.keychain);
    const hidden = a.vault.entries()[3]!.id;
    proxy.tamper = (req, res) =>
      isGet('/v1/items')(req) ? { ...res, items: res.items.filter((i: Json) => i.id !== hidden) } : undefined;
    const start = proxy.requests.length;
    const report = await verifyBackup(a.keychain);
    proxy.tamper = null;
    expect(report).toMatchObject({ ok: false, mismatched: 1, mismatchedIds: [hidden] });
    expect(keychainStatus(a.keychain)).toMatchObject({ lastVerifyOk: false });
    const posted = proxy.requests.slice(start).find((r) => r.method === 'POST' && r.path === '/v1/notices');
    expect(posted?.body).toEqual({ kind: 'backup-mismatch', data: { checked: 5, mismatched: 1 } });
    const notices = await fetchNotices(a.keychain);
    expect(notices.map((n) => n.kind)).toContain('backup-mismatch');
    expect((await verifyBackup(a.keychain)).ok).toBe(true);
  });

  // Copies are compared by the hash of their canonical form, so the same entry written in another
  // key order (another client's JSON) is no mismatch, while any changed content is one.
  it('backup verification tells a server copy whose content differs, and not one in another key order', async () => {
    await syncRound(a.keychain);
    const target = a.vault.entries()[1]!;
    const record = a.vault.record(target.id)!;
    const sealed = (text: string) => sealItemText(a.keychain, target.id, text);
    const reversed = reversedKeys;
    const serve = (ciphertext: string) => {
      proxy.tamper = (req, res) =>
        isGet('/v1/items')(req)
          ? { ...res, items: res.items.map((i: Json) => (i.id === target.id ? { ...i, ciphertext } : i)) }
          : undefined;
    };
    serve(sealed(JSON.stringify(reversed(record), null, 1)));
    expect(await verifyBackup(a.keychain)).toMatchObject({ ok: true, mismatched: 0 });
    serve(sealed(canon({ ...record, entry: { ...record.entry, account: 'someone-else@example.com' } })));
    const report = await verifyBackup(a.keychain);
    proxy.tamper = null;
    expect(report).toMatchObject({ ok: false, mismatched: 1, mismatchedIds: [target.id] });
    expect((await verifyBackup(a.keychain)).ok).toBe(true);
  });

  // The pull hashes a record from the plaintext it already holds only when that plaintext is the
  // record's canonical form; a copy sealed in another key order or with spaces is hashed as before.
  // Each form alone too: canon's check of a parsed record must see the key order (it walks the keys
  // without copying them) and the comparison with the text must see the spaces.
  it.each([
    ['another key order and spaces', (r: unknown) => JSON.stringify(reversedKeys(r), null, 1)],
    ['another key order', (r: unknown) => JSON.stringify(reversedKeys(r))],
    ['spaces', (r: unknown) => JSON.stringify(JSON.parse(canon(r)), null, 1)],
    ['its canonical form', (r: unknown) => canon(r)],
  ])(
    'a pulled copy in %s is recorded by the hash of its canonical form, not pushed back',
    async (name, form) => {
      await syncRound(b.keychain);
      const target = a.vault.entries()[4]!;
      await a.vault.rename(target.id, { issuer: `Key Order ${name}` });
      await syncRound(a.keychain);
      const record = a.vault.record(target.id)!;
      const ciphertext = sealItemText(a.keychain, target.id, form(record));
      proxy.tamper = (req, res) =>
        isGet('/v1/items')(req)
          ? { ...res, items: res.items.map((i: Json) => (i.id === target.id ? { ...i, ciphertext } : i)) }
          : undefined;
      const result = await syncRound(b.keychain);
      proxy.tamper = null;
      expect(b.vault.get(target.id)!.issuer).toBe(`Key Order ${name}`);
      const canonical = JSON.parse(canon(record)) as typeof record;
      expect(b.keychain.requireTrusted().synced[target.id]!.h).toBe(recordHash(canonical));
      expect(result.pushed).toBe(0);
    },
  );

  it('a tampered item at the end of a page leaves the vault and the cursor as they were', async () => {
    await syncRound(b.keychain);
    const ids = a.vault.entries().map((e) => e.id);
    for (const id of ids) await a.vault.rename(id, { account: `batch-${id.slice(0, 4)}` });
    await syncRound(a.keychain);
    const before = JSON.stringify(b.vault.records());
    const cursor = b.keychain.requireTrusted().cursor;
    proxy.tamper = (req, res) => {
      if (!isGet('/v1/items')(req) || res.items.length < ids.length) return undefined;
      const last = res.items.at(-1);
      const bytes = fromB64u(last.ciphertext);
      bytes[40] = bytes[40]! ^ 1;
      return { ...res, items: [...res.items.slice(0, -1), { ...last, ciphertext: b64u(bytes) }] };
    };
    await refused(
      syncRound(b.keychain),
      'item-invalid',
      /does not decrypt for this account, id and key epoch/,
    );
    proxy.tamper = null;
    expect(JSON.stringify(b.vault.records())).toBe(before);
    b.keychain.reload();
    expect(b.keychain.requireTrusted().cursor).toBe(cursor);
    await syncRound(b.keychain);
    expect(b.vault.get(ids[0]!)!.account).toBe(`batch-${ids[0]!.slice(0, 4)}`);
  });

  it('listing an extra "trusted" device does not get it a wrap when a device is removed', async () => {
    const fakeId = crypto.randomUUID();
    proxy.tamper = (req, res) =>
      isGet('/v1/devices')(req)
        ? {
            devices: [
              ...res.devices,
              {
                ...res.devices[0],
                id: fakeId,
                name: 'server',
                status: 'trusted',
                encPub: b64u(new Uint8Array(32).fill(9)),
              },
            ],
          }
        : undefined;
    const start = proxy.requests.length;
    await removeDevice(a.keychain, b.keychain.requireState().deviceId, {
      keepRecoveryKey: async (rk) => {
        recoveryKey = rk;
      },
    });
    proxy.tamper = null;
    const post = proxy.requests.slice(start).find((r) => r.method === 'POST' && r.path === '/v1/circle')!;
    const recipients = (post.body!.wraps as Json[]).map((w) => w.recipientId).sort();
    expect(recipients).toEqual([a.keychain.requireState().deviceId, 'recovery'].sort());
    expect((post.body!.link as CircleLink).op).toBe('remove-device');
  });

  /**
   * The fake-keychain attack: a circle of the server's own (its own VK and circle key, its own
   * "first device") naming the real, public recoveryPub / escrowPub, with its VK wrapped to them.
   * `anchor` is what the server signs the genesis / set-escrow link with (none, or a key of its own).
   */
  function fakeKeychain(options: { recipient: 'recovery' | 'escrow'; anchor: 'none' | 'own-key' }): {
    links: CircleLink[];
    wrapped: string;
  } {
    const real = a.keychain.requireTrusted();
    const vk = newVaultKey();
    const key = circleKey(vk);
    const ownKey = options.anchor === 'own-key';
    const fakeDevice = {
      id: crypto.randomUUID(),
      name: 'A',
      encPub: b64u(randomBytes(32)),
      signPub: b64u(randomBytes(32)),
    };
    const genesis = buildLink(null, {
      op: 'genesis',
      by: fakeDevice.id,
      device: fakeDevice,
      via: 'genesis',
      recoveryPub: real.circle!.recoveryPub,
      signer: key,
      nextCirclePub: key.publicKey,
      ...(ownKey ? { anchor: recoverySigningKey(randomBytes(20)) } : {}),
    });
    const links = [genesis];
    let recipientPub = real.circle!.recoveryPub;
    if (options.recipient === 'escrow') {
      recipientPub = real.circle!.escrowPub!;
      links.push(
        buildLink(applyLinksOf(links), {
          op: 'set-escrow',
          by: fakeDevice.id,
          escrowPub: recipientPub,
          // The genuine realm setup (public), so the PIN is checked at the real realms.
          ...(real.circle!.escrowRealms ? { escrowRealms: real.circle!.escrowRealms } : {}),
          signer: key,
          ...(ownKey ? { anchor: escrowSigningKey(randomBytes(32), randomBytes(64)) } : {}),
        }),
      );
    }
    const wrapped = wrapVaultKey({
      accountId: real.accountId,
      recipientId: options.recipient,
      epoch: 1,
      vk,
      recipientPub: fromB64u(recipientPub),
    });
    return { links, wrapped };
  }

  /** Serves `fake` as the circle and the only wraps to its recipient; returns the request log start. */
  function presentFake(fake: { links: CircleLink[]; wrapped: string }, recipient: string): number {
    const last = fake.links[fake.links.length - 1]!;
    proxy.tamper = (req) => {
      if (isGet('/v1/circle')(req)) {
        const since = Number(new URL(req.path, proxy.url).searchParams.get('since') ?? -1);
        return {
          links: fake.links.filter((l) => l.seq > since),
          head: { seq: last.seq, hash: linkHash(last) },
        };
      }
      if (isGet(`/v1/keys?recipient=${recipient}`)(req))
        return { wraps: [{ recipientId: recipient, epoch: 1, wrapped: fake.wrapped }] };
      return undefined;
    };
    return proxy.requests.length;
  }

  async function pendingDevice(name: string): Promise<Keychain> {
    const { keychain } = await device();
    await login(keychain, { server: proxy.url, email: 'm@example.com', password, deviceName: name });
    return keychain;
  }

  function expectNothingWrapped(keychain: Keychain, start: number): void {
    const posts = proxy.requests.slice(start).filter((r) => r.method === 'POST' && r.path === '/v1/circle');
    expect(posts).toEqual([]);
    expect(keychain.requireState().status).toBe('pending');
    expect(keychain.requireState().vaultKeys).toEqual({});
  }

  it.each(['none', 'own-key'] as const)(
    'cannot pass off a keychain of its own to a device recovering with the recovery key (anchor: %s)',
    async (anchor) => {
      // The server shows the fake from the device's very first view (the sign-in).
      const start = presentFake(fakeKeychain({ recipient: 'recovery', anchor }), 'recovery');
      try {
        const victim = await pendingDevice('R');
        await refused(
          recoverWithRecoveryKey(victim, recoveryKey),
          'circle-invalid',
          /^The server presented a keychain that this recovery key did not create/,
        );
        expectNothingWrapped(victim, start);
      } finally {
        proxy.tamper = null;
      }
    },
  );

  it('the genuine keychain still recovers with the recovery key', async () => {
    const honest = await pendingDevice('R2');
    await recoverWithRecoveryKey(honest, recoveryKey);
    expect(honest.requireState().status).toBe('trusted');
  });

  it.each(['none', 'own-key'] as const)(
    'cannot pass off a keychain of its own to a device recovering with the PIN (anchor: %s)',
    async (anchor) => {
      if (!a.keychain.requireTrusted().circle!.escrowPub) await setPin(a.keychain, '2468');
      const start = presentFake(fakeKeychain({ recipient: 'escrow', anchor }), 'escrow');
      try {
        const victim = await pendingDevice('P');
        await refused(
          recoverWithPin(victim, '2468'),
          'circle-invalid',
          /^The server presented a keychain whose PIN setting this escrow key did not sign/,
        );
        expectNothingWrapped(victim, start);
      } finally {
        proxy.tamper = null;
      }
    },
  );

  it('the genuine keychain still recovers with the PIN', async () => {
    const honest = await pendingDevice('P2');
    await recoverWithPin(honest, '2468');
    expect(honest.requireState().status).toBe('trusted');
  });

  // SECURITY.md "Malicious server": it cannot swap the realms of a PIN; they are pinned in the signed
  // set-escrow link. The server serves the genuine circle with the realm's address and key replaced
  // by its own (a realm it would answer for); the device signing in to recover refuses it before any PIN is asked for.
  it('cannot swap the realms a PIN is pinned to: the recovering device refuses the circle', async () => {
    const fakeRealm = { url: 'http://127.0.0.1:9/', publicKey: b64u(randomBytes(32)) };
    proxy.tamper = (req, res) => {
      if (!isGet('/v1/circle')(req)) return undefined;
      const links = (res.links as CircleLink[]).map((l) =>
        l.escrowRealms
          ? {
              ...l,
              escrowRealms: {
                ...l.escrowRealms,
                realms: l.escrowRealms.realms.map((r) => ({ ...r, ...fakeRealm })),
              },
            }
          : l,
      );
      const last = links.at(-1);
      return last ? { links, head: { seq: last.seq, hash: linkHash(last) } } : res;
    };
    const start = proxy.requests.length;
    try {
      // The sign-in already verifies the circle: refused there, before any PIN is asked for.
      const { keychain: victim } = await device();
      await refused(
        login(victim, { server: proxy.url, email: 'm@example.com', password, deviceName: 'P3' }),
        'circle-invalid',
        /^Circle link \d+ is not signed by the circle key/,
      );
      const posts = proxy.requests.slice(start).filter((r) => r.method === 'POST' && r.path === '/v1/circle');
      expect(posts).toEqual([]);
    } finally {
      proxy.tamper = null;
    }
  });
});

describe('an outdated client', () => {
  it('is told clearly that an update is required (426)', async () => {
    const server = await startServer({ port: 0, minClientVersion: '9.1.0' });
    try {
      const client = new KeychainClient({ server: server.url, client: 'tessera-cli/0.2.0' });
      await refused(
        client.call('meta'),
        'update-required',
        /^Update required: this keychain server needs Tessera 9\.1\.0 or newer, and this is 0\.2\.0\.$/,
      );
      const current = new KeychainClient({ server: server.url, client: 'tessera-cli/9.1.0' });
      expect((await current.call('meta')).minClientVersion).toBe('9.1.0');
    } finally {
      await server.close();
    }
  });
});
