import {
  addPasskey,
  approve,
  changePassword,
  lockAccount,
  evictPendingDevice,
  fromB64u,
  PASSKEY_PRF_INPUT,
  recoverWithPasskey,
  removePasskey,
  describeNotice,
  deviceList,
  dismissNotice,
  follow,
  noticeDone,
  Keychain,
  KeychainError,
  keychainStatus,
  login,
  ownVerificationCode,
  parseRecoveryKey,
  pinProtection,
  realmUrl,
  recoverWithPin,
  recoverWithRecoveryKey,
  removeDevice,
  renameDevice,
  rotateRecoveryKey,
  setPin,
  signInAgain,
  signInToRecover,
  signup,
  syncRound,
  type DeviceView as ListedDevice,
} from '@tessera/vault/keychain';
import type { MetaValue, Vault } from '@tessera/vault';
import type { OtpEntry } from '@tessera/otp';
import type { StoreLike } from './store.js';
import { JOIN_REQUEST_TTL_MS } from '@tessera/protocol';
import { PENDING_SIGNUP_META_KEY, type PendingSignup } from './pending-signup.js';
import type { AppState, DeviceView, KeychainView } from './controller.js';
import { indexedDbDeviceKeyStore } from '../platform/device-keys.js';
import { forScreen } from './words.js';
import { vaultHost } from './vault-host.js';

/** Local meta key of the last devices and PIN state the server reported (this device only). */
const LAST_KNOWN_META_KEY = 'web.keychain.lastKnown';

interface LastKnown {
  devices: DeviceView[];
  escrow: KeychainView['escrow'];
  at: number;
}

/** What the sign-in form collects. */
export interface SignInRequest {
  server: string;
  email: string;
  password: string;
  deviceName: string;
}

/**
 * How a device that signs in brings the codes by itself, chosen on the sign-in form (left out: it
 * waits for approval by another device).
 */
export type RestoreWay = { by: 'recovery-key'; recoveryKey: string } | { by: 'pin'; pin: string };

/** What the sign-up form collects: sign-in plus the optional keychain PIN. */
export interface SignUpRequest extends SignInRequest {
  pin: string | null;
  /** Resuming: the recovery key shown before the page closed. */
  recoveryKey?: string;
}

/** The part of an app's state a keychain session keeps up to date (the web app's, the extension's). */
export type KeychainState = Pick<AppState, 'keychain' | 'keychainOn'>;

export interface KeychainSessionOptions {
  vault: Vault;
  store: StoreLike<KeychainState>;
  toast(message: string): void;
  /** How this app names itself to the server (its User-Agent-like client id); the web app's by default. */
  clientId?: string;
  /**
   * Resolves once this session may follow the feed: another context of the same vault (the
   * extension's background round) may be writing the keychain state, and two objects writing the
   * whole state to one storage lose each other's writes. Until then the session shows its state
   * but sends nothing and writes nothing: no round, no push, no PIN state refresh; flows wait too.
   * Asked for each time the loop (re)starts, so it should return the same promise once granted.
   */
  followTurn?: () => Promise<void>;
}

/**
 * A local edit is pushed at once; edits within this long of that push (an import, quick typing,
 * a drag) wait for the end of the window and go out together in one round.
 */
const PUSH_BURST_MS = 300;

type Notice = Parameters<typeof describeNotice>[0];

/** One line for people; the library's wording names CLI commands where the web app has buttons. */
function noticeText(notice: Notice): string {
  const data = notice.data as Record<string, unknown>;
  const name = typeof data.name === 'string' ? `“${data.name}”` : 'A device';
  switch (notice.kind) {
    case 'device-join-requested':
      return `${name} asked to join your keychain. If it is yours, approve it with the code its screen shows.`;
    case 'escrow-destroyed':
      return 'The keychain PIN stopped working after 10 wrong attempts. Set a new PIN on this page.';
    case 'backup-mismatch':
      return 'A device found that the backup on the server differs from its own copy; it will back up again.';
    case 'account-locked':
      return 'The account was locked: every session ended and every device waiting to join was removed. Sign in again on the Backup page.';
    case 'password-changed':
      return 'The account password was changed: other devices were signed out and devices waiting to join were removed. Sign in again with the new password on the Backup page.';
    default:
      return describeNotice(notice);
  }
}

/**
 * The Backup page's rows of the vault's device list (the one `tessera keychain devices` prints): a
 * join request past its 10 minutes is marked, as it can only be removed, not approved.
 */
export function screenDevices(list: readonly ListedDevice[], now: number): DeviceView[] {
  return list.map((d) => ({
    id: d.id,
    name: d.name,
    status: d.status,
    lastSeenAt: d.lastSeenAt,
    // A request the server gave no time for counts as old.
    ...(d.status === 'pending'
      ? { expired: now - (d.createdAt ? Date.parse(d.createdAt) : 0) > JOIN_REQUEST_TTL_MS }
      : {}),
  }));
}

/**
 * The keychain side of the app (a lazy chunk: it brings OPAQUE and Argon2id): the flows of
 * docs/PROTOCOL.md §5 from `@tessera/vault/keychain`, and live sync. Sync runs only inside the
 * library's `follow` loop (one round at a time): a local edit asks the running loop for a round, and
 * flows that change the keychain state stop the loop and restart it after (its first act on
 * connecting is a round), so rounds never overlap.
 */
export class KeychainSession {
  private readonly keychain: Keychain;
  private following: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private abort: AbortController | null = null;
  private pushTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last push was asked for (0: never), for PUSH_BURST_MS. */
  private lastPush = 0;
  /** Asks the running follow loop for a round (null while none runs): see `pushSoon`. */
  private requestRound: (() => void) | null = null;
  private roundWaiters: (() => void)[] = [];
  private verificationCode: string | null = null;
  private escrow: KeychainView['escrow'] = null;
  /** The realm URLs the server announced for a new PIN, as of the last `refreshEscrow`. */
  private announcedRealms: string[] = [];
  private devices: DeviceView[] = [];
  private syncing = false;
  private transientError: string | null = null;
  private sessionEnded = false;
  private joinFailed: string | null = null;
  /** The join `restore` tried after its sign-in, and why it failed (the join screen opens on it). */
  private restoreFailed: KeychainView['restoreFailed'] = null;
  /** When the server stopped answering (null while it answers). */
  private unreachableSince: number | null = null;
  private updateRequired = false;
  private confirmRecoveryKey: (() => void) | null = null;
  private signupDone: Promise<void> | null = null;
  private rotationDecision: { confirmed(): void; cancelled(err: Error): void } | null = null;
  private rotationDone: Promise<void> | null = null;
  private unsubscribe: () => void;
  /** Run inside the follow loop after each round (the shared folders' sync), if set. */
  private afterRound: (() => Promise<void>) | null = null;
  /** Notices up to this id were on screen already (in memory only: a reload does not repeat them). */
  private toastedNotice = Number.POSITIVE_INFINITY;

  constructor(private readonly options: KeychainSessionOptions) {
    this.keychain = new Keychain({
      host: vaultHost(options.vault),
      deviceKeys: indexedDbDeviceKeyStore(),
      clientId: options.clientId ?? `tessera-web/${__APP_VERSION__}`,
    });
    this.unsubscribe = options.vault.onChange((change) => {
      if (change.kind === 'records' && change.source === 'local') this.pushSoon();
      if (change.kind === 'records') this.publish();
    });
  }

  /**
   * What the shared-folder flows (`folders.ts`, a chunk of its own) need: this keychain, and this
   * session's one-at-a-time queue, since folder flows read and extend the circle as rounds do.
   */
  folderHost(afterRound: () => Promise<void>): {
    keychain: Keychain;
    run<T>(work: () => Promise<T>): Promise<T>;
  } {
    this.afterRound = afterRound;
    return { keychain: this.keychain, run: (work) => this.exclusive(work) };
  }

  /** Picks up a signed-in device after a reload: shows its state, then follows the feed. */
  async resume(): Promise<void> {
    const state = this.keychain.state;
    if (!state) return;
    if (state.status === 'pending') this.verificationCode = await ownVerificationCode(this.keychain);
    this.recall();
    this.publish();
    this.startFollowing();
    // Refreshes the clock offset behind the clock-off warning, the realms, and whether a PIN is set
    // (it saves the circle and the last known state: not before the session's turn).
    await this.options.followTurn?.();
    if (this.stopped) return;
    await this.refreshEscrow().catch(() => undefined);
  }

  /**
   * Creates the account. Resolves with the recovery key as soon as it exists; the keychain is only
   * created once `finishSignUp` confirms the key was written down.
   */
  async signUp(options: SignUpRequest): Promise<string> {
    // The library makes the recovery key before any request; asking the server first means an
    // unreachable or too-new server is reported before the user writes a key down.
    await this.keychain.client(options.server).call('meta');
    return new Promise<string>((resolveKey, reject) => {
      const keepRecoveryKey = async (recoveryKey: string) => {
        const pending: PendingSignup = {
          server: options.server,
          email: options.email,
          deviceName: options.deviceName,
          recoveryKey,
          at: Date.now(),
        };
        await this.options.vault.setMeta(PENDING_SIGNUP_META_KEY, pending as unknown as MetaValue);
        await new Promise<void>((confirmed) => {
          this.confirmRecoveryKey = confirmed;
          resolveKey(recoveryKey);
        });
      };
      this.signupDone = (async () => {
        const { pin: _pin, recoveryKey, ...account } = options;
        await signup(this.keychain, {
          ...account,
          ...(recoveryKey ? { recoveryKey } : {}),
          keepRecoveryKey,
        });
        await this.options.vault.setMeta(PENDING_SIGNUP_META_KEY, undefined);
        if (options.pin) await setPin(this.keychain, options.pin);
        await syncRound(this.keychain);
        await this.refreshEscrow();
        this.publish();
        this.startFollowing();
      })();
      this.signupDone.catch(reject);
    });
  }

  async finishSignUp(): Promise<void> {
    this.confirmRecoveryKey?.();
    await this.signupDone;
  }

  async signIn(options: SignInRequest): Promise<void> {
    const result = await login(this.keychain, options);
    this.verificationCode = result.verificationCode;
    this.publish();
    this.startFollowing();
  }

  /**
   * The PIN as the verified circle names it; a legacy PIN's attempts from the server's escrow, a
   * realm PIN's from the last answer the realms gave (they answer nothing else).
   */
  async refreshEscrow(answered?: { attemptsLeft: number; destroyed: boolean }): Promise<void> {
    const meta = await this.keychain.serverMeta().catch(() => null);
    if (meta) this.announcedRealms = meta.escrowRealms?.urls ?? [];
    const circle = await this.keychain.refreshCircle();
    const protection = pinProtection(circle, this.keychain.requireState().server).summary;
    if (circle.escrowPub && !circle.escrowRealms) {
      const status = await this.keychain.client().call('escrowStatus');
      this.escrow = { ...status, protection };
    } else {
      const last = answered ?? (this.escrow?.protection === protection ? this.escrow : null);
      this.escrow = {
        enabled: circle.escrowPub !== null && !last?.destroyed,
        attemptsLeft: last?.attemptsLeft ?? null,
        destroyed: last?.destroyed ?? false,
        protection,
      };
    }
    await this.remember();
    this.publish();
  }

  /**
   * Keeps the last devices and PIN state the server reported in the vault's local meta, so a reload
   * while the server is away still shows them (marked as last known), not an empty list.
   */
  private async remember(): Promise<void> {
    const seen: LastKnown = { devices: this.devices, escrow: this.escrow, at: Date.now() };
    await this.options.vault
      .setMeta(LAST_KNOWN_META_KEY, seen as unknown as MetaValue)
      .catch(() => undefined);
  }

  private recall(): void {
    const seen = this.options.vault.getMeta(LAST_KNOWN_META_KEY) as unknown as LastKnown | undefined;
    if (!seen) return;
    if (this.devices.length === 0) this.devices = seen.devices ?? [];
    this.escrow ??= seen.escrow ?? null;
  }

  /**
   * The absolute URLs of the escrow realms a PIN flow will contact, as of the last `refreshEscrow`:
   * to restore, the realms the circle pins; to set a PIN, those the server announces and those of
   * the PIN it replaces (its records there are deleted). The extension asks the browser for exactly
   * these hosts, synchronously from the click (it may only ask during a user gesture).
   */
  escrowRealmUrls(purpose: 'restore' | 'set-pin'): string[] {
    const state = this.keychain.state;
    if (!state) return [];
    const pinned = state.circle?.escrowRealms?.realms.map((r) => r.url) ?? [];
    const urls = purpose === 'restore' ? pinned : [...this.announcedRealms, ...pinned];
    return [...new Set(urls.map((url) => realmUrl(url, state.server)))];
  }

  /**
   * Signs in and joins by itself with the recovery key or the PIN at once, as the CLI's `keychain
   * recover --server ...`: no approval run (no code, no share on the relay), and the join's wraps
   * come with the sign-in's answer from a server that folds them (PROTOCOL §5 "Sign-in answers
   * folded"), instead of a request of their own after it. A failed sign-in throws (its form shows
   * it); a failed join leaves the device signed in and waiting, its join screen open on that way
   * with the error (`restoreFailed`), to try again or choose another way without signing in again.
   */
  async restore(options: SignInRequest, way: RestoreWay): Promise<void> {
    // A mistyped recovery key is told before anything is sent, and no device is registered for it.
    if (way.by === 'recovery-key') parseRecoveryKey(way.recoveryKey);
    this.restoreFailed = null;
    await this.exclusive(async () => {
      await signInToRecover(this.keychain, { ...options, joinBy: way.by });
      try {
        if (way.by === 'pin') await this.pinJoin(way.pin);
        else await recoverWithRecoveryKey(this.keychain, way.recoveryKey);
      } catch (err) {
        this.restoreFailed = { way: way.by, message: forScreen(err) };
      }
    });
    this.publish();
  }

  async joinWithPin(pin: string): Promise<void> {
    this.restoreFailed = null;
    await this.exclusive(() => this.pinJoin(pin));
    this.verificationCode = null;
  }

  /** Joins by PIN; a wrong one updates the attempts shown (a realm PIN's are known only now). */
  private async pinJoin(pin: string): Promise<void> {
    try {
      await recoverWithPin(this.keychain, pin);
    } catch (err) {
      const code = err instanceof KeychainError ? err.code : null;
      const answered =
        code === 'wrong-pin' || code === 'escrow-destroyed'
          ? {
              attemptsLeft:
                code === 'wrong-pin' ? Number((err as KeychainError).details.attemptsLeft ?? 0) : 0,
              destroyed: code === 'escrow-destroyed',
            }
          : undefined;
      await this.refreshEscrow(answered).catch(() => undefined);
      throw err;
    }
  }

  async joinWithRecoveryKey(recoveryKey: string): Promise<void> {
    this.restoreFailed = null;
    await this.exclusive(() => recoverWithRecoveryKey(this.keychain, recoveryKey));
    this.verificationCode = null;
  }

  /** Creates a passkey for restore (WebAuthn with PRF) and anchors it in the circle (PROTOCOL §8). */
  async addRestorePasskey(): Promise<void> {
    const { createRestorePasskey } = await import('../platform/passkey.js');
    const state = this.keychain.requireTrusted();
    const secret = await createRestorePasskey({ prfInput: PASSKEY_PRF_INPUT, userName: state.email });
    await this.exclusive(() =>
      addPasskey(this.keychain, { ...secret, name: `Passkey added on ${state.deviceName}` }),
    );
    this.publish();
  }

  async removeRestorePasskey(id: string): Promise<void> {
    const credentialId = this.keychain.state?.circle?.passkeys?.[id]?.credentialId;
    await this.exclusive(() => removePasskey(this.keychain, id));
    if (credentialId) await this.forgetPasskeys([credentialId]);
    this.publish();
  }

  /** A pending device restores with one of the passkeys the keychain names. */
  async joinWithPasskey(): Promise<void> {
    const { getRestorePasskey } = await import('../platform/passkey.js');
    await this.exclusive(async () => {
      const circle = await this.keychain.refreshCircle();
      const credentialIds = Object.values(circle.passkeys ?? {}).map((p) => fromB64u(p.credentialId));
      if (credentialIds.length === 0)
        throw new KeychainError(
          'recovery-key-invalid',
          'No passkey is registered for restore in this keychain.',
        );
      await recoverWithPasskey(
        this.keychain,
        await getRestorePasskey({ prfInput: PASSKEY_PRF_INPUT, credentialIds }),
      );
    });
    this.verificationCode = null;
  }

  /** Tells the passkey provider about passkeys the keychain dropped, so it can delete them. */
  private async forgetPasskeys(credentialIds: string[]): Promise<void> {
    const { forgetRestorePasskey } = await import('../platform/passkey.js');
    for (const id of credentialIds) await forgetRestorePasskey(fromB64u(id));
  }

  /**
   * Seals the entry's codes of the next `minutes` (at the server's time) and uploads them; the key
   * stays in the returned link's fragment.
   */
  async shareCodes(entry: OtpEntry, minutes: number): Promise<string> {
    const { postShare, shareLink } = await import('@tessera/vault/share');
    const share = await postShare(this.keychain, { entry, minutes });
    // The link opens share.html where this app is served (the keychain server may serve no pages).
    return shareLink(location.origin, share);
  }

  /**
   * Approves the pending device whose screen shows `code` (the CPace run of docs/PROTOCOL.md §1.3,
   * while that device waits); resolves to its name.
   */
  async approve(code: string, deviceId?: string): Promise<string> {
    const device = await this.exclusive(() => approve(this.keychain, { code, deviceId }));
    await this.refreshDevices();
    return device.name;
  }

  /**
   * Starts a key rotation that replaces the recovery key: removing a device (`pin` keeps the PIN
   * under a new escrow key; null turns it off) or replacing the recovery key alone. Resolves with the
   * new recovery key as soon as it exists; nothing is sent until `finishRotation` confirms the user
   * wrote it down, and `cancelRotation` aborts with nothing changed.
   */
  startRotation(what: { removeDeviceId: string; pin: string | null } | 'recovery-key'): Promise<string> {
    return new Promise<string>((resolveKey, reject) => {
      const keepRecoveryKey = (recoveryKey: string) =>
        new Promise<void>((confirmed, cancelled) => {
          this.rotationDecision = { confirmed, cancelled };
          resolveKey(recoveryKey);
        });
      this.rotationDone = this.exclusive(async () => {
        if (what === 'recovery-key') await rotateRecoveryKey(this.keychain, { keepRecoveryKey });
        else
          await removeDevice(this.keychain, what.removeDeviceId, {
            keepRecoveryKey,
            ...(what.pin !== null ? { pin: what.pin } : {}),
          });
      });
      this.rotationDone.catch(reject);
    });
  }

  /** The user wrote the new recovery key down: the rotation goes ahead. */
  async finishRotation(): Promise<void> {
    const before = Object.values(this.keychain.state?.circle?.passkeys ?? {}).map((p) => p.credentialId);
    this.rotationDecision?.confirmed();
    this.rotationDecision = null;
    await this.rotationDone;
    const after = new Set(
      Object.values(this.keychain.state?.circle?.passkeys ?? {}).map((p) => p.credentialId),
    );
    await this.forgetPasskeys(before.filter((id) => !after.has(id)));
    await this.refreshEscrow().catch(() => undefined);
    await this.refreshDevices();
  }

  /** Stops a rotation before anything was sent. */
  async cancelRotation(): Promise<void> {
    this.rotationDecision?.cancelled(new Error('Cancelled; nothing was changed.'));
    this.rotationDecision = null;
    await this.rotationDone?.catch(() => undefined);
  }

  /** Changes the account password (§10.4): every other session ends, pending devices are evicted. */
  async changePassword(current: string, next: string): Promise<void> {
    await this.exclusive(() => changePassword(this.keychain, { current, next }));
    await this.refreshDevices();
  }

  /** The kill switch after a theft (§10.2): every session ends, this one too; pending devices go. */
  async lockAccount(): Promise<void> {
    await this.exclusive(async () => {
      await lockAccount(this.keychain);
      this.sessionEnded = true;
    });
  }

  /** A trusted device whose session ended signs in again with the password (§10.2). */
  async signInAgain(password: string): Promise<void> {
    await this.exclusive(async () => {
      await signInAgain(this.keychain, { password });
      this.sessionEnded = false;
      this.transientError = null;
    });
    await this.refreshDevices();
  }

  /** Evicts a pending device (a join request that is not the user's); resolves to its name. */
  async evict(deviceId: string): Promise<string> {
    const name = await this.exclusive(() => evictPendingDevice(this.keychain, { deviceId }));
    await this.refreshDevices();
    return name;
  }

  /** Renames a trusted device (a signed circle link); resolves to its old name. */
  async rename(deviceId: string, name: string): Promise<string> {
    const old = await this.exclusive(() => renameDevice(this.keychain, { deviceId, name }));
    await this.refreshDevices();
    return old;
  }

  async dismissNotice(id: number): Promise<void> {
    await dismissNotice(this.keychain, id);
    this.publish();
  }

  async setPin(pin: string): Promise<void> {
    await this.exclusive(() => setPin(this.keychain, pin));
    await this.refreshEscrow();
  }

  /** Runs a round now and resolves when it is done (or failed). */
  async syncNow(): Promise<void> {
    const done = new Promise<void>((resolve) => this.roundWaiters.push(resolve));
    await this.restart();
    await done;
    if (this.transientError) throw new Error(this.transientError);
    if (this.unreachableSince !== null) {
      const waiting = keychainStatus(this.keychain).pendingChanges;
      throw new Error(
        `The keychain server does not answer. ${waiting} change${waiting === 1 ? ' is' : 's are'} kept on this device and will be backed up when it answers.`,
      );
    }
  }

  /** The browser is back online: reconnect the feed now (its first act is a round) rather than after the backoff. */
  reconnect(): void {
    void this.restart().catch(() => undefined);
  }

  /**
   * Pushes a local edit: at once, unless a push went out less than PUSH_BURST_MS ago, in which case
   * this edit and any others until the window ends go out together when it does. The round is asked
   * of the running follow loop, so the feed stays open (reopening it cost a connection and a
   * round trip before the push); only with no loop running is the loop started. Public for edits
   * this session did not see made (the extension's background writes to the shared vault).
   */
  pushSoon(): void {
    if (this.pushTimer !== undefined) return;
    const push = () => {
      this.pushTimer = undefined;
      this.lastPush = Date.now();
      if (this.requestRound) this.requestRound();
      else void this.restart().catch(() => undefined);
    };
    const wait = this.lastPush + PUSH_BURST_MS - Date.now();
    if (wait <= 0) push();
    else this.pushTimer = setTimeout(push, wait);
  }

  async signOut(): Promise<void> {
    this.stopped = true;
    await this.exclusive(async () => undefined);
    if (this.keychain.state) {
      await this.keychain
        .client()
        .call('logout')
        .catch(() => undefined);
      // Dropped from the keychain object first: a flow still running outside the queue (the PIN
      // state's refresh after a reload) then cannot write it back once its answer comes.
      await this.keychain.forget();
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    this.abort?.abort();
    this.unsubscribe();
  }

  /** Restarts the follow loop, whose first act on connecting is a round. */
  private restart(): Promise<void> {
    return this.exclusive(async () => undefined);
  }

  /**
   * Runs `work` with the follow loop stopped, then starts it again. Every flow changes the keychain
   * state the loop's rounds also change, so they never overlap; the queue keeps restarts in order.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.requestRound = null;
      this.abort?.abort();
      await this.following;
      this.following = null;
      try {
        return await work();
      } finally {
        this.startFollowing();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private startFollowing(): void {
    if (this.stopped || this.following || !this.keychain.state || this.keychain.state.status === 'removed')
      return;
    const abort = (this.abort = new AbortController());
    this.syncing = true;
    this.publish();
    let requestRound: (() => void) | null = null;
    // Not before this session's turn (`followTurn`): the loop stands as started meanwhile, so a flow
    // or a push waits for the turn too (`exclusive` awaits it), and one that stops it ends it unstarted.
    const turn = this.options.followTurn?.();
    const run = () =>
      follow(this.keychain, {
        signal: abort.signal,
        bindRound: (request) => {
          requestRound = this.requestRound = request;
        },
        afterRound: async () => {
          if (this.keychain.state?.status === 'trusted') await this.afterRound?.();
        },
        onConnected: () => {
          this.syncing = true;
          this.unreachableSince = null;
          this.publish();
        },
        onRound: (result) => {
          this.syncing = false;
          this.transientError = null;
          this.unreachableSince = null;
          if (result.trusted && this.verificationCode) {
            this.verificationCode = null;
            this.options.toast('This device is approved. Your codes are here.');
          }
          if (result.pulled > 0) this.options.vault.refresh().catch(() => undefined);
          void this.refreshDevices();
          this.roundDone();
        },
        onError: (err) => {
          this.syncing = false;
          const unreachable = err instanceof KeychainError && err.code === 'offline';
          if (unreachable) this.unreachableSince ??= Date.now();
          this.transientError = unreachable ? null : forScreen(err);
          this.publish();
          this.roundDone();
        },
      });
    this.following = (turn ? turn.then(run) : run()).catch((err: Error) => {
      // A fatal error ended the loop: a push must start a new one, not ask this one.
      if (this.requestRound === requestRound) this.requestRound = null;
      this.syncing = false;
      this.sessionEnded = err instanceof KeychainError && err.code === 'not-signed-in';
      this.joinFailed = !(err instanceof KeychainError)
        ? null
        : err.code === 'code-mismatch'
          ? forScreen(err)
          : err.code === 'join-removed'
            ? 'This request to join was removed by one of your trusted devices. If this device is yours, sign in again.'
            : null;
      this.updateRequired = err instanceof KeychainError && err.code === 'update-required';
      this.transientError = this.sessionEnded
        ? 'This device is no longer signed in to the keychain.'
        : forScreen(err);
      this.publish();
      this.roundDone();
    });
  }

  private roundDone(): void {
    const waiters = this.roundWaiters;
    this.roundWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * The devices to list: the members of the circle the last round verified, plus the join requests
   * the server reports. Read-only on purpose (the library's listDevices refreshes and saves the
   * circle, which must not run beside a round of the follow loop).
   */
  private async refreshDevices(): Promise<void> {
    const state = this.keychain.state;
    const circle = state?.circle;
    if (state?.status !== 'trusted' || !circle) return this.publish();
    try {
      const { devices } = await this.keychain.client().call('devices');
      this.devices = screenDevices(deviceList(circle, devices, state.deviceId), Date.now());
      await this.remember();
    } catch {
      // Offline or the server is away; the list shown stays the last one.
    }
    this.publish();
  }

  /** Copies the keychain state into the app store for the screens. */
  private publish(): void {
    const state = this.keychain.state;
    if (!state) {
      this.options.store.set({ keychain: null });
      return;
    }
    const newest = state.notices.reduce((max, n) => Math.max(max, n.id), 0);
    // A device is not told about its own join request: the screen it shows already says so.
    const fresh = state.notices.filter(
      (n) => n.id > this.toastedNotice && (n.data as { deviceId?: unknown }).deviceId !== state.deviceId,
    );
    if (fresh.length > 0) this.options.toast(noticeText(fresh[fresh.length - 1]!));
    this.toastedNotice = newest;
    const status = keychainStatus(this.keychain);
    const view: KeychainView = {
      status: state.status,
      server: state.server,
      email: state.email,
      deviceId: state.deviceId,
      verificationCode: state.status === 'pending' ? this.verificationCode : null,
      escrow: this.escrow,
      devices: this.devices,
      notices: state.notices.map((n) => ({
        id: String(n.id),
        kind: n.kind,
        detail: noticeText(n),
        createdAt: n.createdAt,
        done: noticeDone(n, state),
      })),
      lastSyncAt: state.lastSyncAt,
      pendingChanges: status.pendingChanges,
      syncing: this.syncing,
      syncError: this.transientError ?? state.lastError,
      sessionEnded: this.sessionEnded,
      unreachableSince: this.unreachableSince,
      joinFailed: state.status === 'pending' ? this.joinFailed : null,
      restoreFailed: state.status === 'pending' ? this.restoreFailed : null,
      updateRequired: this.updateRequired,
      passkeys: Object.values(state.circle?.passkeys ?? {}).map((p) => ({
        id: p.id,
        name: p.name,
        addedAt: p.addedAt,
      })),
    };
    this.options.store.set({ keychain: view, keychainOn: true });
  }
}
