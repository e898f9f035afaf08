// The approval relay by long polling (docs/PROTOCOL.md §1.3): both devices' looks at `GET /v1/join`
// carry `wait` and `seen` and are held by the server until there is news, so no short-poll pause lies
// on the approval's path; the new device looks for the delivery while it still saves its seal key. A
// server that holds a look forever, answers early with nothing new, or refuses `wait` (older than long
// polling) gets no more than a timeout, a paced look, or short polling. Real server behind the
// tampering proxy, real Node vaults.
import { beforeAll, describe, expect, it } from 'vitest';
import { approve, awaitApproval, Keychain, metaDeviceKeyStore, syncRound } from '../../src/keychain/index.js';
import { approvalAccount, refused, type device, type Json, type TamperingProxy } from './tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;
type Request = { method: string; path: string; body: Json | null; session: string | null };

const ENTRIES = 5;
/** Longer than any test: a look that waited for it would fail the test by its timeout. */
const NEVER_MS = 10 * 60 * 1000;

const isLook = (r: Request) => r.method === 'GET' && r.path.startsWith('/v1/join');
const param = (r: Request, name: string) => new URL(r.path, 'http://x').searchParams.get(name);

describe('the approval relay, long polling', () => {
  const { account, waiting } = approvalAccount('relay@example.com', ENTRIES);
  let proxy: TamperingProxy;
  let a: Device;
  beforeAll(() => {
    ({ proxy, a } = account);
  });

  /** Resolves with the first request through the proxy that `match` accepts (forwarded as usual). */
  function next(match: (r: Request) => boolean): Promise<Request> {
    return new Promise((resolve) => {
      const before = proxy.intercept;
      proxy.intercept = (r) => {
        if (match(r)) {
          proxy.intercept = before;
          resolve(r);
        }
        return before?.(r) ?? null;
      };
    });
  }

  /** The server's answer to the same look without `wait`: at once, with nothing new. */
  async function answeredAtOnce(r: Request): Promise<{ status: number; body: Json }> {
    const url = new URL(r.path, proxy.upstream);
    url.searchParams.delete('wait');
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${r.session}`, 'tessera-client': 'tessera-cli/0.2.0' },
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  it('runs on held looks, with no pause, and the new device looks for the delivery while it saves its seal key', async () => {
    const { d, session, verificationCode, deviceId } = await waiting('L');
    await syncRound(a.keychain);
    // D's vault writes wait until its look for the delivery (seen: a, b, confirm-a) has gone out.
    const deliveryLook = next((r) => isLook(r) && r.session === session && param(r, 'seen') === '3');
    const updateMeta = d.vault.updateMeta.bind(d.vault);
    let held = 0;
    d.vault.updateMeta = async (...args) => {
      held++;
      await deliveryLook;
      return updateMeta(...args);
    };
    const asked = proxy.requests.length;
    try {
      // A pause (pollMs) anywhere on the path would outlast the test.
      await Promise.all([
        approve(a.keychain, { code: verificationCode, deviceId, pollMs: NEVER_MS }),
        awaitApproval(d.keychain, { pollMs: NEVER_MS }),
      ]);
    } finally {
      d.vault.updateMeta = updateMeta;
    }
    expect(held).toBeGreaterThan(0);
    expect(d.keychain.requireState().status).toBe('trusted');
    const looks = proxy.requests.slice(asked).filter(isLook);
    const dLooks = looks.filter((r) => r.session === session);
    expect(dLooks.length).toBeGreaterThan(0);
    for (const r of dLooks) expect(Number(param(r, 'wait'))).toBeGreaterThan(0);
    // A's answer look is held too (its first look at the waiting devices is a plain read).
    expect(looks.some((r) => r.session !== session && param(r, 'seen') === '2')).toBe(true);
    await syncRound(d.keychain);
    expect(d.vault.entries()).toHaveLength(ENTRIES);
  });

  it('after a look answered early with nothing new, looks again at once (no pause)', async () => {
    const { d, session, verificationCode, deviceId } = await waiting('E');
    await syncRound(a.keychain);
    let early = 0;
    proxy.intercept = (r) => (isLook(r) && r.session === session && early++ === 0 ? answeredAtOnce(r) : null);
    try {
      await Promise.all([
        approve(a.keychain, { code: verificationCode, deviceId, pollMs: NEVER_MS }),
        awaitApproval(d.keychain, { pollMs: NEVER_MS }),
      ]);
    } finally {
      proxy.intercept = null;
    }
    expect(early).toBeGreaterThan(1);
    expect(d.keychain.requireState().status).toBe('trusted');
  });

  it('a server answering every look early with nothing new gets two looks, then the pause', async () => {
    const { d, session, verificationCode, deviceId } = await waiting('P');
    await syncRound(a.keychain);
    let early = 0;
    let second: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => (second = resolve));
    proxy.intercept = (r) => {
      if (!isLook(r) || r.session !== session) return null;
      if (++early === 2) second();
      return answeredAtOnce(r);
    };
    const approval = awaitApproval(d.keychain, { pollMs: 5_000 });
    await twice;
    // A busy loop would look again many times during these round trips; a paced client waits.
    for (let n = 0; n < 5; n++) await fetch(`${proxy.upstream}/v1/meta`);
    expect(early).toBe(2);
    proxy.intercept = null;
    await Promise.all([approve(a.keychain, { code: verificationCode, deviceId, pollMs: 10 }), approval]);
    expect(d.keychain.requireState().status).toBe('trusted');
  });

  it('a server holding a look forever: the new device gives up by its own timeout and stays pending', async () => {
    const { d, session } = await waiting('H');
    proxy.intercept = (r) => (isLook(r) && r.session === session ? new Promise(() => undefined) : null);
    try {
      const impatient = new Keychain({
        host: d.vault,
        deviceKeys: metaDeviceKeyStore(d.vault),
        clientId: 'tessera-cli/0.2.0',
        timeoutMs: 200,
      });
      await refused(
        awaitApproval(impatient, { pollMs: 10, waitMs: 100 }),
        'offline',
        /did not answer in time/,
      );
      expect(impatient.requireState().status).toBe('pending');
      expect(impatient.requireState().join?.sealKey).toBeUndefined();
    } finally {
      proxy.intercept = null;
    }
  });

  it('an older server, which refuses `wait`, is short-polled and the approval completes', async () => {
    const { d, session, verificationCode, deviceId } = await waiting('O');
    await syncRound(a.keychain);
    const asked = proxy.requests.length;
    proxy.intercept = (r) =>
      isLook(r) && param(r, 'wait') !== null
        ? Promise.resolve({
            status: 400,
            body: {
              error: { code: 'validation', message: 'querystring must NOT have additional properties' },
            },
          })
        : null;
    try {
      await Promise.all([
        approve(a.keychain, { code: verificationCode, deviceId, pollMs: 10 }),
        awaitApproval(d.keychain, { pollMs: 10 }),
      ]);
    } finally {
      proxy.intercept = null;
    }
    expect(d.keychain.requireState().status).toBe('trusted');
    // Each device asked with `wait` once; refused, it looks without from then on.
    const looks = proxy.requests.slice(asked).filter(isLook);
    for (const who of [session, a.keychain.requireState().session]) {
      const waited = looks.filter((r) => r.session === who && param(r, 'wait') !== null);
      expect(waited).toHaveLength(1);
    }
  });
});
