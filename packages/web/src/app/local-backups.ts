/**
 * Local backup files of the web app (issue: automatic local backups). Where the browser has the File
 * System Access API, a folder the user picks receives a Tessera encrypted backup after changes, at
 * most hourly, keeping the newest N; elsewhere, and for anyone without a folder, the app reminds the
 * user to download one when the last is older than 30 days. The backup password is kept in the
 * vault's meta (inside the encrypted vault), as the CLI keeps the path of its password file.
 */
import type { MetaValue, Vault } from '@tessera/vault';
import { db } from '../platform/db.js';

export const BACKUP_INTERVAL_MS = 60 * 60_000;
export const REMINDER_AFTER_MS = 30 * 86_400_000;
const META_KEY = 'web.backups';
const FOLDER_KEY = 'backup-folder';
/** `tessera-backup-2026-12-05T14-03-22Z.json`: sortable by name, and the date is in it. */
const FILE_PATTERN = /^tessera-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/;

interface Stored {
  /** When this browser started counting (for the first reminder). */
  since: number;
  lastAt: number | null;
  lastFile: string | null;
  /** Folder backups: how many to keep, and the password they are sealed with. */
  keep?: number;
  password?: string;
}

/** What the screens show. */
export interface LocalBackupView {
  lastAt: number | null;
  lastFile: string | null;
  /** The browser can write to a folder the user picks. */
  folderSupported: boolean;
  /** Name of the folder backups go to, or null. */
  folder: string | null;
  /** A folder is set but the browser needs the user's permission again (after a reload). */
  needsPermission: boolean;
  keep: number;
  /** When the reminder to download a backup shows, the time of the last backup (or of the start). */
  remindSince: number | null;
  error: string | null;
}

export interface LocalBackupsOptions {
  vault: () => Vault | null;
  /** Seals every entry as a Tessera backup (the formats package, loaded lazily). */
  seal: (password: string) => Promise<Uint8Array>;
  publish: (view: LocalBackupView) => void;
}

export function backupFileName(at: number): string {
  return `tessera-backup-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}Z.json`;
}

export class LocalBackups {
  private folder: Folder | null = null;
  private permitted = false;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private error: string | null = null;

  constructor(private readonly options: LocalBackupsOptions) {}

  /** Loads the folder handle (if any) and shows the state. */
  async start(): Promise<void> {
    this.folder = ((await (await db()).get('handles', FOLDER_KEY)) as Folder | undefined) ?? null;
    this.permitted = this.folder
      ? (await this.folder.queryPermission({ mode: 'readwrite' })) === 'granted'
      : false;
    if (!this.stored()) await this.save({ since: Date.now(), lastAt: null, lastFile: null });
    this.publish();
  }

  /** Picks a folder (the browser's dialog), keeps `keep` backups there, and writes the first one. */
  async chooseFolder(options: { password: string; keep: number }): Promise<void> {
    const picker = (window as unknown as { showDirectoryPicker?: ShowDirectoryPicker }).showDirectoryPicker;
    if (!picker) throw new Error('This browser cannot write to a folder; download backups instead.');
    const folder = await picker({ id: 'tessera-backups', mode: 'readwrite' });
    await (await db()).put('handles', folder, FOLDER_KEY);
    this.folder = folder as Folder;
    this.permitted = true;
    await this.save({ ...this.stored()!, keep: options.keep, password: options.password });
    await this.writeNow();
  }

  /** After a reload the browser asks again before the app may write to the folder (needs a click). */
  async allowFolder(): Promise<void> {
    if (!this.folder) return;
    this.permitted = (await this.folder.requestPermission({ mode: 'readwrite' })) === 'granted';
    this.publish();
    if (this.permitted && this.dirty) await this.writeNow();
  }

  /** Stops folder backups (the files stay). */
  async stopFolder(): Promise<void> {
    await (await db()).delete('handles', FOLDER_KEY);
    this.folder = null;
    this.permitted = false;
    const { keep: _keep, password: _password, ...rest } = this.stored()!;
    await this.save(rest);
    clearTimeout(this.timer);
  }

  /** A local change: back up now if the last folder backup is an hour old, else when it will be. */
  changed(): void {
    this.dirty = true;
    if (!this.folder || !this.permitted) return this.publish();
    const last = this.stored()?.lastAt ?? 0;
    const due = last + BACKUP_INTERVAL_MS - Date.now();
    clearTimeout(this.timer);
    if (due <= 0) void this.writeNow().catch(() => undefined);
    else this.timer = setTimeout(() => void this.writeNow().catch(() => undefined), due);
  }

  /** A backup file the user downloaded (Backup page or Export). */
  async downloaded(name: string): Promise<void> {
    await this.save({ ...this.stored()!, lastAt: Date.now(), lastFile: name });
  }

  /** Writes one backup to the folder now and keeps the newest `keep`. */
  async writeNow(): Promise<void> {
    const stored = this.stored();
    if (!this.folder || !stored?.password) return;
    try {
      const at = Date.now();
      const name = backupFileName(at);
      const bytes = await this.options.seal(stored.password);
      const file = await this.folder.getFileHandle(name, { create: true });
      const writable = await file.createWritable();
      await writable.write(bytes as BlobPart);
      await writable.close();
      await this.prune(stored.keep ?? 10);
      this.dirty = false;
      this.error = null;
      await this.save({ ...stored, lastAt: at, lastFile: name });
    } catch (err) {
      this.error = `The backup to the folder failed: ${(err as Error).message}`;
      this.publish();
      throw err;
    }
  }

  private async prune(keep: number): Promise<void> {
    const names: string[] = [];
    for await (const [name, handle] of this.folder!.entries())
      if (handle.kind === 'file' && FILE_PATTERN.test(name)) names.push(name);
    names.sort();
    for (const name of names.slice(0, Math.max(0, names.length - keep))) await this.folder!.removeEntry(name);
  }

  private stored(): Stored | null {
    return (this.options.vault()?.getMeta(META_KEY) as unknown as Stored | undefined) ?? null;
  }

  private async save(next: Stored): Promise<void> {
    await this.options.vault()?.setMeta(META_KEY, next as unknown as MetaValue);
    this.publish();
  }

  private publish(): void {
    const stored = this.stored();
    const folderSupported = 'showDirectoryPicker' in window;
    const last = stored?.lastAt ?? stored?.since ?? Date.now();
    const entries = this.options.vault()?.entries().length ?? 0;
    const remind = !this.folder && entries > 0 && Date.now() - last > REMINDER_AFTER_MS;
    this.options.publish({
      lastAt: stored?.lastAt ?? null,
      lastFile: stored?.lastFile ?? null,
      folderSupported,
      folder: this.folder?.name ?? null,
      needsPermission: this.folder !== null && !this.permitted,
      keep: stored?.keep ?? 10,
      remindSince: remind ? last : null,
      error: this.error,
    });
  }
}

type ShowDirectoryPicker = (options: {
  id?: string;
  mode?: 'read' | 'readwrite';
}) => Promise<FileSystemDirectoryHandle>;

/** The parts of the File System Access API that TypeScript's DOM library does not declare yet. */
interface Folder extends FileSystemDirectoryHandle {
  queryPermission(options: { mode: 'readwrite' }): Promise<PermissionState>;
  requestPermission(options: { mode: 'readwrite' }): Promise<PermissionState>;
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}
