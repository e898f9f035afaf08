/**
 * Shared folders in real browsers against the real server on SQLite (issue 16; the CLI's test covers
 * PostgreSQL): Alice (1280 px, light) creates a folder and invites Bob (360 px, dark) after both
 * compared the safety number, Bob by scanning Alice's QR code; Carol is a third account in Node on
 * the vault library, invited as viewer. Codes are the same everywhere, an edit by one shows live for
 * the others, a viewer gets no edit controls and the server refuses its write, copying a code lands
 * in the owners' activity log, removal hides the folder from the removed account, and deleting the
 * folder drops it for everyone.
 */
import { describe, expect, it } from 'vitest';
import { totp } from '@tessera/otp';
import { KeychainError } from '@tessera/vault/keychain';
import {
  acceptInvite,
  folderRecords,
  listFolders,
  localFolders,
  nextFolderHotp,
  syncFolders,
} from '@tessera/vault/folders';
import type { Page } from 'playwright-core';
import { addTyped, createKeychain, startDeviceOnly, useHarness, type Device } from './harness.js';
import { nodeAccount } from './node-account.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
/** RFC 4226 appendix D: the secret "12345678901234567890" and its first codes. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_CODES = ['755224', '287082'];
const PASSWORD = 'correct horse battery staple';
const harness = useHarness();

/** The code a row of the list shows, without spaces. */
async function rowCode(page: Page, name: string): Promise<string> {
  const row = page.locator('.row', { has: page.getByRole('button', { name }) });
  return ((await row.locator('.code').textContent()) ?? '').replace(/\s/g, '');
}

/** A code of `SECRET` valid around now (the row may have been drawn in the previous period). */
function validCodes(): string[] {
  const now = Math.floor(Date.now() / 1000);
  return [now - 30, now, now + 30].map((time) => totp({ secret: SECRET, time }));
}

async function openFolder(page: Page, name: string): Promise<void> {
  // From the codes first: the Folders page may still show an open folder.
  await page.goto('/#/');
  await page.goto('/#/folders');
  await page.getByRole('button', { name: `Open ${name}` }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

describe('shared folders', { timeout: 600_000 }, () => {
  let alice: Device;
  let bob: Device;

  it('invite with a safety-number check, the same codes for every member, live edits, roles, activity and removal', async () => {
    alice = await harness.device({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    bob = await harness.device({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    await startDeviceOnly(alice.page);
    await keychainWithOneCode(alice.page, 'alice@example.com');
    await startDeviceOnly(bob.page);
    await keychainWithOneCode(bob.page, 'bob@example.com');
    // Carol: an account on the vault library in Node, with nothing of the web app.
    const carol = await nodeAccount(harness.url, 'carol@example.com', 'Carol laptop');
    // Opening the Folders page publishes the account's sharing key, so others can invite it.
    await bob.page.goto('/#/folders');
    await bob.page.getByText('No shared folders yet').waitFor();
    await listFolders({ keychain: carol });

    // Alice creates the folder and adds a code to it from the Add page.
    await alice.page.goto('/#/folders');
    await alice.page.getByLabel('Folder name').fill('Family');
    await alice.page.getByRole('button', { name: 'Create folder' }).click();
    await alice.page.getByRole('heading', { name: 'Family', level: 1 }).waitFor();
    await alice.page.getByText('Every member’s devices hold the secrets').waitFor();
    await addToFolder(alice.page, 'Family', {
      issuer: 'Bank',
      account: 'family@example.com',
      secret: SECRET,
    });
    await alice.page.goto('/#/');
    await alice.page.getByRole('heading', { name: /Family/, level: 2 }).waitFor();
    expect(validCodes()).toContain(await rowCode(alice.page, 'Edit Bank in Family'));

    // Alice invites Bob as editor; the invite is signed only after the numbers were compared.
    await openFolder(alice.page, 'Family');
    await alice.page.getByLabel('Their email').fill('bob@example.com');
    await alice.page.getByLabel('Role', { exact: true }).selectOption('editor');
    await alice.page.getByRole('button', { name: 'Invite…' }).click();
    const aliceDialog = alice.page.getByRole('dialog');
    const number = ((await aliceDialog.getByTestId('safety-number').textContent()) ?? '').trim();
    expect(number).toMatch(/^(\d{5}){12}$/);
    const qr = await aliceDialog.getByTestId('safety-qr').getAttribute('src');
    expect(qr).toMatch(/^data:image\/png;base64,/);
    await aliceDialog.getByRole('button', { name: 'Numbers match' }).click();
    const bobRow = alice.page.getByTestId('member').filter({ hasText: 'bob@example.com' });
    await bobRow.getByText('invited').waitFor();

    // Bob sees the invite and checks the number by scanning a picture of Alice's QR code.
    await bob.page.goto('/#/');
    await bob.page.goto('/#/folders');
    // Before accepting, the card names the folder (sealed to Bob in Alice's signed invite), who invites and as what.
    const card = bob.page.getByTestId('invite');
    await card.getByText('Family', { exact: true }).waitFor();
    await card.getByText('alice@example.com invites you as editor.').waitFor();
    const accept = bob.page.getByRole('button', { name: /accept the invite from alice@example\.com/ });
    await accept.click();
    const bobDialog = bob.page.getByRole('dialog');
    expect(((await bobDialog.getByTestId('safety-number').textContent()) ?? '').trim()).toBe(number);
    await bobDialog.getByRole('button', { name: 'Open a picture of their QR' }).click();
    await bobDialog.getByLabel(/safety-number QR code/).setInputFiles({
      name: 'alice-safety.png',
      mimeType: 'image/png',
      buffer: Buffer.from(qr!.split(',')[1]!, 'base64'),
    });
    // The scan matched: the accept was signed and the folder opens.
    await bob.page.getByRole('heading', { name: 'Family', level: 1 }).waitFor();
    await bob.page.getByTestId('folder-role').filter({ hasText: 'editor' }).waitFor();
    await bobRow.getByText('joined').waitFor();

    // Alice's device hands Bob the folder key; Bob's codes show the same code under the folder.
    await bob.page.goto('/#/');
    await bob.page.getByRole('heading', { name: /Family/, level: 2 }).waitFor();
    await expect
      .poll(async () => validCodes().includes(await rowCode(bob.page, 'Edit Bank in Family')))
      .toBe(true);

    // A live edit by Bob shows on Alice's screen without a reload.
    await alice.page.goto('/#/');
    await bob.page.getByRole('button', { name: 'Edit Bank in Family' }).click();
    await bob.page.getByLabel('Issuer').fill('Family bank');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await alice.page.getByRole('button', { name: 'Edit Family bank in Family' }).waitFor();

    // Bob copies the code: Alice's activity log says so (and that the log is self-reported).
    await bob.page
      .getByRole('button', { name: /^Family bank, family@example\.com: .* Press to copy\.$/ })
      .click();
    await bob.page.getByText('Copied the code for Family bank').waitFor();
    await openFolder(alice.page, 'Family');
    await alice.page.getByText('self-reported').waitFor();
    await expect
      .poll(async () => {
        await alice.page.getByRole('button', { name: 'Refresh activity' }).click();
        return alice.page.getByTestId('activity').textContent();
      })
      .toMatch(/bob@example\.com copied Family bank/);

    // A counter-based code in the folder: a tap takes the next code, and the counter moves for
    // every member first, so Bob's tap gets the code after Alice's (RFC 4226's codes for the secret).
    await addToFolder(alice.page, 'Family', {
      issuer: 'Door',
      account: 'night',
      secret: RFC_SECRET,
      hotp: true,
    });
    await alice.page.goto('/#/');
    await alice.page
      .getByRole('button', { name: /^Door, night: counter code\. Press for the next code\.$/ })
      .click();
    await expect.poll(() => rowCode(alice.page, 'Edit Door in Family')).toBe(RFC_CODES[0]);
    await bob.page.goto('/#/');
    await bob.page
      .getByRole('button', { name: /^Door, night: counter code\. Press for the next code\.$/ })
      .click();
    await expect.poll(() => rowCode(bob.page, 'Edit Door in Family')).toBe(RFC_CODES[1]);

    // The share-link button is in reach for a folder entry too.
    await alice.page.goto('/#/');
    await alice.page.getByRole('button', { name: 'Edit Family bank in Family' }).click();
    await alice.page.getByRole('button', { name: 'Share codes for 10 minutes' }).click();
    expect(await alice.page.getByTestId('share-link').inputValue()).toMatch(/\/share\.html#/);
    await alice.page.getByRole('button', { name: 'Cancel' }).click();

    // Carol, in Node, is invited as viewer; her confirm sees the number Alice's screen shows.
    await openFolder(alice.page, 'Family');
    await alice.page.getByLabel('Their email').fill('carol@example.com');
    await alice.page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await alice.page.getByRole('button', { name: 'Invite…' }).click();
    const carolNumber = ((await aliceDialog.getByTestId('safety-number').textContent()) ?? '').trim();
    await aliceDialog.getByRole('button', { name: 'Numbers match' }).click();
    await alice.page
      .getByTestId('member')
      .filter({ hasText: 'carol@example.com' })
      .getByText('invited')
      .waitFor();
    const listed = await listFolders({ keychain: carol });
    expect(listed.invites.map((i) => i.role)).toEqual(['viewer']);
    await acceptInvite({
      keychain: carol,
      folder: listed.invites[0]!.folder,
      confirm: async (seen) => seen.replace(/\s/g, '') === carolNumber.replace(/\s/g, ''),
    });
    const folderId = listed.invites[0]!.folder;
    // Alice's open page wraps the key to Carol once it sees her accept.
    await expect
      .poll(async () => {
        await syncFolders({ keychain: carol, folder: folderId });
        return folderRecords({ keychain: carol, folder: folderId }).filter((r) => !r.deleted).length;
      })
      .toBe(2);
    const shared = folderRecords({ keychain: carol, folder: folderId }).find(
      (r) => r.entry.type === 'totp',
    )!.entry;
    expect(shared.issuer).toBe('Family bank');
    expect(validCodes()).toContain(totp({ secret: shared.secret, time: Math.floor(Date.now() / 1000) }));
    expect(localFolders({ keychain: carol })[0]!.role).toBe('viewer');

    // The server itself refuses a viewer's write, whatever her client would allow.
    const refused = await carol
      .client()
      .call('folderEntriesPost', {
        body: { folder: folderId, entries: [{ id: shared.id, epoch: 1, blob: 'AAAA' }] },
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeychainError);
    expect((refused as KeychainError).details.status).toBe(403);

    // Bob becomes a viewer: no edit controls, and the page says viewers' devices hold the secrets.
    await alice.page.getByLabel('Role of bob@example.com').selectOption('viewer');
    await alice.page.getByText('bob@example.com is now viewer').waitFor();
    await bob.page.goto('/#/');
    await bob.page.getByRole('button', { name: 'Share Family bank from Family' }).waitFor();
    expect(await bob.page.getByRole('button', { name: 'Edit Family bank in Family' }).count()).toBe(0);
    await bob.page.getByRole('button', { name: 'Share Family bank from Family' }).click();
    await bob.page
      .getByTestId('viewer-note')
      .filter({ hasText: 'your devices hold the folder’s secrets' })
      .waitFor();
    expect(await bob.page.getByRole('dialog').getByRole('button', { name: 'Save' }).count()).toBe(0);
    await bob.page.getByRole('button', { name: 'Close' }).click();
    // A viewer cannot move the shared counter: the tap says why, and Carol's library refuses too.
    await bob.page.reload();
    await bob.page.getByRole('button', { name: /^Door, night: counter code/ }).click();
    await bob.page.getByText('Viewers cannot take counter-based (HOTP) codes').waitFor();
    const door = folderRecords({ keychain: carol, folder: folderId }).find((r) => r.entry.issuer === 'Door')!;
    const viewerTake = await nextFolderHotp({ keychain: carol, folder: folderId, id: door.entry.id }).catch(
      (e: unknown) => e,
    );
    expect((viewerTake as Error).message).toMatch(/viewer cannot take counter-based/);
    await bob.page.goto('/#/add');
    await bob.page.getByRole('heading', { name: 'Add a code' }).waitFor();
    expect(await bob.page.getByLabel('Save to').count()).toBe(0);

    // Alice removes Bob, after the honest note; his screen drops the folder.
    await openFolder(alice.page, 'Family');
    await alice.page.getByRole('button', { name: 'Remove bob@example.com' }).click();
    await alice.page.getByRole('dialog').getByText('may have kept what they already saw').waitFor();
    await alice.page.getByText('folder key is replaced').waitFor();
    await alice.page.getByRole('dialog').getByRole('button', { name: 'Remove member' }).click();
    await alice.page.getByText('Removed bob@example.com').waitFor();
    await bob.page.goto('/#/');
    await expect.poll(() => bob.page.getByRole('heading', { name: /Family/ }).count()).toBe(0);
    await bob.page.goto('/#/folders');
    await bob.page.getByText('No shared folders yet').waitFor();
    // Carol still reads the folder under its new key.
    await syncFolders({ keychain: carol, folder: folderId });
    expect(localFolders({ keychain: carol })[0]!.epoch).toBe(2);

    // Alice deletes the folder: it is gone for Carol too.
    await openFolder(alice.page, 'Family');
    await alice.page.getByRole('button', { name: 'Delete folder…' }).click();
    await alice.page.getByRole('dialog').getByText('deleted for every member').waitFor();
    await alice.page.getByRole('dialog').getByRole('button', { name: 'Delete folder' }).click();
    await alice.page.getByText('No shared folders yet').waitFor();
    await syncFolders({ keychain: carol });
    expect(localFolders({ keychain: carol })).toEqual([]);

    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });
});

/** A device with one code of its own and a keychain made on the Backup page. */
async function keychainWithOneCode(page: Page, email: string): Promise<void> {
  await addTyped(page, { issuer: 'Mail', account: email, secret: 'KRSXG5CTMVRXEZLU' });
  await createKeychain(page, { email, password: PASSWORD });
}

/** Adds an entry to a shared folder through the typed form of the Add page. */
async function addToFolder(
  page: Page,
  folder: string,
  entry: { issuer: string; account: string; secret: string; hotp?: boolean },
): Promise<void> {
  await page.goto('/#/add');
  await page.getByLabel('Save to').selectOption({ label: folder });
  await page.getByRole('button', { name: 'Type it in' }).click();
  await page.getByLabel('Issuer', { exact: true }).fill(entry.issuer);
  await page.getByLabel('Account', { exact: true }).fill(entry.account);
  await page.getByLabel('Secret key').fill(entry.secret);
  if (entry.hotp) {
    await page.getByLabel('Type', { exact: true }).selectOption('hotp');
    await page.getByLabel('Counter', { exact: true }).fill('0');
  }
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Added' }).first().waitFor();
}
