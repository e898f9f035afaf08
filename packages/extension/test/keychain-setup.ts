/**
 * What the extension's keychain tests share: a real keychain server (the web app's test harness),
 * the extension in a fresh browser with that server's origin granted (as after the user said yes to
 * the prompt, which a headless browser cannot show), the test site, and a CLI workspace.
 */
import type { Server } from 'node:http';
import { TamperingProxy } from '../../vault/test/keychain/tampering-proxy.js';
import {
  addTyped,
  createKeychain,
  startDeviceOnly,
  startHarness,
  type Harness,
} from '../../web/test/harness.js';
import { Workspace } from '../../cli/test/keychain-harness.js';
import { launchWithExtension, startSite, type ExtensionBrowser } from './harness.js';

export interface KeychainSetup {
  harness: Harness;
  browser: ExtensionBrowser;
  site: { port: number; server: Server };
  workspace: Workspace;
  close(): Promise<void>;
}

export async function startKeychainSetup(): Promise<KeychainSetup> {
  const site = await startSite();
  const harness = await startHarness();
  const browser = await launchWithExtension({ grantedOrigins: [`${harness.url}/*`] });
  // The CLI devices sign in to accounts the extension or the web app made.
  const workspace = new Workspace({ withBrowsers: true });
  return {
    harness,
    browser,
    site,
    workspace,
    async close() {
      await browser.close();
      await harness.close();
      site.server.close();
      workspace.remove();
    },
  };
}

/**
 * A real keychain server behind the tampering proxy of packages/vault/test/keychain (the address the
 * extension is given, so the proxy sees each of its requests), and an account made in the web app
 * with `entries` (one secret for all), whose recovery key is returned.
 */
export async function startProxiedAccount(
  account: { email: string; password: string },
  entries: { issuer: string; account: string }[],
): Promise<{ harness: Harness; proxy: TamperingProxy; recoveryKey: string }> {
  const harness = await startHarness();
  const proxy = new TamperingProxy(harness.url);
  await proxy.start();
  const web = await harness.device();
  await startDeviceOnly(web.page);
  for (const entry of entries) await addTyped(web.page, { ...entry, secret: 'JBSWY3DPEHPK3PXP' });
  const recoveryKey = await createKeychain(web.page, account);
  await web.context.close();
  return { harness, proxy, recoveryKey };
}
