/**
 * Shared folders as the web app uses them (issue 16, docs/PROTOCOL.md §12): a thin layer over the
 * folder flows of `@tessera/vault/folders` that runs them one at a time with the keychain's other
 * flows and copies what they leave in the vault into the app store for the screens. No folder logic
 * lives here: the flows, the checks and the local state are the library's.
 */
import {
  acceptInvite,
  addFolderEntry,
  changeRole,
  createFolder,
  deleteFolder,
  deleteFolderEntry,
  editFolderEntry,
  folderActivity,
  folderMembers,
  folderRecords,
  inviteMember,
  loadFolders,
  localFolders,
  nextFolderHotp,
  recordFolderActivity,
  removeMember,
  syncFolders,
  usesFolders,
  type FolderActivityEvent,
  type FolderInvite,
  type FolderMemberView,
  type FolderRole,
  type FolderView as LibraryFolderView,
} from '@tessera/vault/folders';
import type { Keychain } from '@tessera/vault/keychain';
import type { EntryPatch, VaultEntry } from '@tessera/vault';
import type { OtpEntry } from '@tessera/otp';
import type { StoreLike } from './store.js';
import { forScreen } from './words.js';

export type { FolderActivityEvent, FolderInvite, FolderMemberView, FolderRole };

/** A folder as the screens list it: the library's view plus how many members it has. */
export interface FolderView extends LibraryFolderView {
  /** Members and pending invites the verified log names. */
  members: number;
  /** Changes whenever a member joins, leaves or changes role: the member list reloads on it. */
  membership: string;
}

/** What the screens show of shared folders; null in the store until a trusted keychain is on. */
export interface FoldersView {
  folders: FolderView[];
  /** Invites to this account that wait for its safety-number check. */
  invites: FolderInvite[];
  /** Live entries of each folder, by folder id. */
  entries: Record<string, VaultEntry[]>;
  /** The last folder sync's failure (a refused log or key), or null. */
  error: string | null;
}

export interface FoldersState {
  folders: FoldersView | null;
}

/**
 * Asks the person to compare the safety number with `peer`; resolves true only when they said the
 * numbers match (the screen shows the number, its QR code and a scanner).
 */
export type ConfirmSafetyNumber = (number: string, peer: string) => Promise<boolean>;

export interface FolderSessionOptions {
  keychain: Keychain;
  /**
   * Runs a flow with the keychain's other flows and sync rounds stopped (KeychainSession.exclusive).
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  store: StoreLike<FoldersState>;
}

/** The folder flows of one trusted keychain, for the Folders page, the codes list and Add. */
export class FolderSession {
  private invites: FolderInvite[] = [];
  private error: string | null = null;

  constructor(private readonly options: FolderSessionOptions) {}

  private get keychain(): Keychain {
    return this.options.keychain;
  }

  /** Copies the folders and their entries the vault holds into the store (no network). */
  publish(): void {
    const keychain = this.keychain;
    if (keychain.state?.status !== 'trusted') return this.options.store.set({ folders: null });
    const local = loadFolders(keychain).folders;
    const folders = localFolders({ keychain }).map((f) => {
      const members = Object.values(local[f.id]?.state.members ?? {});
      return {
        ...f,
        members: members.filter((m) => m.status !== 'removed').length,
        membership: local[f.id]?.state.head.hash ?? '',
      };
    });
    const entries: Record<string, VaultEntry[]> = {};
    for (const folder of folders)
      entries[folder.id] = folderRecords({ keychain, folder: folder.id })
        .filter((r) => !r.deleted)
        .map((r) => r.entry);
    this.options.store.set({
      folders: { folders, invites: this.invites, entries, error: this.error },
    });
  }

  /** Asks the server which folders and invites name this account, and syncs every folder. */
  async refresh(): Promise<void> {
    await this.options.run(() => this.sync());
  }

  /**
   * The background sync (after every round of the keychain's follow loop, and when the app starts):
   * nothing until the account uses folders (its circle names a sharing key, made by the first
   * folder flow on any of its devices), so an account that never does publishes no sharing key and
   * sends no folder request. The Folders page's own refresh is a use (it publishes the key, so
   * others can invite this account).
   */
  async syncIfUsed(): Promise<void> {
    if (!usesFolders({ keychain: this.keychain })) return this.publish();
    await this.sync();
  }

  /** `syncIfUsed` in the keychain's queue (the app's start). */
  async refreshIfUsed(): Promise<void> {
    await this.options.run(() => this.syncIfUsed());
  }

  /**
   * The sync itself; the keychain session runs it after every round of its follow loop (every feed
   * event, a folder's included), where no other flow runs. A refusal shows on the Folders page.
   */
  async sync(): Promise<void> {
    try {
      this.invites = (await syncFolders({ keychain: this.keychain })).invites;
      this.error = null;
    } catch (err) {
      this.error = forScreen(err);
    } finally {
      this.publish();
    }
  }

  /** Creates a folder this account owns. */
  async create(name: string): Promise<LibraryFolderView> {
    return this.flow(() => createFolder({ keychain: this.keychain, name }));
  }

  /**
   * Invites `email` as `role`; the invite is signed only after `confirm` said the safety numbers
   * match.
   */
  async invite(options: {
    folder: string;
    email: string;
    role: Exclude<FolderRole, 'owner'>;
    confirm: ConfirmSafetyNumber;
  }): Promise<FolderMemberView> {
    const { member } = await this.flow(() =>
      inviteMember({
        keychain: this.keychain,
        folder: options.folder,
        email: options.email,
        role: options.role,
        confirm: (number) => options.confirm(number, options.email),
      }),
    );
    return member;
  }

  /** Accepts an invite after `confirm` said the safety numbers match. */
  async accept(options: { invite: FolderInvite; confirm: ConfirmSafetyNumber }): Promise<LibraryFolderView> {
    const { invite } = options;
    const folder = await this.flow(async () => {
      const accepted = await acceptInvite({
        keychain: this.keychain,
        folder: invite.folder,
        confirm: (number) => options.confirm(number, invite.invitedBy),
      });
      this.invites = this.invites.filter((i) => i.folder !== invite.folder);
      return accepted;
    });
    return folder;
  }

  async members(folder: string): Promise<FolderMemberView[]> {
    return this.flow(() => folderMembers({ keychain: this.keychain, folder }));
  }

  /** Removes a member: a new folder key, every entry re-sealed under it. */
  async removeMember(folder: string, account: string): Promise<void> {
    await this.flow(() => removeMember({ keychain: this.keychain, folder, account }));
  }

  async changeRole(folder: string, email: string, role: FolderRole): Promise<void> {
    await this.flow(() => changeRole({ keychain: this.keychain, folder, email, role }));
  }

  async deleteFolder(folder: string): Promise<void> {
    await this.flow(() => deleteFolder({ keychain: this.keychain, folder }));
  }

  /** The folder's activity log (owners only): self-reported by each member's devices. */
  async activity(folder: string): Promise<FolderActivityEvent[]> {
    return this.flow(() => folderActivity({ keychain: this.keychain, folder }));
  }

  /** Adds entries to a folder; resolves to how many were added. */
  async add(folder: string, entries: OtpEntry[], tags: string[]): Promise<number> {
    return this.flow(async () => {
      for (const entry of entries) await addFolderEntry({ keychain: this.keychain, folder, entry, tags });
      return entries.length;
    });
  }

  async edit(folder: string, id: string, patch: EntryPatch): Promise<void> {
    await this.flow(() => editFolderEntry({ keychain: this.keychain, folder, id, patch }));
  }

  /**
   * The next code of a folder's HOTP entry: the counter every member shares moves first (owners and
   * editors; a viewer gets the library's `not-writer` refusal).
   */
  async nextHotp(folder: string, id: string): Promise<string> {
    return (await this.flow(() => nextFolderHotp({ keychain: this.keychain, folder, id }))).code;
  }

  async remove(folder: string, id: string): Promise<void> {
    await this.flow(() => deleteFolderEntry({ keychain: this.keychain, folder, id }));
  }

  /**
   * Appends "code revealed / copied" to the folder's activity log. Best effort: a code on screen
   * must not wait for the log, and the log is the members' own word anyway.
   */
  record(folder: string, entry: string, kind: FolderActivityEvent['kind']): void {
    void this.options
      .run(() => recordFolderActivity({ keychain: this.keychain, folder, entry, kind }))
      .catch(() => undefined);
  }

  /** Runs a flow in the queue, then shows what it left in the vault. */
  private async flow<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.options.run(work);
    } finally {
      this.publish();
    }
  }
}
