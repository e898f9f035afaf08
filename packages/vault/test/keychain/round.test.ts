// A sync round asks for the circle, the notices and the first page of items at once (one round trip
// to a live edit). Items fetched beside a rotation can predate it; read under the new epoch they would
// be refused as old-epoch copies, with a notice that a removed device may have made them. The round
// must ask for the page again whenever the circle's epoch moved meanwhile. A proxy plays the server
// that answered the items request just before the rotation landed and the circle request just after.
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '@tessera/protocol';
import {
  dismissNotice,
  Keychain,
  keychainStatus,
  renameDevice,
  rotateRecoveryKey,
  syncRound,
} from '../../src/keychain/index.js';
import {
  device,
  isGet,
  restoredDevice,
  upstreamAnswer,
  useProxiedAccount,
  type Json,
} from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe('a sync round beside a rotation', () => {
  let c: Device;
  const email = 'round@example.com';
  const password = 'correct horse battery staple';
  const { proxy, a, recoveryKeys } = useProxiedAccount({ email, password, entries: 3 });
  const keepRecoveryKey = async (rk: string) => void recoveryKeys.push(rk);

  beforeAll(async () => {
    c = await restoredDevice(proxy.url, { email, password }, recoveryKeys[0]!, 'C');
    expect(c.vault.entries()).toHaveLength(3);
  });

  it('reads no page of items fetched before a rotation its circle shows: it asks again, and refuses nothing', async () => {
    const id = a.vault.entries()[0]!.id;
    await a.vault.rename(id, { account: 'edited just before the rotation' });
    await syncRound(a.keychain);
    // The page C would have been given a moment before the rotation: A's edit under epoch 1.
    const stale = await c.keychain.client().call('items', {
      query: { since: c.keychain.requireState().cursor, limit: LIMITS.maxPullLimit },
    });
    expect(stale.items.map((i) => [i.id, i.epoch])).toEqual([[id, 1]]);
    await rotateRecoveryKey(a.keychain, { keepRecoveryKey });
    expect(a.keychain.requireTrusted().circle!.epoch).toBe(2);

    // C's next round: its first items request is answered as before the rotation, the circle after.
    let served = false;
    proxy.tamper = (req) => {
      if (served || !isGet('/v1/items')(req)) return undefined;
      served = true;
      return stale as unknown as Json;
    };
    await syncRound(c.keychain);
    proxy.tamper = null;
    expect(served).toBe(true);
    expect(keychainStatus(c.keychain).lastError).toBeNull();
    expect(c.keychain.requireState().notices.filter((n) => n.kind === 'item-refused')).toEqual([]);
    expect(c.vault.get(id)!.account).toBe('edited just before the rotation');
    expect(c.keychain.requireState().synced[id]!.e).toBe(2);
  });

  it('a pull whose vault save fails leaves the cursor where it was: the next round pulls the edit again', async () => {
    const id = a.vault.entries()[1]!.id;
    await a.vault.rename(id, { account: 'edited while C could not save' });
    await syncRound(a.keychain);
    const cursor = c.keychain.requireState().cursor;
    // C's vault save of the pull fails once (the web app has shown the merge by then, see Vault.mutate).
    const applyRemote = c.vault.applyRemote.bind(c.vault);
    let failed = 0;
    c.vault.applyRemote = async (...args) => {
      if (failed++ === 0) throw new Error('disk full');
      return applyRemote(...args);
    };
    await expect(syncRound(c.keychain)).rejects.toThrow('disk full');
    expect(c.vault.get(id)!.account).not.toBe('edited while C could not save');
    await syncRound(c.keychain);
    expect(c.vault.get(id)!.account).toBe('edited while C could not save');
    expect(c.keychain.requireState().cursor).toBeGreaterThan(cursor);
    c.vault.applyRemote = applyRemote;
  });

  it('a circle refresh beside a round (the web app resuming) raises no false rollback when the circle moved', async () => {
    await renameDevice(a.keychain, { deviceId: c.keychain.requireState().deviceId, name: 'C, renamed by A' });
    // Both ask for the links after the head C has verified; the second to be answered must not apply
    // them again onto the circle the first one advanced.
    const [refreshed] = await Promise.all([c.keychain.refreshCircle(), syncRound(c.keychain)]);
    expect(keychainStatus(c.keychain).lastError).toBeNull();
    expect(refreshed.head).toEqual(a.keychain.requireState().circle!.head);
    expect(c.keychain.requireState().deviceName).toBe('C, renamed by A');
    const [, again] = await Promise.all([syncRound(c.keychain), c.keychain.refreshCircle({ save: false })]);
    expect(again.head).toEqual(a.keychain.requireState().circle!.head);
  });

  it('a circle refresh whose key fetch spans a round’s reload keeps the new epoch, with no false forgery alarm', async () => {
    // The web app refreshes its PIN state (refreshCircle) while the follow loop's round starts. A
    // rotation moved the epoch: the refresh adopts the new circle and asks for its vault key; the
    // round, meanwhile, reloads the state from the vault, where the refresh has not saved yet. The
    // key then came back to a state still on the old circle, which names no signing key for the new
    // epoch: "the circle or the key was forged".
    await rotateRecoveryKey(a.keychain, { keepRecoveryKey });
    const epoch = a.keychain.requireTrusted().circle!.epoch;
    const session = c.keychain.requireState().session;
    let keysAsked!: () => void;
    const asked = new Promise<void>((resolve) => (keysAsked = resolve));
    let roundStarted!: () => void;
    const started = new Promise<void>((resolve) => (roundStarted = resolve));
    // The round re-reads the vault, then reloads the state from it (at once, or once no refresh runs).
    const refreshVault = c.vault.refresh.bind(c.vault);
    c.vault.refresh = async () => {
      await refreshVault();
      roundStarted();
    };
    let held = false;
    proxy.intercept = (req) => {
      if (req.session !== session || held || !isGet('/v1/keys')(req)) return null;
      held = true;
      keysAsked();
      return started.then(() => upstreamAnswer(proxy, req));
    };
    const refresh = c.keychain.refreshCircle();
    await asked;
    const round = syncRound(c.keychain);
    const outcome = await refresh.then(
      (circle) => circle.epoch,
      (err: Error) => err.message,
    );
    await round;
    proxy.intercept = null;
    c.vault.refresh = refreshVault;
    expect(held).toBe(true);
    expect(outcome).toBe(epoch);
    expect(keychainStatus(c.keychain).lastError).toBeNull();
    expect(c.keychain.currentVaultKey().epoch).toBe(epoch);
  });

  it('a notice dismissed while a round re-reads the vault stays dismissed', async () => {
    const state = c.keychain.requireState();
    const notice = state.notices.find((n) => !state.dismissedNotices?.includes(n.id));
    expect(notice).toBeDefined();
    // The user dismisses it just as a round starts: its save is queued behind the round's re-read of
    // the vault, and the round's reload must not take the state from before that save.
    const refreshVault = c.vault.refresh.bind(c.vault);
    let dismissed: Promise<void> | null = null;
    c.vault.refresh = () => {
      const reread = refreshVault();
      dismissed = dismissNotice(c.keychain, notice!.id);
      return reread;
    };
    await syncRound(c.keychain);
    c.vault.refresh = refreshVault;
    await dismissed;
    expect(c.keychain.requireState().dismissedNotices ?? []).toContain(notice!.id);
    await syncRound(c.keychain);
    const reread = new Keychain({
      host: c.vault,
      deviceKeys: c.keychain.deviceKeyStore,
      clientId: 'tessera-cli/0.2.0',
    });
    expect(reread.requireState().dismissedNotices ?? []).toContain(notice!.id);
  });
});
