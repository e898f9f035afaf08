/// <reference types="chrome" />
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { generateCode } from '@tessera/otp';
import type { IconMatcher, Vault, VaultEntry } from '@tessera/vault';
import { entryLabel } from '@tessera/vault';
import { groupCode } from '../../../web/src/format.js';
import { copyText } from '../../../web/src/platform/clipboard.js';
import { Store, useStore } from '../../../web/src/app/store.js';
import { loadIconMatcher, useIconMatcher } from '../../../web/src/app/icons.js';
import { IssuerIcon } from '../../../web/src/components/IssuerIcon.js';
import type { Reply } from '../messages.js';
import { loadFirstScreen, onLocked } from '../first-screen-access.js';
import { FIRST_ROWS, type FirstScreen } from '../first-screen.js';
import type { PopupKeychainState } from './popup-keychain.js';
import { startOpening } from './opening.js';
import { targetTab } from './tab.js';

/**
 * The popup. Before its first paint it loads only what the codes need (this module, the first
 * screen's reader, the code generator, the icon tile); the vault, the add form, the keychain and
 * the lock settings come after that paint (`popup-rest.tsx`), and the Public Suffix List
 * (`site.ts`) only when the tab is a web page.
 */
type Rest = typeof import('./popup-rest.js');
type SiteModule = typeof import('../site.js');

let restLoading: Promise<Rest> | null = null;
/** The modules below the codes, loaded once. */
function loadRest(): Promise<Rest> {
  return (restLoading ??= import('./popup-rest.js'));
}

/** The site module, for a web page only (other pages have no site, so no Public Suffix List). */
function loadSite(url: string | undefined): Promise<SiteModule | null> {
  return url && /^https?:/i.test(url) ? import('../site.js') : Promise.resolve(null);
}

/** Rows drawn before the user searches: enough to scan by eye (the first `FIRST_ROWS` paint first). */
const SHOWN = 60;
/** The next code appears when the current one has this many seconds left or fewer. */
const NEXT_CODE_SECONDS = 7;

export function Popup() {
  const [vault, setVault] = useState<Vault | null>(null);
  // The sealed first screen (first-screen.ts), shown until the vault is open.
  const [first, setFirst] = useState<FirstScreen | null>(null);
  const [rows, setRows] = useState(FIRST_ROWS);
  const [problem, setProblem] = useState<string | null>(null);
  const [tab, setTab] = useState<chrome.tabs.Tab | null>(null);
  const [now, setNow] = useState(Date.now());
  const [generation, setGeneration] = useState(0);
  const [query, setQuery] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [locked, setLocked] = useState(false);
  const [rest, setRest] = useState<Rest | null>(null);
  const [siteModule, setSiteModule] = useState<SiteModule | null>(null);
  // The keychain session of this vault (idle until the vault is signed in to a keychain).
  const keychain = useMemo(() => (vault && rest ? new rest.PopupKeychain(vault) : null), [vault, rest]);
  const keychainState = useStore(keychain?.store ?? IDLE_KEYCHAIN);
  // Issuer icons packaged in the extension (main.tsx); the index loads once the codes show.
  const matcher = useIconMatcher({ load: false });

  useEffect(() => {
    if (!keychain) return;
    // A keychain that cannot be resumed (the server away, say) still leaves the codes usable.
    keychain.resume().catch((err: unknown) => keychain.store.set({ toast: rest!.vaultProblem(err) }));
    return () => keychain.stop();
  }, [keychain]);

  const opened = (open: Vault) => {
    open.onChange(() => setGeneration((g) => g + 1));
    setLocked(false);
    setVault(open);
  };
  // A vault the lock screen opened goes through the opening (startOpening, below), which lets go of
  // it at the next lock.
  const unlocked = useRef(opened);

  useEffect(() => {
    // The tab, and its site's module if it is a web page, load alongside the first screen.
    const tabLoaded = targetTab().then(async (found) => {
      const module = await loadSite(found?.url);
      setSiteModule(module);
      setTab(found);
    });
    const opening = startOpening<Rest>(
      {
        firstScreen: () => Promise.all([loadFirstScreen(), tabLoaded]).then(([loaded]) => loaded),
        loadRest,
        onLocked,
        // A task after the codes-visible mark's (both are queued for the first painted frame): the
        // vault's modules then load and compile after the codes are on screen, not before the mark.
        afterFirstPaint: (task) => afterPaint(() => setTimeout(task, 0)),
        mark,
      },
      {
        rest: setRest,
        first: setFirst,
        opened,
        locked: () => {
          setVault(null);
          setFirst(null);
          setLocked(true);
        },
        problem: setProblem,
      },
    );
    unlocked.current = opening.unlocked;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      opening.stop();
      clearInterval(timer);
    };
  }, []);

  const site = siteModule?.siteOf(tab?.url) ?? null;
  // Listed and sorted once per change of the vault, not on every tick of the countdown.
  const entries = useMemo(() => vault?.entries() ?? first?.top ?? [], [vault, first, generation]);
  const total = vault ? entries.length : (first?.total ?? 0);
  // Before the vault is open, the site's codes come from the first screen, if it holds them all.
  const siteEntries = vault ? entries : (first?.bound ?? null);
  const bound = siteModule ? siteModule.siteCodes(siteEntries ?? [], site, now) : [];
  const boundIds = new Set(bound.map((b) => b.entry.id));
  const matching = useMemo(() => filter(entries, query), [entries, query]);
  // The rest of the rows come after the first screenful has painted.
  useEffect(() => {
    if (vault && rows < SHOWN) afterPaint(() => setRows(SHOWN));
  }, [vault, rows]);

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
  if (locked && rest) return <rest.LockScreen onUnlocked={(open) => unlocked.current(open)} />;
  if (locked || (!vault && !first)) return <main class="popup" aria-busy="true" />;
  if (rest && keychain && keychainState.keychain?.status === 'pending')
    return (
      <main class="popup">
        <rest.PendingJoin keychain={keychain} />
      </main>
    );
  if (!performance.getEntriesByName('tessera:codes-visible').length) {
    // After this render paints: what `npm run bench:extension` measures. Only then the icon index
    // is read (a few hundred KB of JSON), so icons never hold the codes back.
    afterPaint(() => {
      mark('codes-visible');
      void loadIconMatcher();
    });
  }

  return (
    <main class="popup">
      <header>
        <h1>Tessera</h1>
        <span class="site">{site ?? 'not a web site'}</span>
      </header>
      {site && siteEntries && (
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
        placeholder={`Search ${total} codes`}
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      <ul class="codes" aria-label="All codes">
        {matching.slice(0, rows).map((entry) => (
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
      {vault && matching.length > SHOWN && (
        <p class="more">
          Showing {SHOWN} of {matching.length}: search to find the others.
        </p>
      )}
      {total === 0 && <p>No codes yet: add one below.</p>}
      {vault && rest && keychain && (
        <>
          <rest.AddForm vault={vault} tab={tab} site={site} onDone={setNote} />
          {keychainState.keychainOn ? (
            <rest.KeychainStatus keychain={keychain} />
          ) : (
            <rest.KeychainSignIn keychain={keychain} />
          )}
          <rest.LockSettings vault={vault} onDone={setNote} />
        </>
      )}
    </main>
  );
}

/** Runs `task` once the next frame has painted. */
function afterPaint(task: () => void): void {
  requestAnimationFrame(() => setTimeout(task, 0));
}

/** A performance mark of the popup's start (`npm run bench:extension` reports them). */
function mark(name: string): void {
  performance.mark(`tessera:${name}`);
}

/** The store `useStore` reads before the vault is open (hooks run on every render): not signed in. */
const IDLE_KEYCHAIN = new Store<PopupKeychainState>({ keychain: null, keychainOn: false, toast: null });

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
