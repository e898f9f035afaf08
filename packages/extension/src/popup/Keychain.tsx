import { useEffect, useState } from 'preact/hooks';
import { useStore } from '../../../web/src/app/store.js';
import { ErrorText } from '../../../web/src/components/Field.js';
import { useBusy } from '../../../web/src/components/useBusy.js';
import { defaultDeviceName } from '../../../web/src/format.js';
import type { PopupKeychain } from './popup-keychain.js';

type StartModule = typeof import('../../../web/src/screens/KeychainStart.js');

/**
 * Turning on the keychain backup from the popup: the web app's own form (`KeychainStart`: create
 * an account with its recovery key, or sign in), which here also asks for the server's address (no
 * server serves the extension). Signing in restores at once with the recovery key, or the device
 * then joins by approval, PIN or recovery key on the web app's join screen. Loaded when opened;
 * open by itself while a sign-up waits for its recovery key to be confirmed (the popup closed
 * while it was shown).
 */
export function KeychainSignIn({ keychain }: { keychain: PopupKeychain }) {
  const [open, setOpen] = useState(() => keychain.pendingSignup() !== null);
  const [start, setStart] = useState<StartModule | null>(null);
  useEffect(() => {
    if (open && !start) void import('../../../web/src/screens/KeychainStart.js').then(setStart);
  }, [open]);
  return (
    <details class="keychain" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Turn on keychain backup</summary>
      {!start ? (
        open && <p aria-busy="true">Loading…</p>
      ) : (
        <start.KeychainStart app={keychain} deviceName={`${defaultDeviceName()} extension`} />
      )}
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
