/**
 * The keychain client of one device: state, HTTP client and device keys together, plus the checks
 * every flow shares (the verified circle, the vault key of each epoch). Flows live in their own
 * modules (signup, join, approve, recover, pin, remove-device, sync, verify-backup).
 */
import { ESCROW_RECIPIENT, PASSKEY_RECIPIENT_PREFIX, RECOVERY_RECIPIENT, type Wrap } from '@tessera/protocol';
import { measureServerClock, SERVER_CLOCK_META_KEY } from '../clock-skew.js';
import type { MetaValue } from '../types.js';
import { b64u, constantTimeEqual, fromB64u } from './bytes.js';
import {
  applyLinks,
  trustedDevices,
  type CircleDevice,
  type CircleLink,
  type CircleState,
} from './circle.js';
import { KeychainClient } from './client.js';
import type { DeviceKeys } from './device-keys.js';
import type { DeviceKeyStore } from './device-key-store.js';
import { KeychainError } from './errors.js';
import { circleKey } from './keys.js';
import { KEYCHAIN_META_KEY, loadState, type KeychainHost, type KeychainState } from './state.js';
import { unwrapVaultKey, wrapVaultKey } from './wrap.js';

export interface KeychainOptions {
  host: KeychainHost;
  deviceKeys: DeviceKeyStore;
  /** `Tessera-Client` value, e.g. `tessera-cli/0.2.0`. */
  clientId: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  /** Per-request timeout of its HTTP clients (ms); theirs by default. */
  timeoutMs?: number;
}

export class Keychain {
  readonly host: KeychainHost;
  readonly deviceKeyStore: DeviceKeyStore;
  readonly clientId: string;
  readonly now: () => number;
  private readonly fetchImpl: typeof globalThis.fetch | undefined;
  private readonly timeoutMs: number | undefined;
  private stateValue: KeychainState | null;
  private savedJson: string | null = null;
  /** The state held is one the vault held (loaded from it, or written to it): see `refuseIfSignedOut`. */
  private fromVault = false;
  private pendingMeta: Record<string, MetaValue> = {};
  private clientValue: KeychainClient | null = null;
  private clientSession: string | null = null;
  private keysValue: DeviceKeys | null = null;
  /** When this object last verified the server's whole circle up to the head it named (memory only). */
  private circleVerifiedAt: number | null = null;
  /** Circle refreshes and a round's reload, one at a time (see `refreshCircle`, `reloadInTurn`). */
  private turn: Promise<unknown> = Promise.resolve();
  /** The state writes in progress (see `reloadInTurn`). */
  private writes: Promise<unknown> = Promise.resolve();
  /** The vault key last decoded from the state's base64url text (see `vaultKeyFor`). */
  private readonly decodedKeys = new Map<string, Uint8Array>();

  constructor(options: KeychainOptions) {
    this.host = options.host;
    this.deviceKeyStore = options.deviceKeys;
    this.clientId = options.clientId;
    this.now = options.now ?? (() => Date.now());
    this.fetchImpl = options.fetch;
    this.timeoutMs = options.timeoutMs;
    this.stateValue = loadState(this.host);
    this.savedJson = JSON.stringify(this.stateValue);
    this.fromVault = this.stateValue !== null;
  }

  /** The saved state, or null when this device never signed in. */
  get state(): KeychainState | null {
    return this.stateValue;
  }

  /** The state of a signed-in device; throws `not-signed-in` otherwise. */
  requireState(): KeychainState {
    if (!this.stateValue) {
      throw new KeychainError(
        'not-signed-in',
        'This device is not signed in to a keychain; run `tessera keychain signup` or `tessera keychain login`.',
      );
    }
    return this.stateValue;
  }

  /** The state of a trusted device; throws with the reason otherwise. */
  requireTrusted(): KeychainState {
    const state = this.requireState();
    if (state.status === 'removed') {
      throw new KeychainError(
        'not-trusted',
        'This device was removed from the keychain; sign in again with `tessera keychain login`.',
      );
    }
    if (state.status !== 'trusted') {
      throw new KeychainError(
        'not-trusted',
        'This device is waiting for approval: run `tessera keychain approve --code CODE` on a trusted device, or `tessera keychain recover`.',
      );
    }
    return state;
  }

  /**
   * `reload` once the circle refreshes asked for before it are done, and before those asked for
   * after it (a sync round's first step). A refresh adopts its circle into the state object it
   * started with and, on a new epoch, then asks for that epoch's vault key: a reload in between put
   * the vault's state, still on the old circle, in its place, and the key, checked against that
   * circle, read as forged (the web app refreshes its PIN state beside the follow loop's rounds).
   */
  reloadInTurn(): Promise<void> {
    return this.inTurn(async () => {
      // Nor before a write already under way (a notice dismissed as the round starts): the vault
      // holds it only once written, and a reload before then would take the state from before it.
      for (let writes = this.writes; ; writes = this.writes) {
        await writes;
        if (writes === this.writes) break;
      }
      this.reload();
    });
  }

  /** Re-reads the state from the vault (another process may have changed it). */
  reload(): void {
    this.circleVerifiedAt = null;
    this.stateValue = loadState(this.host);
    this.savedJson = JSON.stringify(this.stateValue);
    this.fromVault = this.stateValue !== null;
    this.clientValue = null;
  }

  async setState(state: KeychainState): Promise<void> {
    this.setStateUnsaved(state);
    await this.save();
  }

  /**
   * `setState` without the write: the recovery path's sign-in, whose state is written once, by the
   * join that follows (or by `keepSignIn` when that join fails), not once before it as well (issue 14).
   */
  setStateUnsaved(state: KeychainState): void {
    this.circleVerifiedAt = null;
    this.stateValue = state;
    this.fromVault = false;
    this.clientValue = null;
  }

  /**
   * Signs this device out locally: the state is dropped from this object at once (a flow still
   * running saves nothing from then on), then deleted from the vault. The session is the caller's
   * to end first (`logout`).
   */
  async forget(): Promise<void> {
    this.dropState();
    await this.host.setMeta(KEYCHAIN_META_KEY, undefined);
  }

  private dropState(): void {
    this.stateValue = null;
    this.savedJson = JSON.stringify(null);
    this.fromVault = false;
    this.circleVerifiedAt = null;
    this.clientValue = null;
  }

  /**
   * Throws `not-signed-in` when the state this object holds was in the vault and the vault now holds
   * none: a sign-out (the web app's or the extension's, in this context or another) deleted it
   * meanwhile. A flow still running then (a circle answer that comes after, a round in another tab)
   * must not write it back: the device would come back signed in, its vault keys and ended session
   * saved again. The object then holds no state either, as the vault.
   */
  private refuseIfSignedOut(): void {
    if (!this.fromVault) return;
    // Asked on every save: `getMeta` would copy the whole state (the synced map of every item).
    const held = this.host.hasMeta
      ? this.host.hasMeta(KEYCHAIN_META_KEY)
      : this.host.getMeta(KEYCHAIN_META_KEY) !== undefined;
    if (held) return;
    this.dropState();
    throw new KeychainError(
      'not-signed-in',
      'This device was signed out of the keychain meanwhile; nothing was saved.',
    );
  }

  /** Saves the state when it changed since it was last loaded or saved (each save rewrites the vault file). */
  async save(): Promise<void> {
    if (!this.stateValue) return;
    this.refuseIfSignedOut();
    const json = JSON.stringify(this.stateValue);
    if (json === this.savedJson && Object.keys(this.pendingMeta).length === 0) return;
    const patch = this.stateForMeta();
    const write = this.host.updateMeta
      ? this.host.updateMeta(patch)
      : (async () => {
          for (const [key, value] of Object.entries(patch)) await this.host.setMeta(key, value);
        })();
    const writes = Promise.all([this.writes, write]).catch(() => undefined);
    this.writes = writes;
    await write;
    this.savedJson = json;
    this.fromVault = true;
  }

  /** The meta the vault should hold now: the state and values waiting for the next write. */
  stateForMeta(): Record<string, MetaValue> {
    this.refuseIfSignedOut();
    this.savedJson = JSON.stringify(this.stateValue);
    const patch = { ...this.pendingMeta, [KEYCHAIN_META_KEY]: this.stateValue as unknown as MetaValue };
    this.pendingMeta = {};
    return patch;
  }

  /** An HTTP client for `server` (defaults to the signed-in server and session). */
  client(server?: string): KeychainClient {
    if (server !== undefined)
      return new KeychainClient({
        server,
        client: this.clientId,
        fetch: this.fetchImpl,
        timeoutMs: this.timeoutMs,
      });
    const state = this.requireState();
    // A new session (signing in again) needs a client that sends it; the cached one holds the old.
    if (this.clientValue && this.clientSession !== state.session) this.clientValue = null;
    this.clientSession = state.session;
    this.clientValue ??= new KeychainClient({
      server: state.server,
      client: this.clientId,
      session: state.session,
      fetch: this.fetchImpl,
      timeoutMs: this.timeoutMs,
    });
    return this.clientValue;
  }

  /** How this device reaches escrow realms: the same fetch as the keychain server. */
  realmTransport(): { fetch?: typeof globalThis.fetch } {
    return this.fetchImpl ? { fetch: this.fetchImpl } : {};
  }

  /** This device's keys (loaded once). */
  async deviceKeys(): Promise<DeviceKeys> {
    this.keysValue ??= await this.deviceKeyStore.load();
    if (!this.keysValue)
      throw new KeychainError('not-signed-in', 'This device has no keychain keys; sign in first.');
    return this.keysValue;
  }

  /**
   * Makes a new device identity (signup, or login of a device not yet in a keychain). A store that
   * keeps the keys in the vault meta has them written with the next state save: the sign-in's
   * `setState`, which names this device, so keys and state land in one write (issue 14).
   */
  async newDeviceKeys(): Promise<DeviceKeys> {
    if (this.deviceKeyStore.createInMeta) {
      const { keys, meta } = await this.deviceKeyStore.createInMeta();
      Object.assign(this.pendingMeta, meta);
      this.keysValue = keys;
    } else {
      this.keysValue = await this.deviceKeyStore.create();
    }
    return this.keysValue;
  }

  /** `GET /v1/meta`, recording the server clock offset in the vault meta for clock warnings. */
  async serverMeta(client: KeychainClient = this.client()) {
    const sentAt = this.now();
    const meta = await client.call('meta');
    const clock = measureServerClock({ serverTime: meta.time, sentAt, receivedAt: this.now() });
    // Written with the next state save (each write rewrites the vault file); before sign-in, that is
    // the save of the new state, so a sign-in does not spend a write of its own on it.
    this.pendingMeta[SERVER_CLOCK_META_KEY] = clock as unknown as MetaValue;
    return meta;
  }

  /** The circle entry of this device as it registers (public keys only). */
  async selfDevice(): Promise<CircleDevice> {
    const state = this.requireState();
    const keys = await this.deviceKeys();
    return {
      id: state.deviceId,
      name: state.deviceName,
      encPub: b64u(keys.encPub),
      signPub: b64u(keys.signPub),
    };
  }

  /** The newest epoch this device holds a vault key for, and that key. */
  currentVaultKey(): { epoch: number; vk: Uint8Array } {
    const state = this.requireTrusted();
    const epoch = state.circle?.epoch ?? 0;
    const vk = state.vaultKeys[String(epoch)];
    if (!vk)
      throw new KeychainError(
        'not-trusted',
        `This device has no vault key for key epoch ${epoch}; run \`tessera sync\`.`,
      );
    return { epoch, vk: fromB64u(vk) };
  }

  vaultKeyFor(epoch: number): Uint8Array | null {
    const vk = this.requireState().vaultKeys[String(epoch)];
    if (!vk) return null;
    // A pull asks once per item; decoding is keyed by the stored text, so a changed key is decoded anew.
    let bytes = this.decodedKeys.get(vk);
    if (!bytes) {
      bytes = fromB64u(vk);
      this.decodedKeys.clear();
      this.decodedKeys.set(vk, bytes);
    }
    return bytes.slice();
  }

  /**
   * Fetches and verifies circle links after the last verified head. Refuses a rolled-back or forged
   * circle; notices this device's removal; picks up the vault key of a new epoch.
   */
  refreshCircle(options: { save?: boolean } = {}): Promise<CircleState> {
    // One at a time: two refreshes at once would both ask for the links after the same head, and the
    // later answer, applied onto the circle the earlier one advanced, would read as a rollback (the
    // web app refreshes its PIN state while the follow loop's first round runs).
    return this.inTurn(() => this.fetchCircle(options));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async fetchCircle(options: { save?: boolean }): Promise<CircleState> {
    for (;;) {
      const state = this.requireState();
      const base = state.circle;
      const since = base ? base.head.seq : undefined;
      const res = await this.client().call('circle', { query: since === undefined ? {} : { since } });
      // Another flow adopted a circle while the request was out (a pending device's join, which
      // verifies the whole circle itself): the answer holds the links after a head this device has
      // moved past, and applied onto the newer circle it would read as a rollback. Ask again.
      if (this.state !== state || state.circle !== base) continue;
      state.circle = applyLinks(base, res.links as CircleLink[], res.head);
      this.noteCircleVerified();
      await this.adoptCircle(state.circle, options);
      return state.circle;
    }
  }

  /** Records that `state.circle` was just verified against the head the server named. */
  noteCircleVerified(): void {
    this.circleVerifiedAt = this.now();
  }

  /**
   * The state's circle when this object verified it against the server's head within `withinMs`
   * (a sign-in moments ago), else null. Only a starting point for a join: the server refuses a link
   * built on a circle that moved meanwhile (compare-and-swap on `prev`), and the join refreshes then.
   */
  recentCircle(withinMs: number): CircleState | null {
    const circle = this.state?.circle;
    if (!circle || this.circleVerifiedAt === null) return null;
    return this.now() - this.circleVerifiedAt <= withinMs ? circle : null;
  }

  /**
   * Brings status and vault keys in line with a verified circle, then saves; `save: false` leaves
   * the write to the caller's next one (a sync round's pull writes the vault anyway).
   */
  async adoptCircle(circle: CircleState, options: { save?: boolean } = {}): Promise<void> {
    const state = this.requireState();
    state.circle = circle;
    const member = circle.devices[state.deviceId];
    const keys = await this.deviceKeys();
    if (member && !constantTimeEqual(fromB64u(member.device.encPub), keys.encPub)) {
      throw new KeychainError(
        'circle-invalid',
        'The circle lists this device with keys that are not its own; the circle was refused.',
      );
    }
    if (member?.status === 'removed' && state.status !== 'removed') {
      state.status = 'removed';
      state.vaultKeys = {};
      state.lastError = 'This device was removed from the keychain.';
    }
    // The circle's name is the one every device shows (another device may have renamed this one).
    if (member) state.deviceName = member.device.name;
    if (member?.status === 'trusted' && state.status === 'trusted') await this.fetchMissingVaultKeys();
    if (options.save !== false) await this.save();
  }

  /**
   * Unwraps the vault keys wrapped to this device for epochs it lacks, refusing any key that does not
   * derive the circle key of its epoch (a server cannot slip in a key of its own).
   */
  async acceptOwnWraps(wraps: readonly { epoch: number; wrapped: string }[]): Promise<void> {
    const state = this.requireState();
    const keys = await this.deviceKeys();
    for (const wrap of wraps) {
      if (state.vaultKeys[String(wrap.epoch)]) continue;
      const vk = await unwrapVaultKey({
        accountId: state.accountId,
        recipientId: state.deviceId,
        epoch: wrap.epoch,
        wrapped: wrap.wrapped,
        recipient: keys,
      });
      this.checkVaultKeyMatchesCircle(vk, wrap.epoch);
      state.vaultKeys[String(wrap.epoch)] = b64u(vk);
    }
  }

  /** Unwraps vault keys of epochs this trusted device lacks (after another device rotated). */
  async fetchMissingVaultKeys(): Promise<void> {
    const state = this.requireState();
    const circle = state.circle!;
    if (state.vaultKeys[String(circle.epoch)]) return;
    const { wraps } = await this.client().call('keys', { query: { recipient: state.deviceId } });
    await this.acceptOwnWraps(wraps);
    if (!state.vaultKeys[String(circle.epoch)]) {
      throw new KeychainError(
        'not-trusted',
        `No vault key for key epoch ${circle.epoch} was wrapped to this device yet.`,
      );
    }
  }

  /**
   * A vault key is only accepted when it derives the circle key the verified circle names for its
   * epoch: this pins the circle (and every device in it) to the vault key itself.
   */
  checkVaultKeyMatchesCircle(vk: Uint8Array, epoch: number): void {
    const circle = this.requireState().circle;
    const expected = circle?.circlePubs[String(epoch)];
    if (!expected || b64u(circleKey(vk).publicKey) !== expected) {
      throw new KeychainError(
        'circle-invalid',
        `The vault key of epoch ${epoch} does not match the circle's signing key; the circle or the key was forged.`,
      );
    }
  }

  /**
   * The wrap of `vk` to one joining device. Only its own is posted: each other recipient already
   * holds the epoch's key, and wrapping to all of them costs an X25519 agreement each (issue 14).
   */
  wrapForDevice(device: CircleDevice, vk: Uint8Array, epoch: number): Wrap {
    const accountId = this.requireState().accountId;
    return {
      recipientId: device.id,
      epoch,
      wrapped: wrapVaultKey({
        accountId,
        recipientId: device.id,
        epoch,
        vk,
        recipientPub: fromB64u(device.encPub),
      }),
    };
  }

  /** Wraps of `vk` to every trusted device in `circle` and to the recovery key, escrow and passkeys. */
  wrapsForCircle(circle: CircleState, vk: Uint8Array, epoch: number, extra: CircleDevice[] = []): Wrap[] {
    const accountId = this.requireState().accountId;
    const recipients = [
      ...[...trustedDevices(circle), ...extra].map((d) => ({ id: d.id, pub: d.encPub })),
      { id: RECOVERY_RECIPIENT, pub: circle.recoveryPub },
      ...(circle.escrowPub ? [{ id: ESCROW_RECIPIENT, pub: circle.escrowPub }] : []),
      ...Object.values(circle.passkeys ?? {}).map((p) => ({
        id: PASSKEY_RECIPIENT_PREFIX + p.id,
        pub: p.encPub,
      })),
    ];
    return recipients.map((r) => ({
      recipientId: r.id,
      epoch,
      wrapped: wrapVaultKey({ accountId, recipientId: r.id, epoch, vk, recipientPub: fromB64u(r.pub) }),
    }));
  }
}
