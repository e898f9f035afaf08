// The 30-day trash on devices that stay open: a sync round wipes what is due and the wipe reaches the
// other devices through the real server, so a browser tab or `sync --follow` left running for weeks
// does not keep a deleted secret beyond TRASH_DAYS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@tessera/server';
import { openNodeVault } from '@tessera/vault/node';
import { TRASH_MS } from '../../src/index.js';
import { Keychain, login, metaDeviceKeyStore, signup, syncRound } from '../../src/keychain/index.js';
import { tempHome, totpEntry } from '../fixtures.js';
import { approveJoin } from './tampering-proxy.js';

async function clockedDevice() {
  const time = { now: Date.now() };
  const vault = await openNodeVault({ home: tempHome(), keyStore: 'file', now: () => time.now });
  const keychain = new Keychain({
    host: vault,
    deviceKeys: metaDeviceKeyStore(vault),
    clientId: 'tessera-cli/0.2.0',
  });
  return { vault, keychain, time };
}

describe('Trash on synced devices', () => {
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a sync round wipes entries deleted 30 days ago, and the other device receives the wipe', async () => {
    const one = await clockedDevice();
    const two = await clockedDevice();
    const kept = await one.vault.add(totpEntry(1, { issuer: 'Kept' }));
    const gone = await one.vault.add(totpEntry(2, { issuer: 'Gone' }));
    await signup(one.keychain, {
      server: server.url,
      email: 'trash@example.com',
      password: 'correct horse battery staple',
      deviceName: 'one',
      keepRecoveryKey: async () => undefined,
    });
    await syncRound(one.keychain);
    const joined = await login(two.keychain, {
      server: server.url,
      email: 'trash@example.com',
      password: 'correct horse battery staple',
      deviceName: 'two',
    });
    await approveJoin(one, two, joined.verificationCode);
    await syncRound(two.keychain);

    await one.vault.remove(gone.id);
    await syncRound(one.keychain);
    await syncRound(two.keychain);
    expect(two.vault.trash().map((e) => e.id)).toEqual([gone.id]);

    // A day short of the limit nothing is wiped; once it passes, the next round wipes and pushes.
    one.time.now += TRASH_MS - 24 * 60 * 60 * 1000;
    await syncRound(one.keychain);
    expect(one.vault.trash().map((e) => e.id)).toEqual([gone.id]);
    one.time.now += 24 * 60 * 60 * 1000;
    await syncRound(one.keychain);
    expect(one.vault.trash()).toEqual([]);

    await syncRound(two.keychain);
    expect(two.vault.trash()).toEqual([]);
    const wiped = two.vault.records().find((r) => r.entry.id === gone.id)!;
    expect(wiped.deleted).toBe(true);
    expect(JSON.stringify(wiped)).not.toContain(gone.secret);
    expect(two.vault.entries().map((e) => e.id)).toEqual([kept.id]);
  });
});
