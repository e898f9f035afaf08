import { generateCode, type OtpEntry } from '@tessera/otp';
import {
  measureServerClock,
  readVaultHeader,
  Vault,
  VaultError,
  entryLabel,
  type EntryPatch,
  type SortMode,
  type TrashedEntry,
  type VaultEntry,
  type VaultStorage,
} from '@tessera/vault';
import { Store } from './store.js';
import { db, eraseAll, saveSettings, type LocalSettings } from '../platform/db.js';
import {
  BrowserKeys,
  indexedDbStorage,
  newStorageKey,
  PASSKEY_KEY,
  vaultChannel,
  withFirstLoad,
} from '../platform/storage.js';
import { readStart, VAULT_OPEN_START, type StartRead } from '../platform/start-read.js';
import { copyText } from '../platform/clipboard.js';
import { setLockPassphrase, unlockWithPassphrase } from '../platform/app-lock.js';
import type { PasskeyLock } from '../platform/passkey.js';
import type { KeychainSession, RestoreWay, SignInRequest, SignUpRequest } from './keychain.js';
import { PENDING_SIGNUP_META_KEY, type PendingSignup } from './pending-signup.js';
import { keychainServer } from './server-url.js';
import { forScreen, pinWords, trashWords } from './words.js';
import { backupFileName, LocalBackups, type LocalBackupView } from './local-backups.js';
import type { FolderSession, FoldersView } from './folders.js';

/** A device of the keychain as the Backup screen lists it. */
export interface DeviceView {
  id: string;
  name: string;
  status: 'pending' | 'trusted' | 'removed';
  lastSeenAt: string | number | null;
  /** A join request older than its 10 minutes: it can no longer be approved, only removed. */
  expired?: boolean;
}

export interface NoticeView {
  id: string;
  kind: string;
  /** One line for people. */
  detail: string;
  createdAt: string | number;
  /** Why it no longer needs attention (acted on, overtaken, expired, dismissed); null while it does. */
  done: string | null;
}

/** What the screens show about the keychain; kept up to date by the keychain session. */
export interface KeychainView {
  status: 'pending' | 'trusted' | 'removed';
  server: string;
  email: string;
  deviceId: string;
  /** Shown on a pending device until another device approves it. */
  verificationCode: string | null;
  /**
   * The PIN as last checked: set or not, attempts left (null: not known until a guess is answered,
   * as realms answer only guesses), and what holds it ("2 of 3 realms: …").
   */
  escrow: {
    enabled: boolean;
    attemptsLeft: number | null;
    destroyed: boolean;
    protection: string | null;
  } | null;
  devices: DeviceView[];
  notices: NoticeView[];
  lastSyncAt: number | null;
  pendingChanges: number;
  syncing: boolean;
  syncError: string | null;
  /** The approval run ended with a wrong code (§1.3): this pending device must sign in again. */
  joinFailed: string | null;
  /** The join chosen on the sign-in form failed (a wrong PIN, say): the join screen opens on it. */
  restoreFailed: { way: 'recovery-key' | 'pin'; message: string } | null;
  /** Since when the keychain server has not answered (ms), or null while it answers. */
  unreachableSince: number | null;
  /** The server no longer accepts this device's session: it was removed, or signed out elsewhere. */
  sessionEnded: boolean;
  /** The server answered 426: this copy of the app is older than it accepts. */
  updateRequired: boolean;
  /** Passkeys registered for restore, as the verified circle names them. */
  passkeys: { id: string; name: string; addedAt: string }[];
}

export type Phase = 'loading' | 'first-run' | 'locked' | 'ready' | 'fatal';

export interface AppState {
  phase: Phase;
  fatal: string | null;
  /** Live entries in the synced manual order, pinned first (Codes sorts them as the user chose). */
  entries: VaultEntry[];
  /** This device's copies and reveals per entry id, for "Most used" (never synced). */
  uses: ReadonlyMap<string, number>;
  hotpCodes: ReadonlyMap<string, string>;
  copiedId: string | null;
  toast: string | null;
  /** The entry the toast offers to bring back ("Deleted X — Undo"), or null. */
  undo: { id: string; label: string } | null;
  /** Deleted entries still in the trash, the most recently deleted first. */
  trash: TrashedEntry[];
  settings: LocalSettings;
  lock: { passphrase: boolean; passkey: boolean };
  /** True once a keychain account is set up on this device (pending or trusted). */
  keychainOn: boolean;
  keychain: KeychainView | null;
  online: boolean;
  /** Server time minus device time, in ms, when it is large enough to matter; else null. */
  clockOffsetMs: number | null;
  /** Local backup files: folder, last backup, reminder (null until the vault is open). */
  localBackups: LocalBackupView | null;
  /** Shared folders, their entries and invites (null until a trusted keychain opened them). */
  folders: FoldersView | null;
}

/** The formats `@tessera/formats` exports to. */
export type ExportFormat = 'otpauth' | 'google-qr' | 'aegis' | 'html' | 'tessera' | 'cxf';

export type ImportOutcome =
  | { kind: 'done'; format: string; added: number; duplicates: number; skipped: string[] }
  | { kind: 'password-required' }
  | { kind: 'wrong-password' };

/**
 * Meta key where this app kept pins per device before pins synced with the entries; read once on
 * open, turned into `pinned` entry fields, then removed.
 */
const LEGACY_PINNED_META = 'web.pinned';
/** The clock check waits until the codes are up, then compares with the server. */
const CLOCK_CHECK_DELAY_MS = 1500;
/** A new offset is stored when it differs from the stored one by this much, or daily. */
const CLOCK_RECORD_DELTA_MS = 1000;
const DAY_MS = 86_400_000;
/** The app lock closes the vault when the app was in the background this long. */
const LOCK_AFTER_HIDDEN_MS = 5 * 60_000;
/** How long a "Deleted X — Undo" toast stays. */
const UNDO_MS = 10_000;
/** How long the "Copied" confirmation stays. */
const COPIED_MS = 1800;

/**
 * Runs `task` once the next frame is painted and the effects Preact runs after it (the
 * codes-visible mark among them) have run: two timer tasks queued from that frame's animation
 * callbacks, the second behind Preact's own (queued later in the same frame). After 100 ms with no
 * frame (a tab opened in the background paints nothing) it runs anyway.
 */
function afterPaint(task: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(fallback);
    cancelAnimationFrame(frame);
    setTimeout(() => setTimeout(task, 0), 0);
  };
  const fallback = setTimeout(run, 100);
  const frame = requestAnimationFrame(run);
}

/**
 * The app's one controller: owns the vault, the local settings and (lazily) the keychain session,
 * and exposes the actions the screens call. Screens read `store` and never touch the vault directly.
 */
export class App {
  readonly store = new Store<AppState>({
    phase: 'loading',
    fatal: null,
    entries: [],
    uses: new Map(),
    hotpCodes: new Map(),
    copiedId: null,
    toast: null,
    undo: null,
    trash: [],
    settings: {},
    lock: { passphrase: false, passkey: false },
    keychainOn: false,
    keychain: null,
    online: navigator.onLine,
    clockOffsetMs: null,
    localBackups: null,
    folders: null,
  });
  private readonly backups = new LocalBackups({
    vault: () => this.vaultRef,
    seal: async (password) => {
      const { exportEntries } = await import('../platform/formats.js');
      const { files } = await exportEntries({ entries: this.vault.entries(), format: 'tessera', password });
      return files[0]!.bytes;
    },
    publish: (localBackups) => this.store.set({ localBackups }),
  });
  private readonly keys = new BrowserKeys();
  private readonly storage = indexedDbStorage();
  private vaultRef: Vault | null = null;
  private keychainSession: KeychainSession | null = null;
  private folderSession: Promise<FolderSession> | null = null;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;

  /** The open vault; screens only call actions once the phase is `ready`. */
  get vault(): Vault {
    if (!this.vaultRef) throw new VaultError('locked', 'Tessera is locked.');
    return this.vaultRef;
  }

  /**
   * Opens storage and decides the first screen. `early` is the start read (settings, keys and the
   * vault file in one IndexedDB transaction), begun by main.tsx before the first render.
   */
  async start(early: Promise<StartRead> = readStart()): Promise<void> {
    window.addEventListener('online', () => this.setOnline(true));
    window.addEventListener('offline', () => this.setOnline(false));
    vaultChannel().onmessage = () => void this.vaultRef?.refresh().catch(() => undefined);
    document.addEventListener('visibilitychange', () => this.onVisibility());
    // Local backups keep their state in the vault, so they start whenever the codes come to show (an
    // open, an unlock) and, on a first run, once the user has chosen how to use Tessera (this device
    // only, a sign-up or a sign-in): never on the first-run screen, where nothing may be stored yet.
    // After the codes' paint and its mark: their IndexedDB read (the folder handle) and the state it
    // shows would otherwise land between that paint and the mark (a task of ~10 ms with 1,000 entries).
    let phase = this.store.get().phase;
    this.store.subscribe((state) => {
      if (state.phase === 'ready' && phase !== 'ready')
        afterPaint(() => void this.backups.start().catch(() => undefined));
      phase = state.phase;
    });
    // Shared folders start once this device is trusted (after a reload, a sign-up or an approval):
    // their sync then follows every round, and invites show in the navigation. Only for an account
    // that uses folders (FolderSession.syncIfUsed): the others publish no key and ask nothing.
    this.store.subscribe((state) => {
      if (state.phase === 'ready' && state.keychain?.status === 'trusted' && !this.folderSession)
        void this.folders()
          .then((f) => f.refreshIfUsed())
          .catch(() => undefined);
    });
    // Settings, the passkey flag, the vault file and the browser-held key came in one transaction;
    // the vault opens from those bytes (its later loads and saves go to IndexedDB as always).
    const { settings, passkey, vault, held } = await early;
    applyTheme(settings.theme);
    this.store.set({ settings, lock: { passphrase: false, passkey } });
    this.keys.offerHeldKey(held);
    try {
      await this.open(this.openVault(withFirstLoad(this.storage, vault)));
    } finally {
      this.keys.offerHeldKey(null);
    }
  }

  /** Opens the vault; the start's open is timed from its IndexedDB read (readStart marks the start). */
  private async openVault(storage: VaultStorage = this.storage): Promise<Vault> {
    if (storage === this.storage) performance.mark(VAULT_OPEN_START);
    const vault = await Vault.open({ storage, keys: this.keys, fileAead: VAULT_FILE_AEAD });
    performance.mark('tessera:vault-open-end');
    return vault;
  }

  private async open(opening: Promise<Vault> = this.openVault()): Promise<void> {
    try {
      this.vaultRef = await opening;
    } catch (err) {
      if (err instanceof VaultError && err.code === 'passphrase-required') {
        this.store.set({ phase: 'locked', lock: { ...this.store.get().lock, passphrase: true } });
        return;
      }
      throw err;
    }
    await this.opened();
  }

  private async opened(): Promise<void> {
    const vault = this.vault;
    vault.onChange((change) => {
      this.refreshEntries();
      // Folder keys and entries live in the vault's meta; a sync that changed them shows at once.
      if (change.kind === 'meta') void this.folderSession?.then((f) => f.publish());
      if (change.kind === 'records' && change.source === 'local') this.backups.changed();
    });
    const settings = this.store.get().settings;
    this.store.set({
      lock: { ...this.store.get().lock, passphrase: vault.custody === 'passphrase' },
    });
    this.refreshEntries();
    void this.migratePins().catch(() => undefined);
    // A vault file of an older layout (XChaCha20-Poly1305 in JavaScript) is rewritten in the AEAD
    // this browser opens natively, once, after the codes are painted.
    afterPaint(() => void vault.upgradeFile().catch(() => undefined));
    // What has been in the trash for TRASH_DAYS is wiped on the first open after (nothing to do: no write).
    void vault.purgeTrash().catch(() => undefined);
    const keychainOn = vault.getMeta('keychain') !== undefined;
    this.store.set({ phase: settings.mode || vault.generation > 0 ? 'ready' : 'first-run', keychainOn });
    // The keychain chunk (OPAQUE, Argon2id) loads after the codes are painted, never before.
    if (keychainOn) afterPaint(() => void this.startKeychain());
    else setTimeout(() => void this.measureClock(), CLOCK_CHECK_DELAY_MS);
  }

  /**
   * Compares this device's clock with the server that served the app (GET /v1/meta), so a wrong
   * clock, the usual reason for refused codes, is pointed out even without a keychain. Stored only
   * when the offset moved, so opening the app does not rewrite the vault each time.
   */
  private async measureClock(): Promise<void> {
    const vault = this.vaultRef;
    // Not during first run: that would store a vault before the user chose how to use Tessera.
    if (!vault || !navigator.onLine || this.store.get().phase !== 'ready') return;
    try {
      const sentAt = Date.now();
      const response = await fetch(`${keychainServer()}/v1/meta`, {
        headers: { 'Tessera-Client': `tessera-web/${__APP_VERSION__}` },
      });
      const receivedAt = Date.now();
      if (!response.ok) return;
      const { time } = (await response.json()) as { time?: unknown };
      if (typeof time !== 'number') return;
      const sample = { serverTime: time, sentAt, receivedAt };
      const known = vault.serverClock();
      if (
        known &&
        Math.abs(known.offsetMs - measureServerClock(sample).offsetMs) < CLOCK_RECORD_DELTA_MS &&
        receivedAt - known.measuredAt < DAY_MS
      )
        return;
      await vault.recordServerTime(sample);
    } catch {
      // No server answers (a static copy, or offline): nothing to compare with.
    }
  }

  /**
   * Unix ms that codes and countdowns are drawn for: the device clock, corrected by the measured
   * server offset when it is large enough to warn about (vault codeTime, as the CLI does).
   */
  codeNowMs(): number {
    const deviceNowMs = Date.now();
    return this.vaultRef ? this.vaultRef.codeTime({ deviceNowMs }) * 1000 : deviceNowMs;
  }

  private refreshEntries(): void {
    const vault = this.vaultRef;
    if (!vault) return;
    this.store.set({
      entries: vault.entries(),
      uses: vault.uses(),
      trash: vault.trash(),
      clockOffsetMs: vault.clockWarning() ? (vault.serverClock()?.offsetMs ?? null) : null,
    });
  }

  /** Pins this device kept before pins synced become pins of the entries (once). */
  private async migratePins(): Promise<void> {
    const vault = this.vault;
    const legacy = vault.getMeta(LEGACY_PINNED_META);
    if (legacy === undefined) return;
    for (const id of Array.isArray(legacy) ? legacy : [])
      if (typeof id === 'string' && vault.get(id) && !vault.get(id)!.pinned) await vault.setPinned(id, true);
    await vault.setMeta(LEGACY_PINNED_META, undefined);
  }

  /** With the app lock on, a tab left in the background this long locks itself. */
  private hiddenAt: number | null = null;

  private onVisibility(): void {
    if (document.visibilityState === 'hidden') {
      this.hiddenAt = Date.now();
      return;
    }
    const away = this.hiddenAt === null ? 0 : Date.now() - this.hiddenAt;
    this.hiddenAt = null;
    if (this.store.get().phase === 'ready' && this.store.get().lock.passphrase && away > LOCK_AFTER_HIDDEN_MS)
      this.lockNow();
    else void this.vaultRef?.refresh().catch(() => undefined);
  }

  private setOnline(online: boolean): void {
    this.store.set({ online });
    if (online) this.keychainSession?.reconnect();
  }

  /** Shows a short message in the polite live region. */
  toast(message: string, undo: AppState['undo'] = null): void {
    clearTimeout(this.toastTimer);
    this.store.set({ toast: message, undo });
    // An Undo needs time to be read and reached; a plain message need not linger.
    this.toastTimer = setTimeout(() => this.store.set({ toast: null, undo: null }), undo ? UNDO_MS : 2500);
  }

  // ---- codes ----

  /**
   * Tap or Enter on a row: copies the code (HOTP: makes the next code first). A code of a shared
   * folder also goes into that folder's activity log.
   */
  async activate(entry: VaultEntry, code: string | null, folder?: string): Promise<void> {
    try {
      if (entry.type === 'hotp' && code === null) {
        // A shared folder's counter is moved for every member, and saved on the server, before
        // the code shows (a viewer is refused: it cannot write the counter).
        code =
          folder === undefined
            ? await this.vault.nextHotp(entry.id)
            : await (await this.folders()).nextHotp(folder, entry.id);
        const hotpCodes = new Map(this.store.get().hotpCodes).set(entry.id, code);
        this.store.set({ hotpCodes });
      } else if (entry.type !== 'hotp') {
        // The code of this very moment: the row may have been drawn in the previous period.
        code = generateCode({ entry, time: Math.floor(this.codeNowMs() / 1000) });
      }
      await copyText(code!);
      clearTimeout(this.copiedTimer);
      this.store.set({ copiedId: entry.id });
      this.copiedTimer = setTimeout(() => this.store.set({ copiedId: null }), COPIED_MS);
      this.toast(`Copied the code for ${entry.issuer || entry.account || 'this account'}`);
      if (folder !== undefined) this.recordFolderActivity(folder, entry.id, 'code-copied');
      void this.recordUse(entry.id);
    } catch (err) {
      this.toast(forScreen(err));
    }
  }

  /** Counts a copy or reveal for "Most used" (this device only); a lost count is not worth an error. */
  async recordUse(id: string): Promise<void> {
    await this.vault.recordUse(id).catch(() => undefined);
  }

  /** The sort of the codes list on this device. */
  async setSort(sort: SortMode): Promise<void> {
    await this.saveSettings({ sort });
  }

  /**
   * Moves an entry in the synced manual order, just before or after another (`Vault.move`);
   * throws VaultError when they are not both pinned or both unpinned.
   */
  async moveEntry(id: string, target: { before: string } | { after: string }): Promise<void> {
    await this.vault.move({ id, ...target });
  }

  /** Copies any text (a link), telling the user with `message`. */
  async copyText(text: string, message: string): Promise<void> {
    try {
      await copyText(text);
      this.toast(message);
    } catch (err) {
      this.toast(forScreen(err));
    }
  }

  /**
   * A time-limited code link for one entry (docs/PROTOCOL.md §9), of this device or of the shared
   * `folder`; resolves to its URL.
   */
  async shareCodes(id: string, minutes: number, folder?: string): Promise<string> {
    const entry =
      folder === undefined
        ? this.vault.get(id)
        : this.store.get().folders?.entries[folder]?.find((e) => e.id === id);
    if (!entry) throw new Error('This entry is gone.');
    const link = await (await this.keychain()).shareCodes(entry, minutes);
    // A link shows the codes to whoever has it: the folder's owners see that in its activity log.
    if (folder !== undefined) this.recordFolderActivity(folder, id, 'code-revealed');
    return link;
  }

  /** Adds to this device's codes, or with `folder` to that shared folder. */
  async addEntries(
    entries: OtpEntry[],
    options: { deviceOnly: boolean; tags: string[]; folder?: string },
  ): Promise<{ added: number; duplicates: number }> {
    if (options.folder !== undefined) {
      const added = await (await this.folders()).add(options.folder, entries, options.tags);
      return { added, duplicates: 0 };
    }
    const { added, duplicates } = await this.vault.addMany(entries, options);
    await this.ensureMode();
    return { added: added.length, duplicates: duplicates.length };
  }

  async updateEntry(id: string, patch: EntryPatch): Promise<void> {
    await this.vault.update(id, patch);
  }

  async removeEntry(id: string): Promise<void> {
    const entry = this.vault.get(id);
    await this.vault.remove(id);
    const label = entry ? entryLabel(entry) : 'the entry';
    this.toast(trashWords.deleted(label), { id, label });
  }

  /** Brings an entry back from the trash (the toast's Undo, or the Trash page). */
  async restoreEntry(id: string): Promise<void> {
    const entry = await this.vault.restore(id);
    this.toast(trashWords.restored(entryLabel(entry)));
  }

  /** "Empty trash": wipes every deleted entry's content for good. */
  async emptyTrash(): Promise<void> {
    const wiped = await this.vault.purgeTrash({ all: true });
    this.toast(trashWords.emptied(wiped.length));
  }

  /** Pins or unpins an entry; the pin syncs with the entry, so the toast says where it applies. */
  async setPinned(id: string, pinned: boolean): Promise<void> {
    const entry = await this.vault.setPinned(id, pinned);
    const synced = this.store.get().keychainOn && !entry.deviceOnly;
    this.toast(pinWords(entryLabel(entry), pinned, synced));
  }

  // ---- shared folders ----

  /** The shared-folder flows; only a trusted keychain device has them. */
  folders(): Promise<FolderSession> {
    this.folderSession ??= (async () => {
      const session = await this.keychain();
      const { FolderSession } = await import('./folders.js');
      const host = session.folderHost(() => folders.syncIfUsed());
      const folders: FolderSession = new FolderSession({ ...host, store: this.store });
      folders.publish();
      return folders;
    })();
    // A failed start (no keychain yet) is tried again on the next call.
    this.folderSession.catch(() => (this.folderSession = null));
    return this.folderSession;
  }

  /** Fetches folders and invites and syncs every folder; a failure shows on the Folders page. */
  async refreshFolders(): Promise<void> {
    await (await this.folders()).refresh().catch(() => undefined);
  }

  /** "Code revealed" or "copied" for a folder entry: the folder's owners see it in its activity log. */
  recordFolderActivity(folder: string, entry: string, kind: 'code-revealed' | 'code-copied'): void {
    void this.folders().then(
      (f) => f.record(folder, entry, kind),
      () => undefined,
    );
  }

  // ---- files ----

  async importFiles(files: File[], password?: string): Promise<ImportOutcome> {
    const [{ listFormats, FormatError }, { importInWorker }] = await Promise.all([
      import('../platform/formats.js'),
      import('../platform/import-files.js'),
    ]);
    const sources = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    try {
      const result = await importInWorker({ sources, ...(password !== undefined ? { password } : {}) });
      const { added, duplicates } = await this.vault.addMany(result.entries);
      await this.ensureMode();
      return {
        kind: 'done',
        format: listFormats().find((f) => f.id === result.format)?.name ?? result.format,
        added: added.length,
        duplicates: duplicates.length,
        skipped: result.skipped.map(
          (s) =>
            `${[s.line !== undefined ? `line ${s.line}` : '', s.label].filter(Boolean).join(' ') || `entry ${s.index + 1}`}: ${s.reason}`,
        ),
      };
    } catch (err) {
      if (err instanceof FormatError && (err.code === 'password-required' || err.code === 'wrong-password')) {
        return { kind: err.code };
      }
      throw err;
    }
  }

  /** Exports every entry; returns the names of the files offered for download. */
  /** The entries `format` cannot carry, with the reason, for the export screen to list before saving. */
  async exportLimits(format: ExportFormat): Promise<{ label: string; reason: string }[]> {
    const { exportLimits } = await import('../platform/formats.js');
    return exportLimits(this.vault.entries(), format).map(({ label, reason }) => ({ label, reason }));
  }

  /** The Google Authenticator transfer QR codes as images to show on screen, one per batch. */
  /** A QR code of `text` as a data URL (the recovery key's printable sheet). */
  async qrImage(text: string): Promise<string> {
    const { qrPngDataUrl } = await import('../platform/formats.js');
    return qrPngDataUrl(text, 6);
  }

  /** A sign-up whose recovery key was shown but not confirmed before the page closed, if any. */
  pendingSignup(): PendingSignup | null {
    return (this.vault.getMeta(PENDING_SIGNUP_META_KEY) as unknown as PendingSignup | undefined) ?? null;
  }

  /** Forgets an unfinished sign-up: its recovery key was never used and is void. */
  async abandonSignup(): Promise<void> {
    await this.vault.setMeta(PENDING_SIGNUP_META_KEY, undefined);
  }

  async googleQrImages(): Promise<string[]> {
    const { migrationUris, qrPngDataUrl } = await import('../platform/formats.js');
    const { uris } = migrationUris(this.vault.entries());
    return Promise.all(uris.map((uri) => qrPngDataUrl(uri, 6)));
  }

  async exportAs(format: ExportFormat, password?: string): Promise<string[]> {
    const [{ exportEntries }, { downloadFile }] = await Promise.all([
      import('../platform/formats.js'),
      import('../platform/download.js'),
    ]);
    const { files } = await exportEntries({ entries: this.vault.entries(), format, password });
    // A Tessera backup carries its date in its name, and counts as the last local backup.
    const named =
      format === 'tessera' ? files.map((f) => ({ ...f, name: backupFileName(Date.now()) })) : files;
    for (const file of named) downloadFile(file);
    if (format === 'tessera') await this.backups.downloaded(named[0]!.name);
    return named.map((f) => f.name);
  }

  /** Backs up to a folder the user picks, after changes, at most hourly, keeping the newest `keep`. */
  async chooseBackupFolder(options: { password: string; keep: number }): Promise<void> {
    await this.backups.chooseFolder(options);
  }

  /** Gives the app permission again to write to the backup folder (the browser asks after a reload). */
  async allowBackupFolder(): Promise<void> {
    await this.backups.allowFolder();
  }

  async stopBackupFolder(): Promise<void> {
    await this.backups.stopFolder();
  }

  async backUpToFolderNow(): Promise<void> {
    await this.backups.writeNow();
  }

  // ---- first run and keychain ----

  private async ensureMode(): Promise<void> {
    if (!this.store.get().settings.mode) await this.saveSettings({ mode: 'device' });
  }

  private async saveSettings(patch: Partial<LocalSettings>): Promise<void> {
    this.store.set({ settings: await saveSettings(patch) });
  }

  async chooseDeviceOnly(): Promise<void> {
    await this.saveSettings({ mode: 'device' });
    this.store.set({ phase: 'ready' });
    // The check at open skipped the first-run screen (no vault to store an offset in yet); a person
    // reads that screen for longer than the check's delay, so it runs now.
    setTimeout(() => void this.measureClock(), CLOCK_CHECK_DELAY_MS);
  }

  private async keychain(): Promise<KeychainSession> {
    if (!this.keychainSession) {
      const { KeychainSession } = await import('./keychain.js');
      this.keychainSession = new KeychainSession({
        vault: this.vault,
        store: this.store,
        toast: (m) => this.toast(m),
      });
    }
    return this.keychainSession;
  }

  private async startKeychain(): Promise<void> {
    try {
      await (await this.keychain()).resume();
    } catch (err) {
      this.toast(forScreen(err));
    }
  }

  /** Creates the account; resolves to the recovery key to show once. */
  async signUp(options: SignUpRequest): Promise<string> {
    await this.saveSettings({ server: options.server });
    return (await this.keychain()).signUp(options);
  }

  /** After the recovery key was confirmed: back up every entry and show the codes. */
  async finishSignUp(): Promise<void> {
    await (await this.keychain()).finishSignUp();
    await this.saveSettings({ mode: 'keychain' });
    this.showCodes({ keychainOn: true });
    location.hash = '#/';
  }

  async signIn(options: SignInRequest): Promise<void> {
    await this.saveSettings({ server: options.server, mode: 'keychain' });
    await (await this.keychain()).signIn(options);
    this.showCodes({ keychainOn: true });
  }

  /** Signs in and joins at once with the recovery key or the PIN (the sign-in form's choice). */
  async restore(options: SignInRequest, way: RestoreWay): Promise<void> {
    await this.saveSettings({ server: options.server, mode: 'keychain' });
    await (await this.keychain()).restore(options, way);
    this.showCodes({ keychainOn: true });
  }

  async refreshEscrow(): Promise<void> {
    await (await this.keychain()).refreshEscrow();
  }

  async joinWithPin(pin: string): Promise<void> {
    await (await this.keychain()).joinWithPin(pin);
  }

  async joinWithRecoveryKey(recoveryKey: string): Promise<void> {
    await (await this.keychain()).joinWithRecoveryKey(recoveryKey);
  }

  /** Changes the account password, proving the current one. */
  async changePassword(current: string, next: string): Promise<void> {
    await (await this.keychain()).changePassword(current, next);
  }

  /** Locks the account: every session ends (this one too) and pending devices are evicted. */
  async lockAccount(): Promise<void> {
    await (await this.keychain()).lockAccount();
  }

  /** Signs this trusted device in again after its session ended. */
  async signInAgain(password: string): Promise<void> {
    await (await this.keychain()).signInAgain(password);
  }

  /** Removes a device that asked to join and is not the user's. */
  async evict(deviceId: string): Promise<string> {
    return (await this.keychain()).evict(deviceId);
  }

  /** Marks a notice done on this device; it stays under "Show older". */
  async dismissNotice(id: string): Promise<void> {
    await (await this.keychain()).dismissNotice(Number(id));
  }

  /** Renames a trusted device of the keychain (this one or another). */
  async renameDevice(deviceId: string, name: string): Promise<string> {
    return (await this.keychain()).rename(deviceId, name);
  }

  /** Approves the pending device showing `code` (`deviceId` when several wait); resolves to its name. */
  async approve(code: string, deviceId?: string): Promise<string> {
    return (await this.keychain()).approve(code, deviceId);
  }

  /** Creates a passkey for restore and registers it in the keychain. */
  async addRestorePasskey(): Promise<void> {
    await (await this.keychain()).addRestorePasskey();
    this.toast('Passkey added. A new device can now restore your codes with it.');
  }

  async removeRestorePasskey(id: string): Promise<void> {
    await (await this.keychain()).removeRestorePasskey(id);
  }

  async joinWithPasskey(): Promise<void> {
    await (await this.keychain()).joinWithPasskey();
  }

  /** Starts removing a device; resolves with the new recovery key to show (see `finishRotation`). */
  async startRemoval(id: string, pin: string | null): Promise<string> {
    return (await this.keychain()).startRotation({ removeDeviceId: id, pin });
  }

  /** Starts replacing the recovery key; resolves with the new one to show (see `finishRotation`). */
  async startRecoveryKeyRotation(): Promise<string> {
    return (await this.keychain()).startRotation('recovery-key');
  }

  /** The new recovery key was written down: the removal or replacement goes ahead. */
  async finishRotation(): Promise<void> {
    await (await this.keychain()).finishRotation();
    this.toast('Done. Your keys were changed and the new recovery key is the only one that works now.');
  }

  async cancelRotation(): Promise<void> {
    await (await this.keychain()).cancelRotation();
  }

  async setPin(pin: string): Promise<void> {
    await (await this.keychain()).setPin(pin);
  }

  async syncNow(): Promise<void> {
    await (await this.keychain()).syncNow();
  }

  async signOut(): Promise<void> {
    await (await this.keychain()).signOut();
    this.keychainSession = null;
    this.folderSession = null;
    await this.saveSettings({ mode: 'device' });
    this.showCodes({ keychainOn: false, keychain: null, folders: null });
  }

  /**
   * The codes screen at the end of a keychain flow (sign-up, sign-in, sign-out), with `patch`; but
   * when the app locked while the flow waited on the network (the idle lock, Lock now), the lock
   * screen stays: only an unlock shows the codes again.
   */
  private showCodes(patch: Partial<AppState>): void {
    this.store.set(this.vaultRef ? { ...patch, phase: 'ready' } : patch);
  }

  // ---- app lock ----

  /** Turns the app lock on, or changes its passphrase (`platform/app-lock.ts`), and drops the passkey lock. */
  async setLockPassphrase(passphrase: string): Promise<void> {
    await setLockPassphrase(this.vault, this.keys, passphrase);
    await this.dropPasskeyLock();
  }

  /** Turns the app lock off: a fresh storage key, held in this browser (see setLockPassphrase). */
  async removeLock(): Promise<void> {
    const next = newStorageKey();
    await this.keys.holdInBrowser(next);
    await this.vault.rekey(next);
    this.keys.current = next;
    await this.dropPasskeyLock();
  }

  /** The passkey lock wraps the storage key it was made for; after a rekey it would only keep the old one. */
  private async dropPasskeyLock(): Promise<void> {
    await (await db()).delete('keys', PASSKEY_KEY);
    this.store.set({ lock: { passphrase: this.keys.current?.custody === 'passphrase', passkey: false } });
  }

  async addPasskey(): Promise<void> {
    const { createPasskeyLock } = await import('../platform/passkey.js');
    const lock = await createPasskeyLock(this.keys.current!.key);
    await (await db()).put('keys', lock, PASSKEY_KEY);
    this.store.set({ lock: { ...this.store.get().lock, passkey: true } });
  }

  async removePasskey(): Promise<void> {
    await (await db()).delete('keys', PASSKEY_KEY);
    this.store.set({ lock: { ...this.store.get().lock, passkey: false } });
  }

  /** Forgets the open vault; the lock screen shows until the passphrase or passkey opens it again. */
  lockNow(): void {
    this.keychainSession?.stop();
    this.keychainSession = null;
    this.folderSession = null;
    this.vaultRef = null;
    this.keys.current = null;
    this.store.set({
      phase: 'locked',
      entries: [],
      uses: new Map(),
      hotpCodes: new Map(),
      keychain: null,
      folders: null,
    });
  }

  async unlockWithPassphrase(passphrase: string): Promise<void> {
    await unlockWithPassphrase(this.keys, passphrase, () => this.open());
  }

  async unlockWithPasskey(): Promise<void> {
    const { openPasskeyLock } = await import('../platform/passkey.js');
    const lock = (await (await db()).get('keys', PASSKEY_KEY)) as PasskeyLock;
    const key = await openPasskeyLock(lock);
    const stored = await this.storage.load();
    const { header } = readVaultHeader(stored!);
    this.keys.offerKey({ key, keyId: header.keyId, custody: 'passphrase' });
    await this.open();
  }

  // ---- settings ----

  async setHideCodes(hideCodes: boolean): Promise<void> {
    await this.saveSettings({ hideCodes });
  }

  async setTheme(theme: 'system' | 'light' | 'dark'): Promise<void> {
    await this.saveSettings({ theme });
    applyTheme(theme);
  }

  /** Fetches the newest app from the server (the service worker takes it over) and reloads. */
  async updateApp(): Promise<void> {
    const registration = await navigator.serviceWorker?.getRegistration();
    await registration?.update().catch(() => undefined);
    location.reload();
  }

  async eraseBrowser(): Promise<void> {
    this.keychainSession?.stop();
    await eraseAll();
    location.hash = '#/';
    location.reload();
  }
}

/**
 * The browser vault file is sealed with AES-256-GCM through WebCrypto (native code): opening it on a
 * reload takes a few milliseconds where XChaCha20-Poly1305 in JavaScript with a cold JIT took
 * ~100 ms for 1,000 entries. Older files are read and rewritten (`Vault.upgradeFile`).
 */
const VAULT_FILE_AEAD = 'aes-256-gcm';

/** Sets data-theme on <html>; "system" removes it so the media query decides. */
export function applyTheme(theme: LocalSettings['theme']): void {
  if (!theme || theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
