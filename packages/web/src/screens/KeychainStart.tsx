import { useEffect, useState } from 'preact/hooks';
import { distinctDeviceName, pinProblem, PIN_RULE } from '@tessera/vault';
import type { RestoreWay, SignInRequest, SignUpRequest } from '../app/keychain.js';
import type { PendingSignup } from '../app/pending-signup.js';
import { typedServerOrigin } from '../app/server-url.js';
import { ErrorText, Field } from '../components/Field.js';
import { useBusy } from '../components/useBusy.js';
import { defaultDeviceName } from '../format.js';
import { copyText } from '../platform/clipboard.js';
import { downloadFile } from '../platform/download.js';
import { MIN_PASSWORD } from './Lifecycle.js';

/** Draws a QR code (the recovery key sheet's). */
export interface QrActions {
  qrImage(text: string): Promise<string>;
}

/**
 * What the sign-up and sign-in form needs: the web app's controller, or the browser extension's
 * keychain (which first asks the browser for access to the server, from the same click).
 */
export interface StartActions extends QrActions {
  /** Resolves with the recovery key to show once; nothing is created before `finishSignUp`. */
  signUp(options: SignUpRequest): Promise<string>;
  /** The recovery key was typed back: create the keychain and back up every entry. */
  finishSignUp(): Promise<void>;
  signIn(options: SignInRequest): Promise<void>;
  /**
   * Signs in and joins at once with the recovery key or the PIN, so the sign-in's answer brings what
   * that join needs. Left out, the form offers no choice: every way is on the join screen after the
   * sign-in.
   */
  restore?(options: SignInRequest, way: RestoreWay): Promise<void>;
  /**
   * The ways `restore` takes, if not both: the extension's takes the recovery key alone (a PIN's
   * realms must be asked for from the click, before the sign-in names them), and the form says the
   * PIN is on the join screen.
   */
  readonly restoreWays?: readonly RestoreWay['by'][];
  /** A sign-up whose recovery key was shown before the page (or popup) closed, if any. */
  pendingSignup(): PendingSignup | null;
  abandonSignup(): Promise<void>;
}

/**
 * Sign up or sign in to a keychain: the web app's first run and Backup screen, and the extension's
 * popup. One form, so both say the same words, check the same things and run the same flows.
 */
export function KeychainStart(props: {
  app: StartActions;
  /**
   * The keychain server: for the web app, the one that served it or the one its page names. Left
   * out (the extension, which no server serves), the form asks for its address.
   */
  server?: string;
  /** This device's suggested name (made distinct from the names already used on this browser). */
  deviceName?: string;
  onBack?: () => void;
}) {
  const { app, onBack } = props;
  const [mode, setMode] = useState<'signup' | 'signin'>('signup');
  const [typedServer, setTypedServer] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [pin, setPin] = useState('');
  const [deviceName, setDeviceName] = useState(() =>
    distinctDeviceName(props.deviceName ?? defaultDeviceName()),
  );
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  // How a signing-in device gets the codes: approval (the join screen, after the sign-in), or by
  // itself with what it was given (`restoreWith`, the recovery key or the PIN) at once.
  const [way, setWay] = useState<'approve' | RestoreWay['by']>('approve');
  const [restoreWith, setRestoreWith] = useState('');
  const [pending, setPending] = useState(() => app.pendingSignup());
  const [voided, setVoided] = useState(false);
  const { busy, error, run } = useBusy();

  if (recoveryKey) {
    return (
      <RecoveryKeyStep
        app={app}
        recoveryKey={recoveryKey}
        onConfirmed={() => app.finishSignUp()}
        busyLabel="Creating your keychain…"
        onStartOver={() => {
          setRecoveryKey(null);
          setPending(app.pendingSignup());
        }}
      />
    );
  }

  if (pending && mode === 'signup') {
    return (
      <ResumeSignup
        pending={pending}
        onResume={async (password) =>
          setRecoveryKey(
            await app.signUp({
              server: pending.server,
              email: pending.email,
              password,
              pin: null,
              deviceName: pending.deviceName,
              recoveryKey: pending.recoveryKey,
            }),
          )
        }
        onStartOver={async () => {
          await app.abandonSignup();
          setPending(null);
          setVoided(true);
        }}
      />
    );
  }

  const passwordError =
    mode === 'signup' && password !== '' && password.length < MIN_PASSWORD
      ? `Use at least ${MIN_PASSWORD} characters.`
      : null;
  const againError =
    mode === 'signup' && again !== '' && again !== password ? 'The two passwords differ.' : null;
  const pinError = mode === 'signup' && pin !== '' ? pinProblem(pin) : null;
  const serverError =
    props.server === undefined && typedServer.trim() !== '' ? serverProblem(typedServer) : null;
  const ready =
    (props.server !== undefined || (typedServer.trim() !== '' && !serverError)) &&
    email.includes('@') &&
    password !== '' &&
    (mode === 'signin' || (!passwordError && again === password && !pinError)) &&
    (mode === 'signup' || way === 'approve' || restoreWith.trim() !== '');
  const restoreWays = app.restore ? (app.restoreWays ?? RESTORE_WAYS) : [];
  const restoring = mode === 'signin' && restoreWays.length > 0 && way !== 'approve';

  return (
    <>
      <h1>{mode === 'signup' ? 'Create your keychain' : 'Sign in to your keychain'}</h1>
      {voided && (
        <p role="status" data-testid="recovery-key-void">
          The recovery key shown before was never used and is void: throw it away. You get a new one when you
          create your keychain.
        </p>
      )}
      <div class="tabs" role="group" aria-label="Account">
        <button type="button" aria-pressed={mode === 'signup'} onClick={() => setMode('signup')}>
          New account
        </button>
        <button type="button" aria-pressed={mode === 'signin'} onClick={() => setMode('signin')}>
          I have an account
        </button>
      </div>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const server = props.server ?? typedServerOrigin(typedServer);
            if (mode === 'signup') {
              setRecoveryKey(
                await app.signUp({ server, email: email.trim(), password, pin: pin || null, deviceName }),
              );
            } else if (restoring) {
              const request = { server, email: email.trim(), password, deviceName };
              await app.restore!(
                request,
                way === 'pin'
                  ? { by: 'pin', pin: restoreWith }
                  : { by: 'recovery-key', recoveryKey: restoreWith },
              );
            } else {
              await app.signIn({ server, email: email.trim(), password, deviceName });
            }
          });
        }}
      >
        {props.server === undefined && (
          <Field
            id="kc-server"
            label="Keychain server"
            value={typedServer}
            onValue={setTypedServer}
            hint="The address of your keychain server, such as https://keys.example.org. Tessera talks to it and to no other host."
            error={serverError}
            input={{ type: 'text', inputMode: 'url', autocomplete: 'url', spellcheck: false, required: true }}
          />
        )}
        <Field
          id="kc-email"
          label="Email"
          value={email}
          onValue={setEmail}
          input={{ type: 'email', autocomplete: 'username', required: true }}
        />
        <Field
          id="kc-password"
          label="Account password"
          value={password}
          onValue={setPassword}
          hint={
            mode === 'signup'
              ? 'Never sent to the server, not even hashed. It alone cannot reveal your codes.'
              : undefined
          }
          error={passwordError}
          input={{
            type: 'password',
            autocomplete: mode === 'signup' ? 'new-password' : 'current-password',
            required: true,
          }}
        />
        {mode === 'signup' && (
          <>
            <Field
              id="kc-again"
              label="Password again"
              value={again}
              onValue={setAgain}
              error={againError}
              input={{ type: 'password', autocomplete: 'new-password' }}
            />
            <Field
              id="kc-pin"
              label="Keychain PIN (optional)"
              value={pin}
              onValue={setPin}
              hint={`${PIN_RULE} Lets a new device restore your codes with the PIN when no other device is at hand. Ten wrong tries erase it.`}
              error={pinError}
              input={{ type: 'password', inputMode: 'numeric', autocomplete: 'off' }}
            />
          </>
        )}
        {mode === 'signin' && restoreWays.length > 0 && (
          <fieldset>
            <legend>How this device gets your codes</legend>
            {(
              [
                ['approve', 'Approve it on another device'],
                ['pin', 'With the keychain PIN'],
                ['recovery-key', 'With the recovery key'],
              ] as const
            )
              .filter(([value]) => value === 'approve' || restoreWays.includes(value))
              .map(([value, label]) => (
                <label key={value} class="choice">
                  <input
                    type="radio"
                    name="kc-way"
                    value={value}
                    checked={way === value}
                    onChange={() => {
                      setWay(value);
                      setRestoreWith('');
                    }}
                  />{' '}
                  {label}
                </label>
              ))}
            {!restoreWays.includes('pin') && (
              <p class="hint">For the keychain PIN, sign in with approval: the next screen offers the PIN.</p>
            )}
          </fieldset>
        )}
        {restoring && <RestoreField id="kc-restore" way={way} value={restoreWith} onValue={setRestoreWith} />}
        <details>
          <summary>{props.server === undefined ? 'Device name' : 'Device name and server'}</summary>
          <Field id="kc-device" label="Name of this device" value={deviceName} onValue={setDeviceName} />
          {props.server !== undefined && (
            <p class="hint">
              Your keychain lives on <strong>{new URL(props.server).host}</strong>, the server this copy of
              the app is set up for. To use another keychain server, open the app from that server.
            </p>
          )}
        </details>
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={!ready || busy}>
            {busy
              ? 'Working…'
              : mode === 'signup'
                ? 'Create keychain'
                : restoring
                  ? 'Sign in and restore'
                  : 'Sign in'}
          </button>
          {onBack && (
            <button type="button" onClick={onBack}>
              Back
            </button>
          )}
        </div>
      </form>
    </>
  );
}

/** The ways the sign-in form offers to restore at once, when `StartActions.restoreWays` does not say. */
const RESTORE_WAYS: readonly RestoreWay['by'][] = ['pin', 'recovery-key'];

/** The keychain PIN's or the recovery key's field: the sign-in form's and the join screen's. */
export function RestoreField(props: {
  id: string;
  way: RestoreWay['by'];
  value: string;
  onValue(value: string): void;
}) {
  const { id, value, onValue } = props;
  return props.way === 'pin' ? (
    <Field
      id={id}
      label="Keychain PIN"
      value={value}
      onValue={onValue}
      input={{ type: 'password', inputMode: 'numeric', autocomplete: 'off' }}
    />
  ) : (
    <Field
      id={id}
      label="Recovery key"
      value={value}
      onValue={onValue}
      hint="The key you wrote down when you created the keychain."
      input={{ autocomplete: 'off', spellcheck: false, class: 'mono' }}
    />
  );
}

/** Why a typed server address cannot be used, or null. */
function serverProblem(typed: string): string | null {
  try {
    typedServerOrigin(typed);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function normalizeKey(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * Ways to keep the recovery key besides writing it: copy, a text file, or a printed sheet with the
 * key and its QR code (printed alone: `.print-sheet` is all `@media print` shows).
 */
function KeepKeyActions({ app, recoveryKey }: { app: QrActions; recoveryKey: string }) {
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    let live = true;
    void app.qrImage(recoveryKey).then((src) => live && setQr(src));
    return () => {
      live = false;
    };
  }, [recoveryKey]);
  const today = new Date().toISOString().slice(0, 10);
  return (
    <>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            void copyText(recoveryKey).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Key copied' : 'Copy key'}
        </button>
        <button
          type="button"
          onClick={() =>
            downloadFile({
              name: `tessera-recovery-key-${today}.txt`,
              mime: 'text/plain',
              bytes: new TextEncoder().encode(recoverySheetText(recoveryKey, today)),
            })
          }
        >
          Download key
        </button>
        <button type="button" onClick={() => window.print()} disabled={qr === null}>
          Print key sheet
        </button>
      </div>
      <section class="print-sheet" data-testid="print-sheet" aria-hidden="true">
        <h1>Tessera recovery key</h1>
        <p>Made on {today}. If you lose every device, this key brings your codes back. Keep it safe.</p>
        <p class="recovery-key mono">{recoveryKey}</p>
        {qr && <img src={qr} alt="The recovery key as a QR code" />}
      </section>
    </>
  );
}

function recoverySheetText(recoveryKey: string, date: string): string {
  return [
    'Tessera recovery key',
    '',
    recoveryKey,
    '',
    `Made on ${date}. If you lose every device, this key brings your codes back.`,
    'Keep it away from your devices; anyone who has it and your account password can read your codes.',
    '',
  ].join('\n');
}

/** A sign-up whose key was shown before the page closed: finish it with the same key, or start over. */
function ResumeSignup(props: {
  pending: PendingSignup;
  onResume(password: string): Promise<void>;
  onStartOver(): Promise<void>;
}) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const { busy, error, run } = useBusy();
  const short = password !== '' && password.length < MIN_PASSWORD;
  return (
    <>
      <h1>Finish creating your keychain</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => props.onResume(password));
        }}
      >
        <p>
          You started creating a keychain for <strong>{props.pending.email}</strong> on{' '}
          {new Date(props.pending.at).toLocaleString()}. Nothing was sent yet; the recovery key you wrote down
          then is kept for it. Choose your account password to go on.
        </p>
        <Field
          id="resume-password"
          label="Account password"
          value={password}
          onValue={setPassword}
          error={short ? `Use at least ${MIN_PASSWORD} characters.` : null}
          input={{ type: 'password', autocomplete: 'new-password', required: true }}
        />
        <Field
          id="resume-again"
          label="Repeat the password"
          value={again}
          onValue={setAgain}
          error={again !== '' && again !== password ? 'The two passwords differ.' : null}
          input={{ type: 'password', autocomplete: 'new-password', required: true }}
        />
        <ErrorText error={error} />
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={busy || short || password === '' || again !== password}
          >
            Continue
          </button>
          <button type="button" onClick={() => void run(() => props.onStartOver())} disabled={busy}>
            Start over
          </button>
        </div>
      </form>
    </>
  );
}

/** Shows a recovery key once and asks for it back, so it is written down before we go on. */
export function RecoveryKeyStep(props: {
  app: QrActions;
  recoveryKey: string;
  /** Runs once the key was typed back (creates the keychain, or goes ahead with a key rotation). */
  onConfirmed(): Promise<void>;
  busyLabel: string;
  title?: string;
  intro?: string;
  onStartOver(): void;
  /** Offered before anything was sent (a key rotation can still be called off). */
  onCancel?: () => void;
}) {
  const { recoveryKey } = props;
  const [typed, setTyped] = useState('');
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useBusy();
  const matches = normalizeKey(typed) === normalizeKey(recoveryKey);
  return (
    <>
      <h1>{props.title ?? 'Write down your recovery key'}</h1>
      <div class="card">
        <p>
          {props.intro ??
            'If you lose every device, this key brings your codes back. It is shown only now. Write it on paper or keep it in a password manager, away from this device.'}
        </p>
        <p
          class="recovery-key mono"
          aria-label={`Recovery key: ${recoveryKey.split('').join(' ')}`}
          data-testid="recovery-key"
        >
          {recoveryKey}
        </p>
        <KeepKeyActions app={props.app} recoveryKey={recoveryKey} />
        {!saved ? (
          <div class="actions">
            <button type="button" class="primary" onClick={() => setSaved(true)}>
              I wrote it down
            </button>
            {props.onCancel && (
              <button type="button" onClick={props.onCancel}>
                Cancel
              </button>
            )}
          </div>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (matches) void run(() => props.onConfirmed());
            }}
          >
            <Field
              id="rk-confirm"
              label="Type the recovery key to confirm"
              value={typed}
              onValue={setTyped}
              hint="Hyphens and spaces do not matter."
              error={
                typed !== '' && normalizeKey(typed).length >= normalizeKey(recoveryKey).length && !matches
                  ? 'This is not the key shown above.'
                  : null
              }
              input={{ autocomplete: 'off', spellcheck: false, class: 'mono' }}
            />
            <ErrorText error={error} />
            <div class="actions">
              <button type="submit" class="primary" disabled={!matches || busy}>
                {busy ? props.busyLabel : 'Done'}
              </button>
              {props.onCancel && !busy && (
                <button type="button" onClick={props.onCancel}>
                  Cancel
                </button>
              )}
              {error && (
                <button type="button" onClick={props.onStartOver}>
                  Start over
                </button>
              )}
            </div>
          </form>
        )}
      </div>
    </>
  );
}
