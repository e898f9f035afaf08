import { useEffect, useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { TRASH_DAYS } from '@tessera/vault';
import { Confirm } from '../components/Dialog.js';
import { ErrorText, Field } from '../components/Field.js';
import { passkeyPrfSupported } from '../platform/passkey.js';
import { forScreen, trashWords } from '../app/words.js';
import { MIN_PASSPHRASE } from '../platform/app-lock.js';

export function Settings({ app }: { app: App }) {
  return (
    <>
      <h1>Settings</h1>
      <AppLock app={app} />
      <Appearance app={app} />
      <ImportExportLink />
      <TrashLink app={app} />
      <Erase app={app} />
      <p class="hint">Tessera web {__APP_VERSION__}</p>
    </>
  );
}

function AppLock({ app }: { app: App }) {
  const { lock } = useStore(app.store);
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [prf, setPrf] = useState(false);
  useEffect(() => void passkeyPrfSupported().then(setPrf), []);
  const attempt = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await work());
    } catch (e) {
      setError(forScreen(e));
    } finally {
      setBusy(false);
    }
  };
  const tooShort = passphrase !== '' && passphrase.length < MIN_PASSPHRASE;
  return (
    <section class="card" aria-labelledby="lock-title">
      <h2 id="lock-title">App lock</h2>
      <p>
        {lock.passphrase
          ? 'Tessera asks for your passphrase each time it opens. Your codes are encrypted with it on this device.'
          : 'Anyone who can use this browser can see your codes. Set a passphrase to lock them.'}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void attempt(async () => {
            await app.setLockPassphrase(passphrase);
            setPassphrase('');
            setAgain('');
            return 'The app lock is on.';
          });
        }}
      >
        <div class="grid2">
          <Field
            id="lock-new"
            label={lock.passphrase ? 'New passphrase' : 'Passphrase'}
            value={passphrase}
            onValue={setPassphrase}
            error={tooShort ? `Use at least ${MIN_PASSPHRASE} characters.` : null}
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
          <Field
            id="lock-again"
            label="Passphrase again"
            value={again}
            onValue={setAgain}
            error={again !== '' && again !== passphrase ? 'The two passphrases differ.' : null}
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
        </div>
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={busy || tooShort || passphrase === '' || passphrase !== again}
          >
            {lock.passphrase ? 'Change passphrase' : 'Turn on app lock'}
          </button>
          {lock.passphrase && (
            <>
              <button type="button" disabled={busy} onClick={() => app.lockNow()}>
                Lock now
              </button>
              <button
                type="button"
                disabled={busy}
                onClick={() => void attempt(async () => (await app.removeLock(), 'The app lock is off.'))}
              >
                Turn off app lock
              </button>
            </>
          )}
        </div>
      </form>
      {lock.passphrase && (
        <div>
          <h3>Passkey</h3>
          {prf ? (
            lock.passkey ? (
              <p>
                You can unlock with your passkey.{' '}
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    void attempt(async () => (await app.removePasskey(), 'Passkey unlock is off.'))
                  }
                >
                  Stop using it
                </button>
              </p>
            ) : (
              <>
                <p>Unlock with a fingerprint, face or security key instead of typing the passphrase.</p>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void attempt(async () => (await app.addPasskey(), 'Passkey unlock is on.'))}
                >
                  Use a passkey
                </button>
              </>
            )
          ) : (
            <p class="hint">
              This browser cannot unlock with a passkey (it lacks the WebAuthn PRF extension).
            </p>
          )}
        </div>
      )}
      <ErrorText error={error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}

function Appearance({ app }: { app: App }) {
  const { settings } = useStore(app.store);
  return (
    <section class="card" aria-labelledby="appearance-title">
      <h2 id="appearance-title">Appearance</h2>
      <label for="theme">Theme</label>
      <select
        id="theme"
        value={settings.theme ?? 'system'}
        onChange={(e) =>
          void app.setTheme((e.target as HTMLSelectElement).value as 'system' | 'light' | 'dark')
        }
      >
        <option value="system">Same as the system</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
      <label class="check">
        <input
          type="checkbox"
          checked={settings.hideCodes === true}
          onChange={(e) => void app.setHideCodes((e.target as HTMLInputElement).checked)}
        />{' '}
        Hide codes until tapped <span class="hint">for sharing your screen; remembered on this device</span>
      </label>
    </section>
  );
}

function ImportExportLink() {
  return (
    <section class="card" aria-labelledby="files-title">
      <h2 id="files-title">Import and export</h2>
      <p>Bring codes from another authenticator, or save them in a format another app reads.</p>
      <a href="#/files">Open Import and export</a>
    </section>
  );
}

function TrashLink({ app }: { app: App }) {
  const { trash } = useStore(app.store);
  return (
    <section class="card" aria-labelledby="trash-title">
      <h2 id="trash-title">{trashWords.title}</h2>
      <p>{trashWords.intro(TRASH_DAYS)}</p>
      <a href="#/trash">{trashWords.settingsLink(trash.length)}</a>
    </section>
  );
}

function Erase({ app }: { app: App }) {
  const [asking, setAsking] = useState(false);
  return (
    <section class="card" aria-labelledby="erase-title">
      <h2 id="erase-title">Remove from this browser</h2>
      <p>Deletes every code and key Tessera keeps in this browser. Backed-up codes stay in your keychain.</p>
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        Remove Tessera data…
      </button>
      {asking && (
        <Confirm
          title="Remove all Tessera data from this browser?"
          message="Codes that are not backed up, or kept on this device only, are lost unless you exported them."
          confirmLabel="Remove everything"
          onCancel={() => setAsking(false)}
          onConfirm={() => void app.eraseBrowser()}
        />
      )}
    </section>
  );
}
