/**
 * The web app's shared-folder sync waits until the account uses folders (issue 16): an account that
 * never opens them publishes no sharing key and sends no folder request, however many sync rounds
 * run; once it opens the Folders page (a use: its key is published so others can invite it), the
 * sync rounds bring folder changes in the background. Requests are observed as the browser sends
 * them; the server's data is asked by another account (a sharing-key lookup answers 404 when the
 * account's circle names none).
 */
import { describe, expect, it } from 'vitest';
import { KeychainError } from '@tessera/vault/keychain';
import { addTyped, createKeychain, startDeviceOnly, useHarness } from './harness.js';
import { nodeAccount } from './node-account.js';

const PASSWORD = 'correct horse battery staple';
const harness = useHarness();

describe('shared-folder sync guard', { timeout: 600_000 }, () => {
  it('sends no folder request and publishes no sharing key until the account uses folders', async () => {
    const dave = await harness.device();
    const folderRequests: string[] = [];
    dave.page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/folders')) folderRequests.push(`${request.method()} ${url.pathname}`);
    });
    await startDeviceOnly(dave.page);
    await addTyped(dave.page, { issuer: 'Mail', account: 'dave@example.com', secret: 'KRSXG5CTMVRXEZLU' });
    await createKeychain(dave.page, { email: 'dave@example.com', password: PASSWORD });
    // More rounds of the follow loop: a code pushed, and the Backup page says all of it is up.
    await addTyped(dave.page, { issuer: 'Forge', account: 'dave', secret: 'JBSWY3DPEHPK3PXP' });
    await dave.page.goto('/#/backup');
    await dave.page.getByTestId('backup-state').filter({ hasText: 'Everything is backed up' }).waitFor();
    expect(folderRequests).toEqual([]);
    // Another account, in Node on the vault library: it asks the server for Dave's sharing key.
    const erin = await nodeAccount(harness.url, 'erin@example.com', 'Erin laptop');
    const lookup = () => erin.client().call('sharingKey', { query: { email: 'dave@example.com' } });
    const none = await lookup().catch((e: unknown) => e);
    expect(none).toBeInstanceOf(KeychainError);
    expect((none as KeychainError).details.status).toBe(404);

    // Opening the Folders page is a use: the key is published, so Erin could invite Dave.
    const listed = dave.page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/v1/folders' && r.request().method() === 'GET',
    );
    await dave.page.goto('/#/folders');
    await listed;
    await dave.page.getByText('No shared folders yet').waitFor();
    const published = await lookup();
    expect(published.encPub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // From now on the background rounds sync folders (the guard sees the key this device made).
    await dave.page.goto('/#/');
    folderRequests.length = 0;
    await addTyped(dave.page, { issuer: 'Chat', account: 'dave', secret: 'GEZDGNBVGY3TQOJQ' });
    await expect.poll(() => folderRequests.includes('GET /v1/folders')).toBe(true);
    expect(dave.errors).toEqual([]);
  });
});
