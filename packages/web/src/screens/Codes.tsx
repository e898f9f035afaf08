import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { sortEntries, VaultError, type SortMode, type VaultEntry } from '@tessera/vault';
import { CodeList } from '../components/CodeList.js';
import { useStore } from '../app/store.js';
import type { App } from '../app/controller.js';
import type { FolderView } from '../app/folders.js';
import { folderWords, forScreen, orderWords } from '../app/words.js';

/** Performance mark set when codes first show. */
export const CODES_VISIBLE = 'tessera:codes-visible';

/**
 * Ticks once a second, on the second of `clock` (the corrected code time), so every ring and code
 * changes together.
 */
function useNow(clock: () => number): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      setNow(clock());
      timer = setTimeout(tick, 1000 - (clock() % 1000) + 5);
    };
    tick();
    return () => clearTimeout(timer);
  }, [clock]);
  return now;
}

function matches(entry: VaultEntry, words: string[]): boolean {
  const haystack = `${entry.issuer}\n${entry.account}\n${entry.tags.join('\n')}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

type EditorProps = { app: App; entry: VaultEntry; onClose(): void };
type FolderEditorProps = { app: App; entry: VaultEntry; folder: FolderView; onClose(): void };

/**
 * The main screen: every code, searchable and filterable by tag, pinned entries first, sorted by
 * the synced manual order, by name or by use on this device; the codes of each shared folder follow
 * under the folder's name. In the manual order rows move by drag handle or Alt+Up/Down, announced
 * in a live region.
 */
export function Codes({ app }: { app: App }) {
  const state = useStore(app.store);
  // A new measured offset shows at once rather than on the next tick.
  const now = useNow(useMemo(() => () => app.codeNowMs(), [app, state.clockOffsetMs]));
  const [query, setQuery] = useState('');
  const [tag, setTag] = useState<string | null>(null);
  const [editing, setEditing] = useState<VaultEntry | null>(null);
  const [editingShared, setEditingShared] = useState<{ entry: VaultEntry; folder: FolderView } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const sort: SortMode = state.settings.sort ?? 'manual';
  // The edit dialogs are chunks of their own: they are not needed to show codes.
  const [Editor, setEditor] = useState<ComponentType<EditorProps> | null>(null);
  const [FolderEditor, setFolderEditor] = useState<ComponentType<FolderEditorProps> | null>(null);
  const edit = (entry: VaultEntry) =>
    void import('../components/EntryDialog.js').then((m) => {
      setEditor(() => m.EntryDialog);
      setEditing(entry);
    });
  const editShared = (entry: VaultEntry, folder: FolderView) =>
    void import('../components/FolderEntryDialog.js').then((m) => {
      setFolderEditor(() => m.FolderEntryDialog);
      setEditingShared({ entry, folder });
    });
  const shared = state.folders?.folders.filter((f) => (state.folders?.entries[f.id]?.length ?? 0) > 0) ?? [];

  const allTags = useMemo(() => {
    const tags = new Set<string>();
    for (const entry of state.entries) for (const t of entry.tags) tags.add(t);
    for (const list of Object.values(state.folders?.entries ?? {}))
      for (const entry of list) for (const t of entry.tags) tags.add(t);
    return [...tags].sort((a, b) => a.localeCompare(b));
  }, [state.entries, state.folders]);

  useEffect(() => {
    // Read by bench/web.bench.mjs and the e2e tests: the moment the first codes are on screen.
    if (state.entries.length > 0 && performance.getEntriesByName(CODES_VISIBLE).length === 0)
      performance.mark(CODES_VISIBLE);
  }, [state.entries.length > 0]);

  const filter = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return (list: VaultEntry[]) =>
      list.filter((entry) => (!tag || entry.tags.includes(tag)) && matches(entry, words));
  }, [query, tag]);
  // Not on `state.uses`: "Most used" reorders on the next visit, not under the finger that just
  // copied a code.
  const shown = useMemo(
    () => sortEntries({ entries: filter(state.entries), sort, uses: state.uses }),
    [state.entries, sort, filter],
  );
  const sharedShown = useMemo(
    () =>
      shared
        .map((folder) => ({
          folder,
          entries: sortEntries({
            entries: filter(state.folders!.entries[folder.id]!),
            sort,
            uses: state.uses,
          }),
        }))
        .filter((group) => group.entries.length > 0),
    [state.folders, sort, filter],
  );

  /** Moves `entry` to `toIndex` of the shown list, within its group (pinned or not), and says so. */
  const moveTo = async (entry: VaultEntry, toIndex: number) => {
    const from = shown.indexOf(entry);
    const other = shown[toIndex];
    if (!other || from < 0) return;
    const label = entry.issuer || entry.account || 'Unnamed';
    if (Boolean(other.pinned) !== Boolean(entry.pinned)) {
      setAnnouncement(orderWords.groupEdge(label, entry.pinned === true));
      return;
    }
    try {
      await app.moveEntry(entry.id, toIndex < from ? { before: other.id } : { after: other.id });
      setAnnouncement(orderWords.moved(label, toIndex + 1, shown.length));
    } catch (err) {
      setAnnouncement(err instanceof VaultError ? err.message : forScreen(err));
    }
  };

  if (state.entries.length === 0 && shared.length === 0) {
    return (
      <div class="empty">
        <h1>No codes yet</h1>
        <p>Add your first account: scan its QR code, paste its link, or import a file from another app.</p>
        <div class="actions center">
          <a class="button primary" href="#/add">
            Add a code
          </a>
          <a class="button" href="#/files">
            Import a file
          </a>
        </div>
      </div>
    );
  }

  return (
    <>
      <h1 class="visually-hidden">Codes</h1>
      <div class="toolbar" role="search">
        <label class="visually-hidden" for="search">
          Search codes
        </label>
        <input
          id="search"
          type="search"
          placeholder="Search"
          autocomplete="off"
          value={query}
          onInput={(event) => setQuery((event.target as HTMLInputElement).value)}
        />
        <label class="visually-hidden" for="sort">
          {orderWords.sortLabel}
        </label>
        <select
          id="sort"
          class="sort"
          value={sort}
          onChange={(event) => void app.setSort((event.target as HTMLSelectElement).value as SortMode)}
        >
          {(['manual', 'name', 'used'] as const).map((mode) => (
            <option key={mode} value={mode}>
              {orderWords.sorts[mode]}
            </option>
          ))}
        </select>
      </div>
      {sort === 'manual' && (
        <p id="move-help" class="visually-hidden">
          {orderWords.moveHelp}
        </p>
      )}
      <p class="visually-hidden" role="status" data-testid="move-status">
        {announcement}
      </p>
      {allTags.length > 0 && (
        <div class="tags" role="group" aria-label="Filter by tag">
          <button type="button" aria-pressed={tag === null} onClick={() => setTag(null)}>
            All
          </button>
          {allTags.map((t) => (
            <button
              key={t}
              type="button"
              aria-pressed={tag === t}
              onClick={() => setTag(tag === t ? null : t)}
            >
              {t}
            </button>
          ))}
        </div>
      )}
      {shown.length === 0 && sharedShown.length === 0 ? (
        <p class="empty">No code matches “{query}”.</p>
      ) : (
        shown.length > 0 && (
          <CodeList
            entries={shown}
            now={now}
            hotpCodes={state.hotpCodes}
            copiedId={state.copiedId}
            hideCodes={state.settings.hideCodes === true}
            movable={sort === 'manual'}
            onMove={(entry, toIndex) => void moveTo(entry, toIndex)}
            onRevealed={(entry) => void app.recordUse(entry.id)}
            onActivate={(entry, code) => void app.activate(entry, code)}
            onMore={edit}
          />
        )
      )}
      {sharedShown.map(({ folder, entries }) => (
        <section key={folder.id} class="folder-codes" aria-labelledby={`folder-${folder.id}`}>
          <h2 id={`folder-${folder.id}`}>
            {folder.name || folderWords.unnamed} <span class="status">{folderWords.role[folder.role]}</span>
          </h2>
          <CodeList
            entries={entries}
            label={folderWords.listLabel(folder.name, entries.length)}
            now={now}
            hotpCodes={state.hotpCodes}
            copiedId={state.copiedId}
            hideCodes={state.settings.hideCodes === true}
            onActivate={(entry, code) => void app.activate(entry, code, folder.id)}
            onRevealed={(entry) => app.recordFolderActivity(folder.id, entry.id, 'code-revealed')}
            moreLabel={(label) =>
              folder.role === 'viewer'
                ? folderWords.viewerMore(label, folder.name)
                : folderWords.editorMore(label, folder.name)
            }
            onMore={(entry) => editShared(entry, folder)}
          />
        </section>
      ))}
      {editing && Editor && <Editor app={app} entry={editing} onClose={() => setEditing(null)} />}
      {editingShared && FolderEditor && (
        <FolderEditor
          app={app}
          entry={editingShared.entry}
          folder={editingShared.folder}
          onClose={() => setEditingShared(null)}
        />
      )}
    </>
  );
}
