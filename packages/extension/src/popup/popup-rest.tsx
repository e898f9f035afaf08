/// <reference types="chrome" />
import { useState } from 'preact/hooks';
import { normalizeEntry, type OtpEntry } from '@tessera/otp';
import { entryLabel, normalizeSites, type Vault } from '@tessera/vault';
import { entriesFromText } from '../../../web/src/app/entry-input.js';

/**
 * Everything the popup shows below its codes, and the vault itself: loaded after the first paint
 * (`Popup.tsx`), so opening the popup pays only for the first screen's modules before the codes
 * show. `test/bundle.e2e.test.ts` pins that the popup's first chunk holds none of this.
 */
export { closeVault, isLocked, openVault, saveFirstScreen, touch, vaultProblem } from '../vault-access.js';
export { LockScreen, LockSettings } from './Lock.js';
export { KeychainSignIn, KeychainStatus, PendingJoin } from './Keychain.js';
export { PopupKeychain } from './popup-keychain.js';

/** A pasted list, one link per line (what other apps' plain exports hold). */
async function severalLinks(lines: string[]): Promise<{ entries: OtpEntry[]; skipped: string[] }> {
  const entries: OtpEntry[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      entries.push(...(await entriesFromText(line)).entries);
    } catch (err) {
      throw new Error(`Line ${i + 1}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return { entries, skipped: [] };
}

/** Add from a link or secret, or from a QR code shown on the current page (read from a screenshot of the tab). */
export function AddForm(props: {
  vault: Vault;
  tab: chrome.tabs.Tab | null;
  site: string | null;
  onDone(note: string): void;
}) {
  const [text, setText] = useState('');
  const [issuer, setIssuer] = useState('');
  const [account, setAccount] = useState('');
  const [bindHere, setBindHere] = useState(true);
  const [error, setError] = useState<string | null>(null);

  async function add(fromText: string) {
    setError(null);
    try {
      const trimmed = fromText.trim();
      const lines = trimmed.split(/\s*\n\s*/).filter(Boolean);
      const parsed =
        lines.length > 1
          ? await severalLinks(lines)
          : /^otpauth(-migration)?:\/\//i.test(trimmed)
            ? await entriesFromText(trimmed)
            : {
                entries: [
                  normalizeEntry({
                    type: 'totp',
                    secret: trimmed,
                    issuer: issuer.trim(),
                    account: account.trim(),
                  }),
                ],
                skipped: [],
              };
      const sites = bindHere && props.site ? normalizeSites([props.site]) : [];
      const { added, duplicates } = await props.vault.addMany(
        parsed.entries.map((e) => ({
          ...e,
          ...(issuer.trim() ? { issuer: issuer.trim() } : {}),
          ...(account.trim() ? { account: account.trim() } : {}),
        })),
        { sites },
      );
      setText('');
      setIssuer('');
      setAccount('');
      props.onDone(
        `Added ${added.map(entryLabel).join(', ') || 'nothing'}${sites.length ? ` for ${props.site}` : ''}` +
          (duplicates.length ? `; ${duplicates.length} already stored` : '') +
          '.',
      );
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function scanPage() {
    setError(null);
    try {
      if (!props.tab) throw new Error('No page to scan.');
      const shot = await chrome.tabs.captureVisibleTab(props.tab.windowId, { format: 'png' });
      const { readQrFromImage } = await import('../../../web/src/platform/qr.js');
      const found = await readQrFromImage(await (await fetch(shot)).blob());
      if (!found) throw new Error('No QR code is visible on this page: scroll it into view and try again.');
      await add(found);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <details class="add">
      <summary>Add a code</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void add(text);
        }}
      >
        <label>
          Link (otpauth://) or secret
          <textarea
            rows={2}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <label>
          Issuer
          <input value={issuer} onInput={(e) => setIssuer((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Account
          <input value={account} onInput={(e) => setAccount((e.target as HTMLInputElement).value)} />
        </label>
        {props.site && (
          <label class="check">
            <input
              type="checkbox"
              checked={bindHere}
              onChange={(e) => setBindHere((e.target as HTMLInputElement).checked)}
            />
            Fill it on {props.site}
          </label>
        )}
        {error && <p role="alert">{error}</p>}
        <div class="actions">
          <button type="submit">Add</button>
          <button type="button" onClick={() => void scanPage()}>
            Scan QR code on this page
          </button>
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard.readText().then(
                (t) => add(t),
                (e: Error) => setError(e.message),
              )
            }
          >
            Paste link
          </button>
        </div>
      </form>
    </details>
  );
}
