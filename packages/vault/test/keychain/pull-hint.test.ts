// A pull tells the server the head the device must at least see (`atLeast`, docs/PROTOCOL.md §5
// "Sync"): the highest version it knows of, from its own pushes and pulls and from the feed event
// that woke it. A server may answer from memory only when it reaches that head; the hint changes
// nothing the client checks (a head below what the device has seen is still a rollback).
import { beforeAll, describe, expect, it } from 'vitest';
import { follow, syncRound, type SyncResult } from '../../src/keychain/index.js';
import { device, isGet, refused, restoredDevice, useProxiedAccount } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

describe('the pull hint (atLeast)', () => {
  let b: Device;
  const email = 'hint@example.com';
  const password = 'correct horse battery staple';
  const { proxy, a, recoveryKeys } = useProxiedAccount({ email, password, entries: 2 });

  beforeAll(async () => {
    b = await restoredDevice(proxy.url, { email, password }, recoveryKeys[0]!, 'B');
  });

  it('asks for at least the highest head it knows, the feed event that woke it included', async () => {
    const session = () => b.keychain.requireState().session;
    const seenBefore = b.keychain.requireTrusted().highestSeen;

    const cursorBefore = b.keychain.requireTrusted().cursor;
    // B follows the feed; A edits. B's round is woken by the event announcing A's head.
    const stop = new AbortController();
    const results: SyncResult[] = [];
    const waiters: Array<() => void> = [];
    const round = async (done: () => boolean) => {
      while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    void follow(b.keychain, {
      signal: stop.signal,
      onRound: (r) => {
        results.push(r);
        for (const w of waiters.splice(0)) w();
      },
    }).catch(() => undefined);
    await round(() => results.length > 0);
    const id = a.vault.entries()[0]!.id;
    await a.vault.rename(id, { account: 'renamed on A' });
    await syncRound(a.keychain);
    const headOfA = a.keychain.requireTrusted().highestSeen;
    expect(headOfA).toBeGreaterThan(seenBefore);
    await round(() => b.vault.get(id)!.account === 'renamed on A');
    stop.abort();
    // The pull that brought the edit asked for A's head, which B knew only from the feed.
    const pulls = proxy.requests
      .filter((r) => isGet('/v1/items')(r) && r.session === session())
      .map((r) => new URL(r.path, 'http://x').searchParams);
    const bringing = pulls.filter((q) => q.get('since') === String(cursorBefore)).at(-1);
    expect(bringing?.get('atLeast')).toBe(String(headOfA));
  });

  it('still refuses a head below what it has seen, whatever it asked for', async () => {
    proxy.tamper = (req, res) => (isGet('/v1/items')(req) ? { ...res, head: 1 } : undefined);
    await refused(syncRound(b.keychain), 'server-rollback', /older state/);
    proxy.tamper = null;
  });
});
