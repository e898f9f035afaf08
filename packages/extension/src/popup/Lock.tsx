import { useEffect, useState } from 'preact/hooks';
import type { Vault } from '@tessera/vault';
import { MIN_PASSPHRASE } from '../../../web/src/platform/app-lock.js';
import { DEFAULT_LOCK_MINUTES, lockAfterMinutes, setLockAfterMinutes } from '../lock-settings.js';
import {
  addPasskeyLock,
  hasPasskeyLock,
  lockVault,
  removePasskeyLock,
  setAppLock,
  unlockVault,
  unlockWithPasskey,
} from '../vault-access.js';

/** The popup while Tessera is locked: the passphrase opens it; nothing else is shown. */
export function LockScreen({ onUnlocked }: { onUnlocked(vault: Vault): void }) {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [passkey, setPasskey] = useState(false);
  useEffect(() => void hasPasskeyLock().then(setPasskey), []);
  return (
    <main class="popup">
      <h1>Tessera is locked</h1>
      {passkey && (
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            setError(null);
            unlockWithPasskey().then(onUnlocked, (err: unknown) => {
              setError(err instanceof Error ? err.message : String(err));
              setBusy(false);
            });
          }}
        >
          Unlock with passkey
        </button>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          unlockVault(passphrase).then(onUnlocked, (err: unknown) => {
            setError(err instanceof Error ? err.message : String(err));
            setBusy(false);
          });
        }}
      >
        <label>
          Passphrase
          <input
            type="password"
            autocomplete="current-password"
            autofocus
            value={passphrase}
            onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={busy || passphrase === ''}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}

/** Settings of the app lock: its passphrase, the idle time, and locking now. */
export function LockSettings({ vault, onDone }: { vault: Vault; onDone(note: string): void }) {
  const [passphrase, setPassphrase] = useState('');
  const [minutes, setMinutes] = useState(String(DEFAULT_LOCK_MINUTES));
  const [error, setError] = useState<string | null>(null);
  const locked = vault.custody === 'passphrase';
  const [passkey, setPasskey] = useState(false);
  useEffect(() => void lockAfterMinutes().then((m) => setMinutes(String(m))), []);
  useEffect(() => void hasPasskeyLock().then(setPasskey), [locked]);
  const run = (action: () => Promise<void>, note: string) => {
    setError(null);
    action().then(
      () => onDone(note),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <details class="add">
      <summary>App lock</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await setLockAfterMinutes(Number(minutes));
            await setAppLock(passphrase);
            setPassphrase('');
          }, `App lock on: Tessera locks after ${minutes} minutes unused and when the browser closes.`);
        }}
      >
        <label>
          {locked ? 'New passphrase' : 'Passphrase'}
          <input
            type="password"
            autocomplete="new-password"
            value={passphrase}
            onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Lock after (minutes unused)
          <input
            type="number"
            min={1}
            max={1440}
            value={minutes}
            onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={passphrase.length < MIN_PASSPHRASE}>
          {locked ? 'Change passphrase' : 'Turn on app lock'}
        </button>
        {locked && (
          <button type="button" onClick={() => void lockVault()}>
            Lock now
          </button>
        )}
        {locked && !passkey && (
          <button
            type="button"
            onClick={() =>
              run(async () => {
                await addPasskeyLock();
                setPasskey(true);
              }, 'A passkey now unlocks Tessera too; the passphrase still does.')
            }
          >
            Add passkey unlock
          </button>
        )}
        {locked && passkey && (
          <button
            type="button"
            onClick={() =>
              run(async () => {
                await removePasskeyLock();
                setPasskey(false);
              }, 'The passkey no longer unlocks Tessera; the passphrase does.')
            }
          >
            Remove passkey unlock
          </button>
        )}
      </form>
    </details>
  );
}
