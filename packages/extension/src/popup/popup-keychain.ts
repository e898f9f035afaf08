/// <reference types="chrome" />
import type { Vault } from '@tessera/vault';
import type {
  KeychainSession,
  KeychainState,
  RestoreWay,
  SignInRequest,
  SignUpRequest,
} from '../../../web/src/app/keychain.js';
import { PENDING_SIGNUP_META_KEY, type PendingSignup } from '../../../web/src/app/pending-signup.js';
import { Store } from '../../../web/src/app/store.js';
import type {
  ApproveActions,
  DeviceActions,
  JoinActions,
  PinActions,
} from '../../../web/src/screens/Keychain.js';
import type { StartActions } from '../../../web/src/screens/KeychainStart.js';
import { FOLLOW_LOCK } from '../sync-status.js';

/** What the popup shows about the keychain: the web app's keychain view, and the last notice. */
export interface PopupKeychainState extends KeychainState {
  toast: string | null;
}

/** A popup's keychain state before anything is known: not signed in. */
export function keychainStore(): Store<PopupKeychainState> {
  return new Store<PopupKeychainState>({ keychain: null, keychainOn: false, toast: null });
}

/**
 * The extension as a keychain device: the web app's keychain session (the same flows, the same
 * follow loop of the live feed) on the extension's vault. It runs in the popup while it is open;
 * the background reads the synced entries from the shared vault storage.
 */
export class PopupKeychain implements StartActions, JoinActions, ApproveActions, DeviceActions, PinActions {
  readonly store = keychainStore();
  private session: KeychainSession | null = null;
  private releaseFollowLock: (() => void) | null = null;
  /** Resolves once the popup holds FOLLOW_LOCK (see `holdFollowLock`). */
  private followLockHeld: Promise<void> | null = null;
  private stopWatching: (() => void) | null = null;

  constructor(private readonly vault: Vault) {}

  /**
   * Picks up a signed-in device (pending or trusted): shows its state at once, and follows its feed
   * once the background's round, if one is running, has ended (`holdFollowLock`).
   */
  async resume(): Promise<void> {
    if (this.vault.getMeta('keychain') === undefined) return;
    this.store.set({ keychainOn: true });
    void this.holdFollowLock();
    await (await this.open()).resume();
  }

  /**
   * Signs in; the device then waits for approval, the PIN or the recovery key (`JoinScreen`).
   * First, straight from the click, access to the server's origin alone.
   */
  async signIn(request: SignInRequest): Promise<void> {
    await requestServerAccess(request.server);
    await (await this.open()).signIn(request);
    this.store.set({ keychainOn: true });
  }

  /**
   * The sign-in form restores at once with the recovery key alone: it needs the server's origin only,
   * asked for from the same click as a sign-in's. A PIN's realms are known only once the sign-in has
   * read the circle, too late to ask for them from that click: the PIN is on the join screen.
   */
  readonly restoreWays = ['recovery-key'] as const;

  /**
   * Signs in and joins with the recovery key at once (the web app's `restore`: no approval run, the
   * wraps folded into the sign-in's answer). A mistyped key is told before anything is sent or
   * stored; a key the keychain does not take leaves the device signed in, on the join screen with
   * the error, as in the web app.
   */
  async restore(request: SignInRequest, way: RestoreWay): Promise<void> {
    if (way.by !== 'recovery-key')
      throw new Error('Sign in first, then use the keychain PIN on the next screen.');
    await requestServerAccess(request.server);
    await (await this.open()).restore(request, way);
    this.store.set({ keychainOn: true });
  }

  /**
   * Creates the account (access to the server's origin first, from the click); resolves with the
   * recovery key to show. Nothing is created until `finishSignUp`; a popup closed in between finds
   * the sign-up again (`pendingSignup`), as a reloaded web app does.
   */
  async signUp(request: SignUpRequest): Promise<string> {
    await requestServerAccess(request.server);
    return (await this.open()).signUp(request);
  }

  /** The recovery key was typed back: the keychain is made, every entry backed up, then followed. */
  async finishSignUp(): Promise<void> {
    await (await this.open()).finishSignUp();
    this.store.set({ keychainOn: true });
  }

  pendingSignup(): PendingSignup | null {
    return (this.vault.getMeta(PENDING_SIGNUP_META_KEY) as unknown as PendingSignup | undefined) ?? null;
  }

  /** Forgets an unfinished sign-up: its recovery key was never used and is void. */
  async abandonSignup(): Promise<void> {
    await this.vault.setMeta(PENDING_SIGNUP_META_KEY, undefined);
  }

  async refreshEscrow(): Promise<void> {
    await (await this.open()).refreshEscrow();
  }

  /** Restores with the PIN; first, from the click, access to the realms that hold it (and no others). */
  async joinWithPin(pin: string): Promise<void> {
    const session = await this.open();
    await requestRealmAccess(session.escrowRealmUrls('restore'));
    await session.joinWithPin(pin);
  }

  /** Approves the pending device whose screen shows `code`; resolves to its name. */
  async approve(code: string, deviceId?: string): Promise<string> {
    return (await this.open()).approve(code, deviceId);
  }

  async evict(deviceId: string): Promise<string> {
    return (await this.open()).evict(deviceId);
  }

  async renameDevice(deviceId: string, name: string): Promise<string> {
    return (await this.open()).rename(deviceId, name);
  }

  /**
   * Starts removing a device (resolves with the new recovery key to show). Keeping the PIN
   * registers it anew at the realms the server names: their origins are asked for first, from the click.
   */
  async startRemoval(id: string, pin: string | null): Promise<string> {
    const session = await this.open();
    if (pin !== null) await requestRealmAccess(session.escrowRealmUrls('set-pin'));
    return session.startRotation({ removeDeviceId: id, pin });
  }

  async finishRotation(): Promise<void> {
    await (await this.open()).finishRotation();
  }

  async cancelRotation(): Promise<void> {
    await (await this.open()).cancelRotation();
  }

  /** Sets or changes the PIN; first, from the click, access to the realms that will hold it. */
  async setPin(pin: string): Promise<void> {
    const session = await this.open();
    await requestRealmAccess(session.escrowRealmUrls('set-pin'));
    await session.setPin(pin);
  }

  /** The recovery key sheet's QR code (the web app's drawing). */
  async qrImage(text: string): Promise<string> {
    const { qrPngDataUrl } = await import('../../../web/src/platform/formats.js');
    return qrPngDataUrl(text, 6);
  }

  async joinWithRecoveryKey(recoveryKey: string): Promise<void> {
    await (await this.open()).joinWithRecoveryKey(recoveryKey);
  }

  async signOut(): Promise<void> {
    await (await this.open()).signOut();
    this.stop();
    this.store.set({ keychain: null, keychainOn: false });
  }

  /** The popup closes (or Tessera locks): the follow loop stops; the device stays signed in. */
  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    this.session?.stop();
    this.session = null;
    this.releaseFollowLock?.();
    this.releaseFollowLock = null;
    this.followLockHeld = null;
  }

  /**
   * While the popup follows the feed, the background's periodic round stands aside
   * (background-sync.ts). The browser releases the lock when the popup closes, whatever happens.
   * Resolves once the lock is held: a popup opened during a background round (which holds the lock
   * for its round) follows only after it, never beside it, since both write the whole keychain state
   * to the same storage; its first round then re-reads the state the background left
   * (`Keychain.reloadInTurn`). The session asks for it before it follows (`followTurn`).
   */
  private holdFollowLock(): Promise<void> {
    if (this.followLockHeld) return this.followLockHeld;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.releaseFollowLock = release;
    this.followLockHeld = new Promise<void>((granted) => {
      void navigator.locks.request(FOLLOW_LOCK, () => {
        granted();
        return held;
      });
    });
    return this.followLockHeld;
  }

  /**
   * The background edits the vault too (a first fill binds the entry to the site), but only the
   * open popup's session pushes, and it pushes on its own edits: an edit it reads back from the
   * shared storage that is not on the server yet is pushed now, not at the next round. (Registered
   * after the session's own listener, which has already counted the changes waiting.)
   */
  private pushEditsOfOtherContexts(): () => void {
    return this.vault.onChange((change) => {
      const waiting = this.store.get().keychain?.pendingChanges ?? 0;
      if (change.kind === 'records' && change.source === 'remote' && waiting > 0) this.session?.pushSoon();
    });
  }

  /** The session comes in a lazy chunk (OPAQUE, Argon2id): a local-only popup never loads it. */
  private async open(): Promise<KeychainSession> {
    if (!this.session) {
      const { KeychainSession } = await import('../../../web/src/app/keychain.js');
      this.session = new KeychainSession({
        vault: this.vault,
        store: this.store,
        toast: (message) => this.store.set({ toast: message }),
        clientId: `tessera-extension/${__APP_VERSION__}`,
        followTurn: () => this.holdFollowLock(),
      });
      this.stopWatching = this.pushEditsOfOtherContexts();
    }
    return this.session;
  }
}

/**
 * Asks the browser for access to the keychain server's origin, and nothing else (an optional host
 * permission, README "Permissions"). Call it straight from the click: the browser grants optional
 * permissions only during a user gesture.
 */
export async function requestServerAccess(origin: string): Promise<void> {
  const granted = await chrome.permissions.request({ origins: [`${origin}/*`] });
  if (!granted)
    throw new Error(
      `Tessera needs your permission to reach ${origin}, the keychain server; nothing was sent to it.`,
    );
}

/**
 * Asks the browser for access to the escrow realms a PIN flow contacts (the keychain's own
 * `/realm` is on the server's origin, granted already). Like `requestServerAccess`, call it first
 * thing from the click.
 */
export async function requestRealmAccess(urls: string[]): Promise<void> {
  const origins = [...new Set(urls.map((url) => new URL(url).origin))];
  if (origins.length === 0) return;
  const granted = await chrome.permissions.request({ origins: origins.map((o) => `${o}/*`) });
  if (!granted)
    throw new Error(
      `Tessera needs your permission to reach the escrow realms that hold your keychain PIN (${origins.join(', ')}); nothing was sent to them.`,
    );
}
