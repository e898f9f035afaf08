import { useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { ErrorText, Field } from '../components/Field.js';
import { useBusy } from '../components/useBusy.js';

/** The app lock: the vault stays encrypted until the passphrase or the passkey opens it. */
export function Lock({ app }: { app: App }) {
  const state = useStore(app.store);
  const [passphrase, setPassphrase] = useState('');
  const { busy, error, run: attempt } = useBusy();
  return (
    <>
      <h1>Tessera is locked</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void attempt(() => app.unlockWithPassphrase(passphrase));
        }}
      >
        <Field
          id="unlock-passphrase"
          label="Passphrase"
          value={passphrase}
          onValue={setPassphrase}
          input={{ type: 'password', autocomplete: 'current-password', autofocus: true }}
        />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || passphrase === ''}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
          {state.lock.passkey && (
            <button type="button" disabled={busy} onClick={() => void attempt(() => app.unlockWithPasskey())}>
              Unlock with passkey
            </button>
          )}
        </div>
      </form>
    </>
  );
}
