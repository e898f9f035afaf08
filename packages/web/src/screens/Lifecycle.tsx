/** Credential lifecycle on the Backup screen (docs/PROTOCOL.md §10): password change, signing in again. */
import { useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { ErrorText, Field } from '../components/Field.js';
import { useBusy } from '../components/useBusy.js';
import { Confirm } from '../components/Dialog.js';

/** Minimum account password length; the server cannot check (OPAQUE), so the app does. */
export const MIN_PASSWORD = 10;

/** Change the account password; the current one is proven in the same exchange. */
export function Password({ app }: { app: App }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useBusy();
  const short = next !== '' && next.length < MIN_PASSWORD;
  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Account password</h2>
      <p>
        Changing it signs out your other devices and removes devices waiting to join; sign in again there with
        the new password. Your codes and keys stay as they are.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            setDone(false);
            await app.changePassword(current, next);
            setCurrent('');
            setNext('');
            setAgain('');
            setDone(true);
          });
        }}
      >
        <Field
          id="password-current"
          label="Current password"
          value={current}
          onValue={setCurrent}
          input={{ type: 'password', autocomplete: 'current-password' }}
        />
        <div class="grid2">
          <Field
            id="password-new"
            label="New password"
            value={next}
            onValue={setNext}
            error={short ? `At least ${MIN_PASSWORD} characters.` : null}
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
          <Field
            id="password-again"
            label="New password again"
            value={again}
            onValue={setAgain}
            error={again !== '' && again !== next ? 'The two passwords differ.' : null}
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
        </div>
        <ErrorText error={error} />
        <div class="actions">
          <button
            type="submit"
            disabled={busy || current === '' || next.length < MIN_PASSWORD || next !== again}
          >
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
        {done && (
          <p role="status">
            The password is changed. Your other devices are signed out until they sign in again.
          </p>
        )}
      </form>
    </section>
  );
}

/** A trusted device whose session ended (password change, lock, lifetime) signs in again. */
export function SignInAgain({ app }: { app: App }) {
  const { keychain } = useStore(app.store);
  const [password, setPassword] = useState('');
  const { busy, error, run } = useBusy();
  return (
    <section class="card" aria-labelledby="sign-in-again-title">
      <h2 id="sign-in-again-title">Sign in again</h2>
      <p>
        This device's session with {keychain!.server} ended: the password was changed, the account was locked,
        the session grew old, or the device was removed. Sign in with the account password to resume backups;
        a device that is still trusted needs no approval.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await app.signInAgain(password);
            setPassword('');
          });
        }}
      >
        <Field
          id="sign-in-again-password"
          label="Account password"
          value={password}
          onValue={setPassword}
          input={{ type: 'password', autocomplete: 'current-password' }}
        />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || password === ''}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The kill switch after a theft: every session ends, this one too; trusted devices sign in again. */
export function LockAccount({ app }: { app: App }) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useBusy();
  return (
    <section class="card" aria-labelledby="lock-title">
      <h2 id="lock-title">Lock the account</h2>
      <p>
        After a theft of your password or a device: ends every session, this one too, and removes devices
        waiting to join. Your devices keep their codes and sign in again with the password. Remove a lost
        device too, and change the password.
      </p>
      <ErrorText error={error} />
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={() => setAsking(true)}>
          Lock the account
        </button>
      </div>
      {asking && (
        <Confirm
          title="Lock the account?"
          message="Every device, this one too, is signed out until it signs in again with the password."
          confirmLabel="Lock now"
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            void run(() => app.lockAccount());
          }}
        />
      )}
    </section>
  );
}
