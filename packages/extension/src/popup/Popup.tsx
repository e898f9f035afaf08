/// <reference types="chrome" />
import { useEffect, useMemo, useState } from 'preact/hooks';
import { generateCode, normalizeEntry, type OtpEntry } from '@tessera/otp';
import { entryLabel, normalizeSites, type IconMatcher, type Vault, type VaultEntry } from '@tessera/vault';
import { entriesFromText } from '../../../web/src/app/entry-input.js';
import { groupCode } from '../../../web/src/format.js';
import { copyText } from '../../../web/src/platform/clipboard.js';
import type { Reply } from '../messages.js';
import { siteOf } from '../site.js';
import { isLocked, onLocked, openVault, siteCodes, touch, vaultProblem } from '../vault-access.js';
import { LockScreen, LockSettings } from './Lock.js';
import { KeychainSignIn, KeychainStatus, PendingJoin } from './Keychain.js';
import { keychainStore, PopupKeychain } from './popup-keychain.js';
import { useStore } from '../../../web/src/app/store.js';
import { loadIconMatcher, useIconMatcher } from '../../../web/src/app/icons.js';
import { IssuerIcon } from '../../../web/src/components/IssuerIcon.js';
import { targetTab } from './tab.js';

/** Rows drawn before the user searches: enough to scan by eye, few enough to open at once. */
const SHOWN = 60;
/** The next code appears when the current one has this many seconds left or fewer. */
const NEXT_CODE_SECONDS = 7;

export function Popup() {
  const [vault, setVault] = useState<Vault | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [tab, setTab] = useState<chrome.tabs.Tab | null>(null);
  const [now, setNow] = useState(Date.now());
  const [generation, setGeneration] = useState(0);
  const [query, setQuery] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [locked, setLocked] = useState(false);
  // The keychain session of this vault (idle until the vault is signed in to a keychain).
  const keychain = useMemo(() => (vault ? new PopupKeychain(vault) : null), [vault]);
  const keychainState = useStore(keychain?.store ?? IDLE_KEYCHAIN);
  // Issuer icons packaged in the extension (main.tsx); the index loads once the codes show.
  const matcher = useIconMatcher({ load: false });

  useEffect(() => {
    if (!keychain) return;
    // A keychain that cannot be resumed (the server away, say) still leaves the codes usable.
    keychain.resume().catch((err: unknown) => keychain.store.set({ toast: vaultProblem(err) }));
    return () => keychain.stop();
  }, [keychain]);

  const opened = (open: Vault) => {
    open.onChange(() => setGeneration((g) => g + 1));
    setLocked(false);
    setVault(open);
  };

  useEffect(() => {
    void targetTab().then(setTab);
    openVault().then(
      (open) => {
        opened(open);
        void touch(); // opening the popup is use: the idle lock counts from now
      },
      (err: unknown) => (isLocked(err) ? setLocked(true) : setProblem(vaultProblem(err))),
    );
    const stop = onLocked(() => {
      setVault(null);
      setLocked(true);
    });
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, []);

  const site = siteOf(tab?.url);
  // Listed and sorted once per change of the vault, not on every tick of the countdown.
  const entries = useMemo(() => vault?.entries() ?? [], [vault, generation]);
  const bound = siteCodes(entries, site, now);
  const boundIds = new Set(bound.map((b) => b.entry.id));
  const matching = useMemo(() => filter(entries, query), [entries, query]);

  async function fill(entry: VaultEntry, bind: boolean) {
    if (!tab?.id) return;
    const reply = (await chrome.runtime.sendMessage({
      type: 'fill-tab',
      tabId: tab.id,
      entryId: entry.id,
      bind,
    })) as Reply;
    if (!reply.ok) setNote(reply.error);
    else if ('filled' in reply)
      setNote(
        reply.filled
          ? `Filled ${entryLabel(entry)} on ${site}.`
          : `Bound to ${site}; no code field to fill on this page.`,
      );
  }

  async function copy(entry: VaultEntry) {
    await copyText(generateCode({ entry, time: Math.floor(Date.now() / 1000) }));
    setNote(`Copied the code of ${entryLabel(entry)}.`);
  }

  if (problem)
    return (
      <main class="popup">
        <p role="alert">{problem}</p>
      </main>
    );
  if (locked) return <LockScreen onUnlocked={opened} />;
  if (!vault || !keychain) return <main class="popup" aria-busy="true" />;
  if (keychainState.keychain?.status === 'pending')
    return (
      <main class="popup">
        <PendingJoin keychain={keychain} />
      </main>
    );
  if (!performance.getEntriesByName('tessera:codes-visible').length) {
    // After this render paints: what `npm run bench:extension` measures. Only then the icon index
    // is read (a few hundred KB of JSON), so icons never hold the codes back.
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.mark('tessera:codes-visible');
        void loadIconMatcher();
      }, 0),
    );
  }

  return (
    <main class="popup">
      <header>
        <h1>Tessera</h1>
        <span class="site">{site ?? 'not a web site'}</span>
      </header>
      {site && (
        <section aria-label={`Codes for ${site}`} class="this-site">
          {bound.length > 0 ? (
            bound.map(({ entry, code, secondsLeft }) => (
              <div class="row" key={entry.id}>
                <IssuerIcon entry={entry} matcher={matcher} />
                <span class="label">{entryLabel(entry)}</span>
                <code aria-label={`Code for ${entryLabel(entry)}`}>{groupCode(code)}</code>
                <span class="left">{secondsLeft}s</span>
                <button type="button" onClick={() => void fill(entry, false)}>
                  Fill
                </button>
              </div>
            ))
          ) : (
            <p>
              No code is bound to {site}. Choose one below with “Use here”: Tessera will fill it on {site} and
              nowhere else.
            </p>
          )}
        </section>
      )}
      {note && <p role="status">{note}</p>}
      <input
        type="search"
        aria-label="Search codes"
        placeholder={`Search ${entries.length} codes`}
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      <ul class="codes" aria-label="All codes">
        {matching.slice(0, SHOWN).map((entry) => (
          <CodeRow
            key={entry.id}
            entry={entry}
            now={now}
            site={site}
            bound={boundIds.has(entry.id)}
            matcher={matcher}
            onCopy={copy}
            onUse={(e) => void fill(e, true)}
          />
        ))}
      </ul>
      {matching.length > SHOWN && (
        <p class="more">
          Showing {SHOWN} of {matching.length}: search to find the others.
        </p>
      )}
      {entries.length === 0 && <p>No codes yet: add one below.</p>}
      <AddForm vault={vault} tab={tab} site={site} onDone={setNote} />
      {keychainState.keychainOn ? (
        <KeychainStatus keychain={keychain} />
      ) : (
        <KeychainSignIn keychain={keychain} />
      )}
      <LockSettings vault={vault} onDone={setNote} />
    </main>
  );
}

/** The store `useStore` reads before the vault is open (hooks run on every render). */
const IDLE_KEYCHAIN = keychainStore();

function CodeRow(props: {
  entry: VaultEntry;
  now: number;
  site: string | null;
  bound: boolean;
  /** undefined until the icon index has loaded (a blank tile holds the place). */
  matcher: IconMatcher | null | undefined;
  onCopy(e: VaultEntry): void;
  onUse(e: VaultEntry): void;
}) {
  const { entry, now } = props;
  const icon = <IssuerIcon entry={entry} matcher={props.matcher} />;
  if (entry.type === 'hotp') {
    return (
      <li class="row">
        {icon}
        <span class="label">{entryLabel(entry)}</span>
        <span class="left">counter-based: open Tessera</span>
      </li>
    );
  }
  const period = entry.period ?? 30;
  const time = Math.floor(now / 1000);
  const left = period - (time % period);
  const code = generateCode({ entry, time });
  const next = left <= NEXT_CODE_SECONDS ? generateCode({ entry, time: time + period }) : null;
  return (
    <li class="row">
      {icon}
      <span class="label">{entryLabel(entry)}</span>
      <code aria-label={`Code for ${entryLabel(entry)}`}>{groupCode(code)}</code>
      {next && (
        <code class="next" aria-label={`Next code for ${entryLabel(entry)}`}>
          {groupCode(next)}
        </code>
      )}
      <span class="left">{left}s</span>
      <button type="button" onClick={() => props.onCopy(entry)}>
        Copy
      </button>
      {props.site && !props.bound && (
        <button type="button" onClick={() => props.onUse(entry)} aria-label={`Use ${entryLabel(entry)} here`}>
          Use here
        </button>
      )}
    </li>
  );
}

function filter(entries: VaultEntry[], query: string): VaultEntry[] {
  const q = query.trim().toLowerCase();
  if (!q) return entries;
  return entries.filter((e) => `${e.issuer} ${e.account} ${e.tags.join(' ')}`.toLowerCase().includes(q));
}

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
function AddForm(props: {
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
