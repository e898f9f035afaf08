/**
 * The browser vault file (issue 14): sealed with AES-256-GCM through WebCrypto, the AEAD named in
 * its authenticated header (file format version 2); an older XChaCha20-Poly1305 file is read and
 * rewritten; an altered file is refused. And a pull's merge (issue 18): shown before its save
 * completes, saved all the same. Real Chromium, real IndexedDB, real server.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openVaultFileAny, readVaultHeader, sealVaultFile } from '@tessera/vault';
import { addTyped, createKeychain, signInFromFirstRun, startDeviceOnly, useHarness } from './harness.js';

const harness = useHarness();

const SECRET = 'JBSWY3DPEHPK3PXP';

/** The stored vault bytes and the browser-held storage key (unwrapped in the page, as the app does). */
async function stored(page: Page): Promise<{ vault: Uint8Array; key: Uint8Array }> {
  const { vault, key } = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('tessera');
      request.onsuccess = () => resolve(request.result);
    });
    const get = <T>(store: string, key: string) =>
      new Promise<T>((resolve) => {
        const request = db.transaction(store).objectStore(store).get(key);
        request.onsuccess = () => resolve(request.result as T);
      });
    const held = await get<{ iv: Uint8Array; wrapped: Uint8Array }>('keys', 'vault-key');
    const wrapping = await get<CryptoKey>('keys', 'vault-wrapping-key');
    const raw = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: held.iv as BufferSource },
      wrapping,
      held.wrapped as BufferSource,
    );
    const vault = await get<Uint8Array>('vault', 'main');
    db.close();
    return { vault: Array.from(vault), key: Array.from(new Uint8Array(raw)) };
  });
  return { vault: new Uint8Array(vault), key: new Uint8Array(key) };
}

/** Replaces the stored vault bytes (what an attacker with the profile, or an older Tessera, left). */
async function store(page: Page, bytes: Uint8Array): Promise<void> {
  await page.evaluate(async (vault) => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('tessera');
      request.onsuccess = () => resolve(request.result);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('vault', 'readwrite');
      tx.objectStore('vault').put(new Uint8Array(vault), 'main');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, Array.from(bytes));
}

describe('the browser vault file', { timeout: 180_000 }, () => {
  it('is sealed with AES-256-GCM; an older file is read and rewritten; an altered one is refused', async () => {
    const { page, errors } = await harness.device();
    await startDeviceOnly(page);
    await addTyped(page, { issuer: 'Sealed', account: 's@example.com', secret: SECRET });

    const now = await stored(page);
    const { header, aead, version } = readVaultHeader(now.vault);
    expect([version, aead, header.aead]).toEqual([2, 'aes-256-gcm', 'aes-256-gcm']);
    const plain = await openVaultFileAny({ key: now.key, bytes: now.vault });
    expect(new TextDecoder().decode(plain)).toContain('Sealed');
    // Nothing plaintext at rest.
    const raw = new TextDecoder('latin1').decode(now.vault);
    expect(raw).not.toContain('Sealed');
    expect(raw).not.toContain(SECRET);

    // A version-1 file (XChaCha20-Poly1305, as earlier versions wrote) opens, and is rewritten.
    const { aead: _dropped, ...v1Header } = header;
    const older = sealVaultFile({
      key: now.key,
      header: { ...v1Header, generation: header.generation + 1 },
      payload: plain,
    });
    expect(readVaultHeader(older).version).toBe(1);
    await page.goto('/#/');
    await store(page, older);
    await page.reload();
    await page.locator('.row', { hasText: 'Sealed' }).waitFor();
    await expect.poll(async () => readVaultHeader((await stored(page)).vault).aead).toBe('aes-256-gcm');
    const rewritten = await stored(page);
    expect(readVaultHeader(rewritten.vault).header.generation).toBe(header.generation + 2);
    expect(
      new TextDecoder().decode(await openVaultFileAny({ key: rewritten.key, bytes: rewritten.vault })),
    ).toContain('Sealed');

    // One changed ciphertext byte, or the version byte turned back to 1: refused, and no codes shown.
    for (const change of [(b: Uint8Array) => (b[b.length - 40]! ^= 1), (b: Uint8Array) => (b[7] = 1)]) {
      const altered = rewritten.vault.slice();
      change(altered);
      await store(page, altered);
      await page.reload();
      await page.getByRole('alert').filter({ hasText: 'damaged or was modified' }).waitFor();
      expect(await page.locator('.row').count()).toBe(0);
    }
    await store(page, rewritten.vault);
    await page.reload();
    await page.locator('.row', { hasText: 'Sealed' }).waitFor();
    expect(errors.filter((e) => !/damaged or was modified/.test(e))).toEqual([]);
  });

  it('shows an edit pulled from another device before its save completes, and keeps it after a reload', async () => {
    const a = await harness.device();
    await startDeviceOnly(a.page);
    await addTyped(a.page, { issuer: 'Before', account: 'live@example.com', secret: SECRET });
    const account = { email: 'live@example.com', password: 'correct horse battery staple' };
    await createKeychain(a.page, account);

    const b = await harness.device();
    await signInFromFirstRun(b.page, account);
    const codeText = b.page.getByTestId('verification-code').filter({ hasText: /^\d{4}-\d{4}$/ });
    await codeText.waitFor({ timeout: 90_000 });
    await a.page.goto('/#/backup');
    await a.page.getByLabel('Verification code').fill((await codeText.textContent())!.trim());
    await a.page.getByRole('button', { name: 'Approve' }).click();
    await a.page
      .getByRole('status')
      .filter({ hasText: 'can now see your codes' })
      .waitFor({ timeout: 30_000 });
    await b.page.goto('/#/');
    await b.page.locator('.row', { hasText: 'Before' }).waitFor({ timeout: 30_000 });

    // In B, a put into the vault store of a vault that holds the edit keeps its transaction open
    // (no commit) until released; other puts commit as soon as that is known to be false.
    const { key: keyB } = await stored(b.page);
    await b.page.evaluate((rawKey) => {
      const w = window as unknown as { held: number; committed: number; release: boolean };
      w.held = 0;
      w.committed = 0;
      w.release = false;
      const holdsEdit = async (bytes: Uint8Array) => {
        const headerEnd = 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8);
        const key = await crypto.subtle.importKey('raw', new Uint8Array(rawKey), 'AES-GCM', false, [
          'decrypt',
        ]);
        const plain = await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: bytes.slice(headerEnd, headerEnd + 12),
            additionalData: bytes.slice(0, headerEnd),
          },
          key,
          bytes.slice(headerEnd + 12),
        );
        return new TextDecoder().decode(plain).includes('"After"');
      };
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (
        this: IDBObjectStore,
        ...args: Parameters<IDBObjectStore['put']>
      ) {
        const request = put.apply(this, args);
        if (this.name !== 'vault') return request;
        let hold = true;
        void holdsEdit(args[0] as Uint8Array).then((edit) => {
          if (!edit) return (hold = false);
          w.held++;
          this.transaction.addEventListener('complete', () => w.committed++);
        });
        const keepAlive = () => {
          if (!hold || w.release) return;
          this.get('keep-alive').onsuccess = keepAlive;
        };
        keepAlive();
        return request;
      };
    }, Array.from(keyB));

    await a.page.goto('/#/');
    await a.page.getByRole('button', { name: 'Edit Before', exact: true }).click();
    await a.page.getByLabel('Issuer', { exact: true }).fill('After');
    await a.page.getByRole('button', { name: 'Save', exact: true }).click();

    // B shows the edit while its save of the pull is held (not committed).
    await b.page.locator('.row', { hasText: 'After' }).waitFor({ timeout: 30_000 });
    const counts = () =>
      b.page.evaluate(() => {
        const w = window as unknown as { held: number; committed: number };
        return { held: w.held, committed: w.committed };
      });
    await expect.poll(counts).toEqual({ held: 1, committed: 0 });

    // Released, the save completes; after a reload B still shows the edit.
    await b.page.evaluate(() => ((window as unknown as { release: boolean }).release = true));
    await expect
      .poll(async () => {
        const s = await stored(b.page);
        return new TextDecoder()
          .decode(await openVaultFileAny({ key: s.key, bytes: s.vault }))
          .includes('After');
      })
      .toBe(true);
    await b.page.reload();
    await b.page.locator('.row', { hasText: 'After' }).waitFor();
    expect(await b.page.locator('.row', { hasText: 'Before' }).count()).toBe(0);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
