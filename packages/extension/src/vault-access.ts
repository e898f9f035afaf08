import { currentCode, Vault, VaultError, type VaultEntry } from '@tessera/vault';
// The browser's vault storage and key custody are the web app's (one implementation for both).
import { BrowserKeys, indexedDbStorage, vaultChannel } from '../../web/src/platform/storage.js';
import { loadSettings, saveSettings } from '../../web/src/platform/db.js';
import { entriesForSite } from './site.js';

let opening: Promise<Vault> | null = null;

/**
 * The vault of this extension (IndexedDB of the extension's own origin), opened once per context
 * and re-read when another context (popup, app tab, background) saves.
 */
export function openVault(): Promise<Vault> {
  opening ??= (async () => {
    const vault = await Vault.open({ storage: indexedDbStorage(), keys: new BrowserKeys() });
    vaultChannel().addEventListener('message', () => void vault.refresh().catch(() => undefined));
    const settings = await loadSettings();
    if (!settings.mode) await saveSettings({ mode: 'device' });
    return vault;
  })().catch((err: unknown) => {
    opening = null;
    throw err;
  });
  return opening;
}

/** Why the vault cannot be used right now, in words for the popup or the page's fill button. */
export function vaultProblem(err: unknown): string {
  if (err instanceof VaultError && err.code === 'passphrase-required')
    return 'Tessera is locked: open it and unlock first.';
  return err instanceof Error ? err.message : String(err);
}

/** The entries bound to `site`, each with its current code (HOTP entries excluded: filling one would spend a counter). */
export function codesForSite(
  vault: Vault,
  site: string | null,
  now = Date.now(),
): { entry: VaultEntry; code: string; secondsLeft: number | null }[] {
  return entriesForSite(vault.entries(), site)
    .filter((entry) => entry.type !== 'hotp')
    .map((entry) => {
      const { code, secondsLeft } = currentCode(entry, Math.floor(now / 1000));
      return { entry, code: code ?? '', secondsLeft };
    });
}
