/**
 * A time-limited code link in real browsers against the real server (docs/PROTOCOL.md §9): a trusted
 * web device shares an entry for 10 minutes; another browser, with nothing of the keychain, opens the
 * link and sees the code of the moment; a browser whose clock is past the window sees none.
 */
import { describe, expect, it } from 'vitest';
import { totp } from '@tessera/otp';
import { addTyped, createKeychain, startDeviceOnly, useHarness } from './harness.js';

const SECRET = 'KRSXG5CTMVRXEZLU';
const harness = useHarness();

describe('code links', { timeout: 90_000 }, () => {
  it('a shared link shows the code of the moment to anyone with it, and nothing after its window', async () => {
    const a = await harness.device();
    await startDeviceOnly(a.page);
    await addTyped(a.page, { issuer: 'Registrar', account: 'oncall@example.com', secret: SECRET });
    await createKeychain(a.page, { email: 'links@example.com', password: 'correct horse battery staple' });

    await a.page.getByRole('button', { name: 'Edit Registrar' }).click();
    await a.page.getByRole('button', { name: 'Share codes for 10 minutes' }).click();
    const link = (await a.page.getByTestId('share-link').inputValue()).trim();
    expect(link).toMatch(/\/share\.html#[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(a.errors).toEqual([]);

    // Someone else, in a browser with nothing of Tessera.
    const friend = await harness.device();
    await friend.page.goto(link);
    await friend.page.getByRole('heading', { name: 'Registrar' }).waitFor({ timeout: 20_000 });
    await expect
      .poll(async () => {
        const shown = (await friend.page.getByTestId('shared-code').textContent())?.trim();
        return shown === totp({ secret: SECRET, time: Math.floor(Date.now() / 1000) });
      })
      .toBe(true);
    expect(friend.errors).toEqual([]);

    // The same link on a clock 11 minutes on: the window is over, no code is shown.
    const late = await harness.device();
    await late.context.addInitScript(() => {
      const real = Date.now.bind(Date);
      Date.now = () => real() + 11 * 60_000;
    });
    await late.page.goto(link);
    await late.page.getByTestId('expired').waitFor({ timeout: 20_000 });
    expect(await late.page.getByTestId('shared-code').count()).toBe(0);

    // A link with its key cut short opens nothing.
    const cut = await harness.device();
    await cut.page.goto(link.slice(0, -10));
    await cut.page
      .getByRole('alert')
      .filter({ hasText: 'not a Tessera code link' })
      .waitFor({ timeout: 20_000 });
  });
});
