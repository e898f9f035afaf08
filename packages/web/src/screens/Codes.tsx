import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { sortEntries, VaultError, type SortMode, type VaultEntry } from '@tessera/vault';
import { CodeList } from '../components/CodeList.js';
import { useStore } from '../app/store.js';
import type { App } from '../app/controller.js';
import { forScreen, orderWords } from '../app/words.js';

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

/**
 * The main screen: every code, searchable and filterable by tag, pinned entries first, sorted by
 * the synced manual order, by name or by use on this device. In the manual order rows move by
 * drag handle or Alt+Up/Down, announced in a live region.
 */
export function Codes({ app }: { app: App }) {
  const state = useStore(app.store);
  // A new measured offset shows at once rather than on the next tick.
  const now = useNow(useMemo(() => () => app.codeNowMs(), [app, state.clockOffsetMs]));
  const [query, setQuery] = useState('');
  const [tag, setTag] = useState<string | null>(null);
  const [editing, setEditing] = useState<VaultEntry | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const sort: SortMode = state.settings.sort ?? 'manual';
  // The edit dialog is a chunk of its own: it is not needed to show codes.
  const [Editor, setEditor] = useState<ComponentType<{
    app: App;
    entry: VaultEntry;
    onClose(): void;
  }> | null>(null);
  const edit = (entry: VaultEntry) =>
    void import('../components/EntryDialog.js').then((m) => {
      setEditor(() => m.EntryDialog);
      setEditing(entry);
    });

  const allTags = useMemo(() => {
    const tags = new Set<string>();
    for (const entry of state.entries) for (const t of entry.tags) tags.add(t);
    return [...tags].sort((a, b) => a.localeCompare(b));
  }, [state.entries]);

  useEffect(() => {
    // Read by bench/web.bench.mjs and the e2e tests: the moment the first codes are on screen.
    if (state.entries.length > 0 && performance.getEntriesByName(CODES_VISIBLE).length === 0)
      performance.mark(CODES_VISIBLE);
  }, [state.entries.length > 0]);

  const shown = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const list = state.entries.filter((entry) => (!tag || entry.tags.includes(tag)) && matches(entry, words));
    return sortEntries({ entries: list, sort, uses: state.uses });
    // Not on `state.uses`: "Most used" reorders on the next visit, not under the finger that just
    // copied a code.
  }, [state.entries, sort, query, tag]);

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

  if (state.entries.length === 0) {
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
      {shown.length === 0 ? (
        <p class="empty">No code matches “{query}”.</p>
      ) : (
        <CodeList
          entries={shown}
          now={now}
          hotpCodes={state.hotpCodes}
          copiedId={state.copiedId}
          movable={sort === 'manual'}
          onMove={(entry, toIndex) => void moveTo(entry, toIndex)}
          onRevealed={(entry) => void app.recordUse(entry.id)}
          hideCodes={state.settings.hideCodes === true}
          onActivate={(entry, code) => void app.activate(entry, code)}
          onMore={edit}
        />
      )}
      {editing && Editor && <Editor app={app} entry={editing} onClose={() => setEditing(null)} />}
    </>
  );
}
