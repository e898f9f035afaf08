import { useEffect, useState } from 'preact/hooks';
import { Fragment, type ComponentType } from 'preact';
import type { App } from './controller.js';
import { useStore } from './store.js';
import { clockOffsetNotice, unreachableText } from '../format.js';
import { useRoute, type Route } from './router.js';
import { Codes } from '../screens/Codes.js';
import { folderWords, trashWords } from './words.js';

type Screen = ComponentType<{ app: App }>;

/** Screens other than the codes load on first use, keeping the first paint's JavaScript small. */
const loaders: Record<Exclude<Route, 'codes'> | 'first-run' | 'lock' | 'join', () => Promise<Screen>> = {
  add: () => import('../screens/Add.js').then((m) => m.Add),
  folders: () => import('../screens/Folders.js').then((m) => m.Folders),
  files: () => import('../screens/Files.js').then((m) => m.Files),
  backup: () => import('../screens/Keychain.js').then((m) => m.Backup),
  settings: () => import('../screens/Settings.js').then((m) => m.Settings),
  trash: () => import('../screens/Trash.js').then((m) => m.Trash),
  'first-run': () => import('../screens/FirstRun.js').then((m) => m.FirstRun),
  lock: () => import('../screens/Lock.js').then((m) => m.Lock),
  join: () => import('../screens/Keychain.js').then((m) => m.JoinScreen),
};
const loaded = new Map<string, Screen>();

function Lazy({ name, app }: { name: keyof typeof loaders; app: App }) {
  const [screen, setScreen] = useState<Screen | null>(() => loaded.get(name) ?? null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (loaded.has(name)) return setScreen(() => loaded.get(name)!);
    setScreen(null);
    loaders[name]()
      .then((s) => {
        loaded.set(name, s);
        setScreen(() => s);
      })
      .catch(() => setError('This part of Tessera could not be loaded. Check the connection and reload.'));
  }, [name]);
  if (error) return <p role="alert">{error}</p>;
  if (!screen)
    return (
      <p class="hint" aria-busy="true">
        Loading…
      </p>
    );
  const Screen = screen;
  return <Screen app={app} />;
}

/**
 * The app icon (public/icon.svg) drawn inline: an <img> of an SVG costs a fetch and an SVG document
 * of its own on the main thread while the vault opens.
 */
function BrandMark() {
  return (
    <svg viewBox="0 0 64 64" width="24" height="24" aria-hidden="true" focusable="false">
      <rect width="64" height="64" rx="14" fill="#2f5bd3" />
      <rect x="12" y="12" width="18" height="18" rx="3" fill="#ffffff" />
      <rect x="34" y="12" width="18" height="18" rx="3" fill="#ffffff" opacity="0.75" />
      <rect x="12" y="34" width="18" height="18" rx="3" fill="#ffffff" opacity="0.75" />
      <rect x="34" y="34" width="18" height="18" rx="3" fill="#ffffff" opacity="0.5" />
    </svg>
  );
}

/** "2 minutes ahead of", "40 seconds behind". */
const NAV: [Route, string][] = [
  ['codes', 'Codes'],
  ['add', 'Add'],
  ['files', 'Import/export'],
  ['folders', folderWords.nav],
  ['backup', 'Backup'],
  ['settings', 'Settings'],
];

export function Shell({ app }: { app: App }) {
  const state = useStore(app.store);
  const route = useRoute();
  const ready = state.phase === 'ready';
  const joining = ready && state.keychain?.status === 'pending';
  const invites = state.folders?.invites.length ?? 0;
  const waiting =
    state.keychain?.status === 'trusted'
      ? state.keychain.devices.filter((d) => d.status === 'pending' && !d.expired).length
      : 0;
  let body;
  if (state.phase === 'loading')
    body = (
      <p class="hint" aria-busy="true">
        Opening…
      </p>
    );
  else if (state.phase === 'fatal') body = <p role="alert">{state.fatal}</p>;
  else if (state.phase === 'first-run') body = <Lazy name="first-run" app={app} />;
  else if (state.phase === 'locked') body = <Lazy name="lock" app={app} />;
  else if (joining && route === 'codes') body = <Lazy name="join" app={app} />;
  else if (route === 'codes') body = <Codes app={app} />;
  else body = <Lazy name={route} app={app} />;

  return (
    <>
      <header class="topbar">
        <div class="topbar-inner">
          <span class="brand">
            <BrandMark />
            Tessera
          </span>
          {ready && (
            <nav class="nav" aria-label="Main">
              {/* Shared folders live on the keychain server: the page is offered once backup is on. */}
              {NAV.filter(([id]) => id !== 'folders' || state.keychainOn).map(([id, name]) => (
                <a
                  key={id}
                  href={id === 'codes' ? '#/' : `#/${id}`}
                  aria-current={route === id ? 'page' : undefined}
                >
                  {/* A break after the slash, not inside a word, where the bottom bar is narrow. */}
                  {name.split('/').map((part, i) => (
                    <Fragment key={part}>
                      {i > 0 && (
                        <>
                          /<wbr />
                        </>
                      )}
                      {part}
                    </Fragment>
                  ))}
                  {id === 'folders' && invites > 0 && (
                    <>
                      <span class="badge" aria-hidden="true">
                        {invites}
                      </span>
                      <span class="visually-hidden">
                        , {invites} folder invite{invites === 1 ? '' : 's'}
                      </span>
                    </>
                  )}
                  {id === 'backup' && waiting > 0 && (
                    <>
                      <span class="badge" aria-hidden="true">
                        {waiting}
                      </span>
                      <span class="visually-hidden">
                        , {waiting} device{waiting === 1 ? '' : 's'} waiting for approval
                      </span>
                    </>
                  )}
                </a>
              ))}
            </nav>
          )}
        </div>
      </header>
      <main id="main">
        {!state.online && ready && (
          <p class="banner" role="status">
            Offline. Your codes work as usual
            {state.keychainOn ? '; changes are backed up when the connection is back' : ''}.
          </p>
        )}
        {state.clockOffsetMs !== null && ready && (
          <p class="banner" role="alert" data-testid="clock-warning">
            {clockOffsetNotice(state.clockOffsetMs)} Turn on “Set time automatically” in the system settings.
          </p>
        )}
        {state.keychain?.updateRequired && ready && (
          <p class="banner error" role="alert">
            The keychain server needs a newer version of Tessera, so backups are paused.{' '}
            <button type="button" class="link" onClick={() => void app.updateApp()}>
              Update now
            </button>
          </p>
        )}
        {state.localBackups?.remindSince != null && ready && (
          <p class="banner" role="status" data-testid="backup-reminder">
            {state.localBackups.lastAt === null
              ? 'You have no backup file of your codes yet.'
              : `Your last backup file is from ${new Date(state.localBackups.lastAt).toLocaleDateString()}.`}{' '}
            <a href="#/backup">Download a backup file</a>
          </p>
        )}
        {state.keychain?.unreachableSince != null && state.keychain.status === 'trusted' && ready && (
          <p class="banner" role="status" data-testid="unreachable-banner">
            {unreachableText(state.keychain.unreachableSince, state.keychain.pendingChanges)}
          </p>
        )}
        {(state.keychain?.status === 'removed' || state.keychain?.sessionEnded) && ready && (
          <p class="banner error" role="alert">
            This device was removed from your keychain, or signed out. Its codes stay here but are no longer
            backed up.
          </p>
        )}
        {body}
      </main>
      <div class="toast-region" aria-live="polite" aria-atomic="true">
        {state.toast && (
          <div class="toast">
            {state.toast}
            {state.undo && (
              <>
                {' — '}
                <button type="button" class="link" onClick={() => void app.restoreEntry(state.undo!.id)}>
                  {trashWords.undo}
                </button>
              </>
            )}
          </div>
        )}
      </div>
    </>
  );
}
