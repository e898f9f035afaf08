// The pull begun during the join (prefetch.ts, issue 14): a device that signed in but is not trusted
// yet reads the item ciphertexts while it joins, and its first round takes that page through the same
// checks as any pull, then asks for what came after it. Real server behind the tampering proxy.
import { describe, expect, it } from 'vitest';
import {
  b64u,
  fromB64u,
  KeychainError,
  login,
  recoverWithRecoveryKey,
  rotateRecoveryKey,
  signInToRecover,
  syncRound,
} from '../../src/keychain/index.js';
import { totpEntry } from '../fixtures.js';
import { approveJoin, device, isGet, refused, useProxiedAccount, type Json } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe('the pull begun during the join', () => {
  const email = 'prefetch@example.com';
  const password = 'correct horse battery staple';
  const account = useProxiedAccount({ email, password, entries: 6 });
  const { recoveryKeys } = account;
  const proxy = () => account.proxy;
  const a = () => account.a;

  /** A GET /v1/items of any device but A (the restoring device's, pending or trusted). */
  const isOthersPull = (r: { method: string; path: string; session: string | null }) =>
    isGet('/v1/items')(r) && r.session !== a().keychain.requireState().session;
  const sinceOf = (path: string) => Number(new URL(path, 'http://x').searchParams.get('since'));

  /**
   * Signs a new device in (to recover, or with an approval run) and resolves once the server has
   * answered its read-ahead page (so what A changes afterwards is not in it).
   */
  async function signedIn(name: string, approval = false) {
    let answered!: (page: Json) => void;
    const read = new Promise<Json>((resolve) => (answered = resolve));
    proxy().tamper = (r, res) => {
      if (isOthersPull(r)) answered(res);
      return undefined;
    };
    const d = await device();
    const signIn = { server: proxy().url, email, password, deviceName: name };
    const code = approval ? (await login(d.keychain, signIn)).verificationCode : null;
    if (!approval) await signInToRecover(d.keychain, signIn);
    const page = await read;
    proxy().tamper = null;
    return { d, code, page, session: d.keychain.requireState().session };
  }

  /** The `since` of every item pull `session` made. */
  const pullsOf = (session: string) =>
    proxy()
      .requests.filter((r) => isGet('/v1/items')(r) && r.session === session)
      .map((r) => sinceOf(r.path));

  const entriesOf = (d: Device) =>
    d.vault
      .entries()
      .map((e) => `${e.id} ${e.issuer} ${e.account}`)
      .sort();

  let added = 100;
  /** A changes one entry, deletes one and adds one. */
  async function changeOnA(tag: string) {
    const [first, second] = a().vault.entries();
    await a().vault.rename(first!.id, { issuer: `Changed ${tag}` });
    await a().vault.remove(second!.id);
    await a().vault.add(totpEntry(added++, { issuer: `Added ${tag}` }));
    await syncRound(a().keychain);
  }

  it('restores by recovery key from the page read during the join, and pulls what changed meanwhile', async () => {
    const { d, page, session } = await signedIn('R1');
    expect(page.items.length).toBeGreaterThan(0);
    await changeOnA('R1');
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    await syncRound(d.keychain);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
    // The page was read once, during the join; the round asked only for what came after it.
    const last = Math.max(...page.items.map((i: Json) => i.version as number));
    expect(pullsOf(session)).toEqual([0, last]);
    expect(d.keychain.requireTrusted().cursor).toBe(a().keychain.requireTrusted().cursor);
  });

  it('restores by approval: the page read while the user approves, then what changed meanwhile', async () => {
    const { d, code, page, session } = await signedIn('P1', true);
    await changeOnA('P1');
    await approveJoin(a(), d, code!, { nameDevice: true });
    await syncRound(d.keychain);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
    const last = Math.max(...page.items.map((i: Json) => i.version as number));
    expect(pullsOf(session)).toEqual([0, last]);
  });

  it('a tampered item in the page read during the join is refused as in a pull, and nothing is applied', async () => {
    // The read-ahead page is served with its last item's ciphertext altered.
    proxy().tamper = (r, res) => {
      if (!isOthersPull(r) || sinceOf(r.path) !== 0 || res.items.length === 0) return undefined;
      const last = res.items.at(-1);
      const bytes = fromB64u(last.ciphertext);
      bytes[40] = bytes[40]! ^ 1;
      return { ...res, items: [...res.items.slice(0, -1), { ...last, ciphertext: b64u(bytes) }] };
    };
    const d = await device();
    await signInToRecover(d.keychain, { server: proxy().url, email, password, deviceName: 'T1' });
    try {
      await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
      // The page is opened only now, after the join verified the vault key against the circle.
      expect(d.vault.entries()).toEqual([]);
      proxy().tamper = null;
      await refused(
        syncRound(d.keychain),
        'item-invalid',
        /does not decrypt for this account, id and key epoch/,
      );
    } finally {
      proxy().tamper = null;
    }
    expect(d.vault.entries()).toEqual([]);
    d.keychain.reload();
    expect(d.keychain.requireTrusted().cursor).toBe(0);
    // The page is used once; the next round asks the server, which serves the true items.
    await syncRound(d.keychain);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
  });

  it('after the page read during the join, an older copy served as a new version is refused (a replay)', async () => {
    const target = a().vault.entries()[2]!.id;
    const old = (
      await a()
        .keychain.client()
        .call('items', { query: { since: 0, limit: 1000 } })
    ).items.find((i) => i.id === target)!;
    await a().vault.rename(target, { account: 'changed-before-the-join' });
    await syncRound(a().keychain);
    const { d, page } = await signedIn('Y1');
    expect(page.items.find((i: Json) => i.id === target).version).toBeGreaterThan(old.version);
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    // What the round asks after the page: the old copy of the entry, as a version past the head.
    proxy().tamper = (r, res) =>
      isOthersPull(r) && sinceOf(r.path) > 0
        ? { items: [{ ...old, version: res.head + 1 }], head: res.head + 1, more: false }
        : undefined;
    try {
      await refused(syncRound(d.keychain), 'item-replayed', /older copy of item .* \(a replay\)/);
    } finally {
      proxy().tamper = null;
    }
    await syncRound(d.keychain);
    expect(d.vault.get(target)!.account).toBe('changed-before-the-join');
  });

  it('a server that hides, after the page read during the join, what that page showed is refused (rollback)', async () => {
    const { d, page } = await signedIn('H1');
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    proxy().tamper = (r) =>
      isOthersPull(r) && sinceOf(r.path) > 0 ? { items: [], head: page.head - 1, more: false } : undefined;
    try {
      await refused(syncRound(d.keychain), 'server-rollback', /serves an older state/);
    } finally {
      proxy().tamper = null;
    }
    await syncRound(d.keychain);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
  });

  it('a server that refuses pending devices their pull (an older server) still restores', async () => {
    let refusedOnce = 0;
    proxy().refuse = (r) => (isOthersPull(r) && refusedOnce++ === 0 ? 403 : undefined);
    let d: Device;
    try {
      d = await device();
      await signInToRecover(d.keychain, { server: proxy().url, email, password, deviceName: 'O1' });
      await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
      await syncRound(d.keychain);
    } finally {
      proxy().refuse = null;
    }
    expect(refusedOnce).toBeGreaterThan(1);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
    // Refused once (the read during the join), then the round's own pull from the start.
    expect(pullsOf(d.keychain.requireState().session)).toEqual([0, 0]);
  });

  it('a pending device may read the items but not push them', async () => {
    const { d } = await signedIn('W1');
    const err = await d.keychain
      .client()
      .call('push', {
        body: {
          items: [{ id: crypto.randomUUID(), baseVersion: 0, epoch: 1, ciphertext: 'AAAA', deleted: false }],
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(KeychainError);
    expect((err as KeychainError).details).toMatchObject({ status: 403 });
  });

  it('a keychain rotated between the read and the join: the page is not used and nothing is refused', async () => {
    const { d, page, session } = await signedIn('K1');
    const epoch = page.items[0].epoch as number;
    await rotateRecoveryKey(a().keychain, { keepRecoveryKey: async (rk) => void recoveryKeys.push(rk) });
    expect(a().keychain.requireTrusted().circle!.epoch).toBe(epoch + 1);
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    await syncRound(d.keychain);
    expect(entriesOf(d)).toEqual(entriesOf(a()));
    // The old epoch's copies in the page would have been refused as a removed device's (§7).
    const state = d.keychain.requireTrusted();
    expect(state.notices.filter((n) => n.kind === 'item-refused')).toEqual([]);
    expect(state.lastError).toBeNull();
    expect(pullsOf(session)).toEqual([0, 0]);
  });
});
