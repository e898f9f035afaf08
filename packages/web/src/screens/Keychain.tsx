import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { pinProblem } from '@tessera/vault';
import type { App, KeychainView } from '../app/controller.js';
import { keychainServer } from '../app/server-url.js';
import { useStore, type StoreLike } from '../app/store.js';
import { ErrorText, Field } from '../components/Field.js';
import { Confirm, Dialog } from '../components/Dialog.js';
import { timeAgo, unreachableText } from '../format.js';
import { useBusy } from '../components/useBusy.js';
import { KeychainStart, RecoveryKeyStep, RestoreField } from './KeychainStart.js';

import { LockAccount, Password, SignInAgain } from './Lifecycle.js';
import { LocalBackupsCard } from './LocalBackups.js';

// The recovery key step lives with the sign-in form (KeychainStart.tsx); the extension's device
// management takes it from here, with the Backup page's other parts.
export { RecoveryKeyStep, type QrActions } from './KeychainStart.js';

/**
 * What the join screen needs: the web app's controller, or the extension's (which has no passkey
 * restore, so it leaves `joinWithPasskey` out and the screen offers no passkey).
 */
export interface JoinActions {
  store: StoreLike<{ keychain: KeychainView | null }>;
  refreshEscrow(): Promise<void>;
  joinWithPin(pin: string): Promise<void>;
  joinWithRecoveryKey(recoveryKey: string): Promise<void>;
  joinWithPasskey?(): Promise<void>;
  signOut(): Promise<void>;
}

/** A new device that signed in but holds no vault key yet: approve, PIN, or recovery key. */
export function JoinScreen({ app }: { app: JoinActions }) {
  const state = useStore(app.store);
  const keychain = state.keychain!;
  const [way, setWay] = useState<'approve' | 'pin' | 'recovery' | 'passkey'>('approve');
  const [pin, setPin] = useState('');
  const [key, setKey] = useState('');
  const { busy, error, setError, run } = useBusy();
  // A join chosen on the sign-in form that failed: its way, with its error, to try again or change.
  const failed = keychain.restoreFailed;
  useEffect(() => {
    if (!failed) return;
    setWay(failed.way === 'pin' ? 'pin' : 'recovery');
    setError(failed.message);
  }, [failed?.message]);
  useEffect(() => {
    if (way === 'pin') void app.refreshEscrow();
  }, [way]);
  const escrow = keychain.escrow;
  return (
    <>
      <h1>Bring your codes to this device</h1>
      <div class="tabs" role="group" aria-label="How to confirm this device">
        <button type="button" aria-pressed={way === 'approve'} onClick={() => setWay('approve')}>
          Another device
        </button>
        <button type="button" aria-pressed={way === 'pin'} onClick={() => setWay('pin')}>
          Keychain PIN
        </button>
        <button type="button" aria-pressed={way === 'recovery'} onClick={() => setWay('recovery')}>
          Recovery key
        </button>
        {app.joinWithPasskey && (
          <button type="button" aria-pressed={way === 'passkey'} onClick={() => setWay('passkey')}>
            Passkey
          </button>
        )}
      </div>
      <div class="card">
        {way === 'approve' && keychain.joinFailed && (
          <>
            <p role="alert">{keychain.joinFailed}</p>
            <div class="actions">
              <button type="button" class="primary" onClick={() => void app.signOut()}>
                Sign in again for a new code
              </button>
            </div>
          </>
        )}
        {way === 'approve' && !keychain.joinFailed && (
          <>
            <p>
              On a device that already has your codes, open <strong>Backup</strong> and type this code. It
              never leaves this device; keep this page open until that device has approved it.
            </p>
            <p
              class="big-code mono"
              data-testid="verification-code"
              aria-label={`Verification code ${(keychain.verificationCode ?? '').split('').join(' ')}`}
            >
              {keychain.verificationCode ?? '…'}
            </p>
            <p role="status" class="hint">
              Waiting for approval… This page updates by itself.
            </p>
          </>
        )}
        {way === 'pin' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run(() => app.joinWithPin(pin));
            }}
          >
            {escrow?.destroyed ? (
              <p role="alert">
                Too many wrong PINs were entered, so the PIN no longer works. Use another device or your
                recovery key.
              </p>
            ) : escrow && !escrow.enabled ? (
              <p>No keychain PIN is set for this account. Use another device or your recovery key.</p>
            ) : (
              <>
                <RestoreField id="join-pin" way="pin" value={pin} onValue={setPin} />
                {escrow?.attemptsLeft != null && (
                  <p class="hint" data-testid="attempts-left">
                    {escrow.attemptsLeft} attempt{escrow.attemptsLeft === 1 ? '' : 's'} left before the PIN
                    stops working.
                  </p>
                )}
                <ErrorText error={error} />
                <div class="actions">
                  <button type="submit" class="primary" disabled={busy || pin === ''}>
                    {busy ? 'Checking…' : 'Use PIN'}
                  </button>
                </div>
              </>
            )}
          </form>
        )}
        {way === 'passkey' && app.joinWithPasskey && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run(() => app.joinWithPasskey!());
            }}
          >
            <p>
              If you added a passkey for restore on another device, and your passkeys sync (iCloud Keychain,
              Google Password Manager, a password manager or a security key), use it here.
            </p>
            <ErrorText error={error} />
            <div class="actions">
              <button type="submit" class="primary" disabled={busy}>
                {busy ? 'Checking…' : 'Restore with passkey'}
              </button>
            </div>
          </form>
        )}
        {way === 'recovery' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run(() => app.joinWithRecoveryKey(key));
            }}
          >
            <RestoreField id="join-rk" way="recovery-key" value={key} onValue={setKey} />
            <ErrorText error={error} />
            <div class="actions">
              <button type="submit" class="primary" disabled={busy || key.trim() === ''}>
                {busy ? 'Checking…' : 'Use recovery key'}
              </button>
            </div>
          </form>
        )}
      </div>
      <button type="button" class="link" onClick={() => void app.signOut()}>
        Cancel and sign out
      </button>
    </>
  );
}

/** Backup: state of the keychain, approvals, devices, notices, PIN. */
export function Backup({ app }: { app: App }) {
  const state = useStore(app.store);
  const keychain = state.keychain;
  // A key rotation waiting for its new recovery key to be written down (removal or replacement).
  const [newKey, setNewKey] = useState<{ key: string; why: string } | null>(null);
  if (!keychain && state.keychainOn)
    return (
      <p class="hint" aria-busy="true">
        Loading…
      </p>
    );
  if (!keychain) {
    return (
      <>
        <div class="card">
          <h2>Keychain backup is off</h2>
          <p>
            Your codes are only in this browser. Turn on the keychain backup to restore them on a new device.
          </p>
        </div>
        <KeychainStart app={app} server={keychainServer()} />
        <LocalBackupsCard app={app} />
      </>
    );
  }
  if (newKey) {
    return (
      <RecoveryKeyStep
        app={app}
        recoveryKey={newKey.key}
        title="Write down your new recovery key"
        intro={`${newKey.why} Your old recovery key stops working: it is shown only now. Write the new one on paper or keep it in a password manager, away from this device.`}
        busyLabel="Changing your keys…"
        onConfirmed={async () => {
          await app.finishRotation();
          setNewKey(null);
        }}
        onCancel={() => void app.cancelRotation().then(() => setNewKey(null))}
        onStartOver={() => setNewKey(null)}
      />
    );
  }
  const signOut = (
    <div class="card">
      <h2>Sign out</h2>
      <p>This browser keeps its codes but stops backing up. Signing in again needs approval.</p>
      <button type="button" onClick={() => void app.signOut()}>
        Sign out of the keychain
      </button>
    </div>
  );
  // A device whose session ended (removed, signed out by a password change or a lock) shows that one
  // state: nothing of a signed-in member's (account, devices to remove, PIN), only the way back.
  if (keychain.sessionEnded || keychain.status === 'removed')
    return (
      <>
        <h1>Backup</h1>
        <section class="card" aria-labelledby="state-title">
          <h2 id="state-title">Backup state</h2>
          <p data-testid="backup-state">
            {keychain.status === 'removed'
              ? 'This device is no longer signed in: it was removed from your keychain. Its codes stay here but are not backed up. Sign out, then join again as a new device.'
              : 'This device is no longer signed in to the keychain. Its codes stay here but are not backed up until it signs in again.'}
          </p>
        </section>
        {keychain.status === 'trusted' && <SignInAgain app={app} />}
        <LocalBackupsCard app={app} />
        {signOut}
      </>
    );
  return (
    <>
      <h1>Backup</h1>
      <BackupState app={app} />
      <Approve app={app} />
      <Devices app={app} onNewKey={setNewKey} />
      <Notices app={app} />
      <Pin app={app} />
      <RecoveryKeyCard app={app} onNewKey={setNewKey} />
      <RestorePasskeys app={app} />
      <Password app={app} />
      <LockAccount app={app} />
      <LocalBackupsCard app={app} />
      {signOut}
    </>
  );
}

function BackupState({ app }: { app: App }) {
  const { keychain, online } = useStore(app.store);
  const { busy, error, run } = useBusy();
  const k = keychain!;
  return (
    <section class="card" aria-labelledby="state-title">
      <h2 id="state-title">Backup state</h2>
      <p>
        Signed in as <strong>{k.email}</strong> on <strong>{new URL(k.server).host}</strong>.
      </p>
      <p data-testid="backup-state">
        {!online
          ? `Offline. ${k.pendingChanges} change${k.pendingChanges === 1 ? '' : 's'} will be backed up when the connection is back.`
          : k.unreachableSince !== null
            ? unreachableText(k.unreachableSince, k.pendingChanges)
            : k.syncError
              ? `Backup failed: ${k.syncError}`
              : k.pendingChanges > 0
                ? `${k.pendingChanges} change${k.pendingChanges === 1 ? '' : 's'} waiting to be backed up.`
                : `Everything is backed up. Last backup ${timeAgo(k.lastSyncAt)}.`}
      </p>
      <button
        type="button"
        onClick={() => void run(() => app.syncNow())}
        disabled={!online || k.syncing || busy}
      >
        {k.syncing || busy ? 'Backing up…' : 'Back up now'}
      </button>
      <ErrorText error={error} />
    </section>
  );
}

/** What approving and turning away join requests needs: the web app's controller, or the extension's. */
export interface ApproveActions {
  store: StoreLike<{ keychain: KeychainView | null }>;
  approve(code: string, deviceId?: string): Promise<string>;
  evict(deviceId: string): Promise<string>;
}

export function Approve({ app }: { app: ApproveActions }) {
  const { keychain } = useStore(app.store);
  const [code, setCode] = useState('');
  const { busy, error, run } = useBusy();
  const [done, setDone] = useState<string | null>(null);
  const pending = keychain!.devices.filter((d) => d.status === 'pending' && !d.expired);
  // Requests past their 10 minutes: nothing to approve any more, only to remove.
  const abandoned = keychain!.devices.filter((d) => d.status === 'pending' && d.expired);
  const [chosen, setChosen] = useState<string | null>(null);
  // With several devices waiting, the user says which one shows the code (each try spends its run).
  const target = pending.length > 1 ? (pending.find((d) => d.id === chosen)?.id ?? null) : undefined;
  if (pending.length === 0 && !done)
    return abandoned.length === 0 ? null : (
      <section class="card" aria-labelledby="abandoned-title">
        <h2 id="abandoned-title">Old join requests</h2>
        <p>
          These asked to join more than 10 minutes ago and can no longer be approved. Remove them; if you did
          not ask, change your account password.
        </p>
        <ul class="list">
          {abandoned.map((d) => (
            <li key={d.id}>
              <span class="grow">
                <strong>{d.name}</strong> <span class="hint">request expired</span>
              </span>
              <button
                type="button"
                aria-label={`Remove ${d.name}`}
                disabled={busy}
                onClick={() => void run(async () => void (await app.evict(d.id)))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <ErrorText error={error} />
      </section>
    );
  return (
    <section class="card" aria-labelledby="approve-title">
      <h2 id="approve-title">Approve a new device</h2>
      {pending.length > 0 && (
        <>
          <p>
            {pending.map((d) => d.name).join(', ')} asked to join your keychain. If it is yours, enter the
            code its screen shows while it waits. If it is not, remove it and change your account password.
          </p>
          <ul class="list">
            {pending.map((d) => (
              <li key={d.id}>
                <span class="grow">
                  <strong>{d.name}</strong> <span class="hint">waiting to join</span>
                </span>
                <button
                  type="button"
                  aria-label={`Remove ${d.name}, not my device`}
                  disabled={busy}
                  onClick={() =>
                    void run(async () => {
                      const name = await app.evict(d.id);
                      setDone(`${name} was removed; it can no longer reach your keychain.`);
                    })
                  }
                >
                  Not mine: remove
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const name = await app.approve(code, target ?? undefined);
            setDone(`${name} can now see your codes.`);
            setCode('');
          });
        }}
      >
        {pending.length > 1 && (
          <fieldset>
            <legend>Which device shows the code?</legend>
            {pending.map((d) => (
              <label key={d.id} class="choice">
                <input
                  type="radio"
                  name="approve-device"
                  value={d.id}
                  checked={chosen === d.id}
                  onChange={() => setChosen(d.id)}
                />{' '}
                {d.name} <span class="hint mono">{d.id.slice(0, 8)}</span>
              </label>
            ))}
          </fieldset>
        )}
        <Field
          id="approve-code"
          label="Verification code"
          value={code}
          onValue={setCode}
          input={{ inputMode: 'numeric', autocomplete: 'off', class: 'mono', placeholder: '1234-5678' }}
        />
        <ErrorText error={error} />
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={busy || code.replace(/\D/g, '').length !== 8 || target === null}
          >
            {busy ? 'Waiting for the new device…' : 'Approve'}
          </button>
        </div>
      </form>
      {done && <p role="status">{done}</p>}
    </section>
  );
}

export type NewKey = (rotation: { key: string; why: string }) => void;

/** What the device list needs (renaming, and removal with its key rotation). */
export interface DeviceActions {
  store: StoreLike<{ keychain: KeychainView | null }>;
  renameDevice(deviceId: string, name: string): Promise<string>;
  startRemoval(id: string, pin: string | null): Promise<string>;
}

export function Devices({ app, onNewKey }: { app: DeviceActions; onNewKey: NewKey }) {
  const { keychain } = useStore(app.store);
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const { error, run } = useBusy();
  const devices = keychain!.devices.filter((d) => d.status === 'trusted');
  return (
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      <ul class="list">
        {devices.map((d) => (
          <li key={d.id}>
            <span class="grow">
              <strong>{d.name}</strong>
              {d.id === keychain!.deviceId && <span class="status"> this device</span>}
              <br />
              <span class="hint">Last seen {timeAgo(d.lastSeenAt)}</span>
            </span>
            <button
              type="button"
              aria-label={`Rename ${d.name}`}
              onClick={() => setRenaming({ id: d.id, name: d.name })}
            >
              Rename
            </button>
            {d.id !== keychain!.deviceId && (
              <button type="button" class="danger" onClick={() => setRemoving({ id: d.id, name: d.name })}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
      {renaming && (
        <RenameDialog
          name={renaming.name}
          onCancel={() => setRenaming(null)}
          onConfirm={(name) => {
            const { id } = renaming;
            setRenaming(null);
            void run(async () => void (await app.renameDevice(id, name)));
          }}
        />
      )}
      {removing && (
        <RemoveDialog
          name={removing.name}
          pinSet={keychain!.escrow?.enabled === true}
          onCancel={() => setRemoving(null)}
          onConfirm={(pin) => {
            const { id, name } = removing;
            setRemoving(null);
            void run(async () =>
              onNewKey({
                key: await app.startRemoval(id, pin),
                why: `Removing ${name} changes every key of your keychain, the recovery key too.`,
              }),
            );
          }}
        />
      )}
    </section>
  );
}

/** A new name for a device: every device of the keychain, and every approval prompt, shows it. */
function RenameDialog(props: { name: string; onConfirm(name: string): void; onCancel(): void }) {
  const [name, setName] = useState(props.name);
  const valid = name.trim().length > 0 && name.trim().length <= 64;
  return (
    <Dialog title={`Rename ${props.name}`} onClose={props.onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) props.onConfirm(name.trim());
        }}
      >
        <Field id="rename-device" label="New name" value={name} onValue={setName} />
        <div class="actions">
          <button type="submit" class="primary" disabled={!valid}>
            Rename
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * Asks before removing a device. A removal also replaces the recovery key and the PIN escrow
 * (docs/SECURITY.md "Freshness after removal"), so the PIN is typed again to keep it.
 */
function RemoveDialog(props: {
  name: string;
  pinSet: boolean;
  onConfirm(pin: string | null): void;
  onCancel(): void;
}) {
  const [pin, setPin] = useState('');
  return (
    <Dialog title={`Remove ${props.name}?`} onClose={props.onCancel}>
      <p>
        It will no longer receive your codes or changes. Your keys are changed so it cannot read anything
        backed up from now on, and you get a new recovery key. Codes it already has stay on it.
      </p>
      {props.pinSet && (
        <Field
          id="remove-pin"
          label="Keychain PIN (to keep it)"
          value={pin}
          onValue={setPin}
          hint="Leave empty to turn the PIN off; you can set a new one afterwards."
          input={{ type: 'password', inputMode: 'numeric', autocomplete: 'off' }}
        />
      )}
      <div class="actions">
        <button type="button" class="danger" onClick={() => props.onConfirm(pin === '' ? null : pin)}>
          Remove device
        </button>
        <button type="button" onClick={props.onCancel} autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function RecoveryKeyCard({ app, onNewKey }: { app: App; onNewKey: NewKey }) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useBusy();
  return (
    <section class="card" aria-labelledby="recovery-title">
      <h2 id="recovery-title">Recovery key</h2>
      <p>
        If your recovery key may have been seen by someone else, replace it. Your keys change too, so the old
        recovery key opens nothing from then on.
      </p>
      <button type="button" onClick={() => setAsking(true)} disabled={busy}>
        Replace recovery key
      </button>
      <ErrorText error={error} />
      {asking && (
        <Confirm
          title="Replace the recovery key?"
          message="You get a new recovery key to write down; the old one stops working."
          confirmLabel="Replace recovery key"
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            void run(async () =>
              onNewKey({
                key: await app.startRecoveryKeyRotation(),
                why: 'You asked for a new recovery key.',
              }),
            );
          }}
        />
      )}
    </section>
  );
}

/** Passkeys for restore (docs/PROTOCOL.md §8): list, add, remove. */
function RestorePasskeys({ app }: { app: App }) {
  const { keychain } = useStore(app.store);
  const { busy, error, run } = useBusy();
  const passkeys = keychain!.passkeys;
  return (
    <section class="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys for restore</h2>
      <p>
        With a passkey that syncs to your other devices, a new device gets your codes back after signing in,
        with no other device, PIN or recovery key. Removing a device removes these passkeys too; add one again
        afterwards.
      </p>
      {passkeys.length > 0 && (
        <ul class="list">
          {passkeys.map((p) => (
            <li key={p.id}>
              <span class="grow">
                <strong>{p.name}</strong>
                <br />
                <span class="hint">Added {timeAgo(Date.parse(p.addedAt))}</span>
              </span>
              <button
                type="button"
                class="danger"
                disabled={busy}
                onClick={() => void run(() => app.removeRestorePasskey(p.id))}
              >
                Remove passkey
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={error} />
      <button type="button" disabled={busy} onClick={() => void run(() => app.addRestorePasskey())}>
        {busy ? 'Waiting for the passkey…' : 'Add a passkey for restore'}
      </button>
    </section>
  );
}

/** Notices newest first (at most 50), with when, why done (if so) and an optional action each. */
function NoticeList(props: {
  testId: string;
  notices: KeychainView['notices'];
  action?: (n: KeychainView['notices'][number]) => ComponentChildren;
}) {
  return (
    <ul class="list" data-testid={props.testId}>
      {[...props.notices]
        .reverse()
        .slice(0, 50)
        .map((n) => (
          <li key={n.id}>
            <span class="grow">
              {n.detail}
              <br />
              <span class="hint">
                {timeAgo(n.createdAt)}
                {n.done !== null && ` · done: ${n.done}`}
              </span>
            </span>
            {props.action?.(n)}
          </li>
        ))}
    </ul>
  );
}

/**
 * Notices that still need attention, newest first, each dismissible; those acted on, overtaken,
 * expired or dismissed stay under "Show older" with the reason.
 */
function Notices({ app }: { app: App }) {
  const { keychain } = useStore(app.store);
  const [older, setOlder] = useState(false);
  const active = keychain!.notices.filter((n) => n.done === null);
  const done = keychain!.notices.filter((n) => n.done !== null);
  return (
    <section class="card" aria-labelledby="notices-title">
      <h2 id="notices-title">Security notices</h2>
      {active.length === 0 ? (
        <p class="hint">Nothing needs your attention.</p>
      ) : (
        <NoticeList
          testId="active-notices"
          notices={active}
          action={(n) => (
            <button type="button" onClick={() => void app.dismissNotice(n.id)}>
              Dismiss
            </button>
          )}
        />
      )}
      {done.length > 0 && (
        <button type="button" class="link" aria-expanded={older} onClick={() => setOlder(!older)}>
          {older ? 'Hide older' : `Show older (${done.length})`}
        </button>
      )}
      {older && <NoticeList testId="older-notices" notices={done} />}
    </section>
  );
}

/** What setting the PIN needs. */
export interface PinActions {
  store: StoreLike<{ keychain: KeychainView | null }>;
  setPin(pin: string): Promise<void>;
}

export function Pin({ app }: { app: PinActions }) {
  const { keychain } = useStore(app.store);
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useBusy();
  const enabled = keychain!.escrow?.enabled;
  return (
    <section class="card" aria-labelledby="pin-title">
      <h2 id="pin-title">Keychain PIN</h2>
      <p>
        {keychain!.escrow === null
          ? keychain!.unreachableSince !== null
            ? "Can't check whether a PIN is set while the keychain server does not answer."
            : 'Checking whether a PIN is set…'
          : enabled
            ? 'A PIN is set. A new device can use it instead of an approval.'
            : 'No PIN is set.'}
      </p>
      {keychain!.escrow?.protection && enabled && (
        <p data-testid="pin-protection">Held by {keychain!.escrow.protection}.</p>
      )}
      {/* Never offer to set a PIN without knowing whether one is set (and the attempts it has). */}
      {keychain!.escrow !== null && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await app.setPin(pin);
              setPin('');
              setAgain('');
              setDone(true);
            });
          }}
        >
          <div class="grid2">
            <Field
              id="pin-new"
              label={enabled ? 'New PIN' : 'PIN'}
              value={pin}
              onValue={setPin}
              error={pin !== '' ? pinProblem(pin) : null}
              input={{ type: 'password', inputMode: 'numeric', autocomplete: 'off' }}
            />
            <Field
              id="pin-again"
              label="PIN again"
              value={again}
              onValue={setAgain}
              error={again !== '' && again !== pin ? 'The two PINs differ.' : null}
              input={{ type: 'password', inputMode: 'numeric', autocomplete: 'off' }}
            />
          </div>
          <ErrorText error={error} />
          <div class="actions">
            <button type="submit" disabled={busy || pin === '' || pinProblem(pin) !== null || pin !== again}>
              {enabled ? 'Change PIN' : 'Set PIN'}
            </button>
          </div>
          {done && <p role="status">The PIN is set.</p>}
        </form>
      )}
    </section>
  );
}
