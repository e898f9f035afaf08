/**
 * What the extension's keychain tests share: a real keychain server (the web app's test harness),
 * the extension in a fresh browser with that server's origin granted (as after the user said yes to
 * the prompt, which a headless browser cannot show), the test site, and a CLI workspace.
 */
import type { Server } from 'node:http';
import { startHarness, type Harness } from '../../web/test/harness.js';
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
