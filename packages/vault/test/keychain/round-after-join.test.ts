// The first sync round after a join relies on the head the join ended on (docs/PROTOCOL.md §5 "Sync",
// issue 14): the server named it in its answer to the join's own add-device link (or in the circle
// request that checked an approval's delivery), so that round makes no `GET /v1/circle` of its own.
// Only a head equal to the join's own counts, only in that session, once, within JOINED_HEAD_MS. A
// tampering proxy in front of the real server (SQLite and PostgreSQL) alters the link's answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JOINED_HEAD_MS,
  login,
  recoverWithRecoveryKey,
  rotateRecoveryKey,
  signInToRecover,
  syncRound,
} from '../../src/keychain/index.js';
import { approveJoin, backendServer, device, isGet, proxiedAccount } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe.each(['sqlite', 'postgres'] as const)('the first round after a join (%s)', (backend) => {
  let account: Awaited<ReturnType<typeof proxiedAccount>>;
  const proxy = () => account.proxy;
  const email = `joined-${backend}@example.com`;
  const password = 'correct horse battery staple';
  const recoveryKeys: string[] = [];
  const ENTRIES = 4;

  beforeAll(async () => {
    account = await proxiedAccount({
      email,
      password,
      entries: ENTRIES,
      keepRecoveryKey: async (rk) => void recoveryKeys.push(rk),
      server: await backendServer(backend),
    });
  });
  afterAll(async () => {
    await account?.close();
  });

  /** A new device signed in and joined by the recovery key (not yet synced). */
  async function joined(name: string): Promise<Device> {
    const d = await device();
    await signInToRecover(d.keychain, {
      server: proxy().url,
      email,
      password,
      deviceName: name,
      joinBy: 'recovery-key',
    });
    await recoverWithRecoveryKey(d.keychain, recoveryKeys.at(-1)!);
    return d;
  }

  /** The circle requests `d`'s session makes during `step`. */
  async function circleRequests(d: Device, step: () => Promise<unknown>): Promise<number> {
    const start = proxy().requests.length;
    await step();
    const session = d.keychain.requireState().session;
    return proxy()
      .requests.slice(start)
      .filter((r) => r.session === session && isGet('/v1/circle')(r)).length;
  }

  it('after a join by recovery key the round asks for no circle, and the next round does', async () => {
    const d = await joined('J1');
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(0);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
    const server = await account.a.keychain.client().call('circle', { query: {} });
    expect(d.keychain.requireTrusted().circle!.head).toEqual(server.head);
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(1);
  });

  it("a link answer naming another head than the join's own: the round asks for the circle", async () => {
    // The server (here the proxy) answers the add-device link with a head that is not the link's.
    proxy().tamper = (r, res) =>
      r.method === 'POST' && r.path === '/v1/circle' && res.head
        ? {
            head: {
              seq: res.head.seq,
              hash: (res.head.hash as string).replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
            },
          }
        : undefined;
    let d: Device;
    try {
      d = await joined('J2');
    } finally {
      proxy().tamper = null;
    }
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(1);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });

  it('a round later than JOINED_HEAD_MS after the join asks for the circle', async () => {
    const d = await joined('J3');
    const now = d.keychain.now;
    // The device's clock, moved past the bound (the Keychain's own time source).
    Object.assign(d.keychain, { now: () => now() + JOINED_HEAD_MS + 1 });
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(1);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });

  it('a key rotation between the join and its round: the round that relied on the join ends at the new epoch with every entry', async () => {
    const d = await joined('J4');
    const before = d.keychain.requireTrusted().circle!.epoch;
    // Another device rotates the vault key (and re-encrypts every item) right after this join.
    await rotateRecoveryKey(account.a.keychain, {
      keepRecoveryKey: async (rk) => void recoveryKeys.push(rk),
    });
    const after = account.a.keychain.requireTrusted().circle!;
    expect(after.epoch).toBe(before + 1);
    // The round's only circle request is the pull's, on meeting items of the newer epoch (the
    // first page, read during the join, still held the old one).
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(1);
    const state = d.keychain.requireTrusted();
    expect(state.circle!.epoch).toBe(after.epoch);
    expect(state.circle!.head).toEqual(after.head);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
    expect(Object.values(state.synced).every((s) => s.e === after.epoch)).toBe(true);
  });

  it('after an approval the round asks for no circle beyond the one that checked the delivery', async () => {
    const d = await device();
    const { verificationCode } = await login(d.keychain, {
      server: proxy().url,
      email,
      password,
      deviceName: 'J5',
    });
    await syncRound(account.a.keychain);
    await approveJoin(account.a, d, verificationCode, { nameDevice: true });
    expect(await circleRequests(d, () => syncRound(d.keychain))).toBe(0);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });
});
