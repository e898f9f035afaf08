import { useEffect, useState } from 'preact/hooks';
import { distinctDeviceName } from '@tessera/vault';
import { useStore } from '../../../web/src/app/store.js';
import { ErrorText, Field } from '../../../web/src/components/Field.js';
import { useBusy } from '../../../web/src/components/useBusy.js';
import { defaultDeviceName } from '../../../web/src/format.js';
import { requestServerAccess, serverOrigin, type PopupKeychain } from './popup-keychain.js';

/**
 * Signing in to a keychain from the popup: the server's address (the extension is not served by
 * one, so the user names it), the account, and this device's name. The device then joins by
 * approval, PIN or recovery key on the web app's join screen.
 */
export function KeychainSignIn({ keychain }: { keychain: PopupKeychain }) {
  const [server, setServer] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [deviceName, setDeviceName] = useState(() => distinctDeviceName(`${defaultDeviceName()} extension`));
  const { busy, error, run } = useBusy();
  const ready = server.trim() !== '' && email.includes('@') && password !== '';
  return (
    <details class="keychain">
      <summary>Sign in to a keychain</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const origin = serverOrigin(server);
            // First, while the click still counts as a user gesture: the browser asks only then.
            await requestServerAccess(origin);
            await keychain.signIn({ server: origin, email: email.trim(), password, deviceName });
          });
        }}
      >
        <Field
          id="kc-server"
          label="Keychain server"
          value={server}
          onValue={setServer}
          hint="The address of your keychain server. Tessera asks the browser for access to it alone."
          input={{ type: 'url', placeholder: 'https://keys.example.org', autocomplete: 'url' }}
        />
        <Field
          id="kc-email"
          label="Email"
          value={email}
          onValue={setEmail}
          input={{ type: 'email', autocomplete: 'username' }}
        />
        <Field
          id="kc-password"
          label="Keychain password"
          value={password}
          onValue={setPassword}
          input={{ type: 'password', autocomplete: 'current-password' }}
        />
        <Field id="kc-device" label="Name of this device" value={deviceName} onValue={setDeviceName} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" disabled={!ready || busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </details>
  );
}

/** A trusted extension: where it syncs, how it is going, the last notice, and signing out. */
export function KeychainStatus({ keychain }: { keychain: PopupKeychain }) {
  const { keychain: view, toast } = useStore(keychain.store);
  const { busy, error, run } = useBusy();
  const notice = toast && (
    <p role="status" data-testid="keychain-notice">
      {toast}
    </p>
  );
  // Not resumed (yet): only why, if it failed.
  if (!view) return notice || null;
  const state = view.sessionEnded
    ? 'Signed out by the server: sign in again.'
    : view.unreachableSince !== null
      ? 'The keychain server does not answer; changes wait on this device.'
      : view.syncError
        ? view.syncError
        : view.syncing
          ? 'Syncing…'
          : 'Synced, following changes live.';
  return (
    <section class="keychain" aria-label="Keychain">
      <p role="status" data-testid="keychain-state">
        {view.email} on {new URL(view.server).host}: {state}
      </p>
      {notice}
      {view.status === 'trusted' && <ManageDevices keychain={keychain} />}
      <ErrorText error={error} />
      <button type="button" class="link" disabled={busy} onClick={() => void run(() => keychain.signOut())}>
        Sign out of the keychain
      </button>
    </section>
  );
}

type JoinScreenModule = typeof import('../../../web/src/screens/Keychain.js');

/**
 * A signed-in device not yet trusted: the web app's join screen (the 8-digit code to approve on a
 * trusted device, the PIN, the recovery key), loaded only when needed.
 */
export function PendingJoin({ keychain }: { keychain: PopupKeychain }) {
  const [screens, setScreens] = useState<JoinScreenModule | null>(null);
  useEffect(() => {
    void import('../../../web/src/screens/Keychain.js').then(setScreens);
  }, []);
  if (!screens) return <p aria-busy="true">Loading…</p>;
  return <screens.JoinScreen app={keychain} />;
}

/**
 * The web app's Backup page parts for a trusted device, in the popup: approving a device that asks
 * to join (the user types the code its screen shows), the device list (rename, remove with the new
 * recovery key), and the PIN. Loaded when opened.
 */
function ManageDevices({ keychain }: { keychain: PopupKeychain }) {
  const [open, setOpen] = useState(false);
  const [screens, setScreens] = useState<JoinScreenModule | null>(null);
  const [newKey, setNewKey] = useState<{ key: string; why: string } | null>(null);
  const { keychain: view } = useStore(keychain.store);
  const waiting = view?.devices.filter((d) => d.status === 'pending' && !d.expired).length ?? 0;
  useEffect(() => {
    if (open || waiting > 0) void import('../../../web/src/screens/Keychain.js').then(setScreens);
  }, [open, waiting > 0]);
  return (
    <details
      class="devices"
      open={open || waiting > 0}
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
    >
      <summary>{waiting > 0 ? `Devices: ${waiting} asking to join` : 'Devices and PIN'}</summary>
      {!screens ? (
        <p aria-busy="true">Loading…</p>
      ) : newKey ? (
        <screens.RecoveryKeyStep
          app={keychain}
          recoveryKey={newKey.key}
          title="Write down your new recovery key"
          intro={`${newKey.why} Your old recovery key stops working: it is shown only now.`}
          busyLabel="Changing your keys…"
          onConfirmed={async () => {
            await keychain.finishRotation();
            setNewKey(null);
          }}
          onCancel={() => void keychain.cancelRotation().then(() => setNewKey(null))}
          onStartOver={() => setNewKey(null)}
        />
      ) : (
        <>
          <screens.Approve app={keychain} />
          <screens.Devices app={keychain} onNewKey={setNewKey} />
          <screens.Pin app={keychain} />
        </>
      )}
    </details>
  );
}
