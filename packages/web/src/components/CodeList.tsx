import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { generateCode } from '@tessera/otp';
import type { VaultEntry } from '@tessera/vault';
import { groupCode, spokenCode } from '../format.js';
import { Ring } from './Ring.js';
import { IssuerIcon } from './IssuerIcon.js';
import { useIconMatcher, warmIcons } from '../app/icons.js';
import type { IconMatcher } from '@tessera/vault';

/** Vertical distance between rows, in px: the row height from CSS plus an 8 px gap. */
const GAP = 8;
/** Rows rendered above and below the viewport, so fast scrolling and Tab rarely meet a gap. */
const OVERSCAN = 6;
/** The shortest row CSS gives (`--row` on narrow screens), for the first screen's row count. */
const MIN_ROW = 72;
/** A row's offset from the list's top: from the CSS row height, so it needs no measuring. */
const rowTransform = (slot: number, dy = 0) =>
  `translateY(calc(${slot} * (var(--row) + ${GAP}px) + ${dy}px))`;
/**
 * Whether the page was scrolled down at its last scroll event: a list mounted then (back from another
 * screen) measures before its first paint, as its rows are not those at the top. Kept from the
 * events because reading the offset during a render would force the layout this avoids.
 */
let pageScrolled = window.scrollY > 0;
const notePageScroll = () => (pageScrolled = window.scrollY > 0);
window.addEventListener('scroll', notePageScroll, { passive: true });
// A scroll's event comes with the next frame, so a navigation in the same task as the scroll (a
// script, a key that does both) would mount the list before it. The route changes on `hashchange`
// (router.ts); read here first (capture runs before the router's listener on window), the offset
// is the old screen's, already laid out.
window.addEventListener('hashchange', notePageScroll, { capture: true });
/** The next code shows when the current one has this many seconds left or fewer. */
export const NEXT_CODE_SECONDS = 7;

export interface CodeListProps {
  entries: VaultEntry[];
  /** Current time in ms (ticks once a second). */
  now: number;
  /** HOTP codes generated in this session, by entry id (HOTP codes are made on demand). */
  hotpCodes: ReadonlyMap<string, string>;
  copiedId: string | null;
  /** Manual order: rows get a drag handle and Alt+Up/Down moves the focused row (`onMove`). */
  movable?: boolean;
  /** Move `entry` so that it ends at `toIndex` of `entries`; the caller announces it. */
  onMove?(entry: VaultEntry, toIndex: number): void;
  /** A hidden code was revealed (counts as a use, like a copy; a shared folder logs it). */
  onRevealed?(entry: VaultEntry): void;
  /** Codes show as ••• ••• until a row is tapped, which reveals it (the next tap copies). */
  hideCodes?: boolean;
  onActivate(entry: VaultEntry, code: string | null): void;
  onMore(entry: VaultEntry): void;
  /** Accessible name of the list; "N codes" by default. */
  label?: string;
  /** Accessible name of a row's ⋯ button; "Edit <label>" by default. */
  moreLabel?(label: string): string;
}

/**
 * The codes, windowed: only the rows near the viewport are in the DOM, so 1,000 entries cost the
 * same to render and to tick as 20. The page itself scrolls (no inner scroll box), which keeps
 * pull-to-refresh, find-in-page of visible rows and screen-reader browsing natural.
 */
export function CodeList(props: CodeListProps) {
  const { entries } = props;
  const listRef = useRef<HTMLUListElement>(null);
  const [rowHeight, setRowHeight] = useState(76);
  // The first screen: the rows a viewport of the shortest rows can show from the list's top, no
  // overscan, so the codes' first frame makes (and computes codes for) only rows that can be on
  // screen. The list measures where it is after that paint and adds the overscan then.
  const [range, setRange] = useState<[number, number]>(() => [
    0,
    Math.ceil(window.innerHeight / (MIN_ROW + GAP)),
  ]);
  // Measuring (the `--row` height, where the list is) forces a style and layout pass in the middle
  // of the render; the first screen needs neither (rows are placed by CSS, from `--row`), so it is
  // measured once painted, and the codes' frame does one style and layout pass, rings started in it.
  // Later changes (a search, a resize) and a list mounted on a scrolled page measure before their paint.
  const [painted, setPainted] = useState(pageScrolled);
  useEffect(() => setPainted(true), []);
  const [focusIndex, setFocusIndex] = useState<number | null>(null);
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const [drag, setDrag] = useState<Drag | null>(null);
  // A moved row: focus goes back to it (same control) once the list shows it at its new index;
  // reordering keyed rows moves their DOM nodes, which drops the focus.
  const refocus = useRef<{ id: string; index: number; control: 'copy' | 'handle' } | null>(null);
  const stride = rowHeight + GAP;
  const matcher = useIconMatcher();

  useEffect(() => {
    if (matcher) void warmIcons({ entries, matcher });
  }, [entries, matcher]);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list || !painted) return;
    const measured = parseFloat(getComputedStyle(list).getPropertyValue('--row'));
    if (measured > 0 && measured !== rowHeight) setRowHeight(measured);
    const update = () => {
      const top = list.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-top / stride) - OVERSCAN);
      const last = Math.min(entries.length, Math.ceil((window.innerHeight - top) / stride) + OVERSCAN);
      setRange((old) => (old[0] === first && old[1] === last ? old : [first, last]));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [entries.length, stride, painted]);

  useEffect(() => {
    if (focusIndex === null) return;
    const button = listRef.current?.querySelector<HTMLButtonElement>(
      `button.copy[data-index="${focusIndex}"]`,
    );
    if (button) {
      button.focus();
      setFocusIndex(null);
    }
  });

  useEffect(() => {
    const pending = refocus.current;
    if (!pending || entries[pending.index]?.id !== pending.id) return;
    refocus.current = null;
    listRef.current
      ?.querySelector<HTMLButtonElement>(`button.${pending.control}[data-index="${pending.index}"]`)
      ?.focus();
  }, [entries]);

  const move = (index: number, to: number, control: 'copy' | 'handle') => {
    const entry = entries[index];
    if (!entry || !props.onMove || to < 0 || to >= entries.length || to === index) return;
    refocus.current = { id: entry.id, index: to, control };
    props.onMove(entry, to);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const index = Number(target.dataset.index);
    const control = target.classList.contains('handle') ? 'handle' : 'copy';
    if (!Number.isInteger(index)) return;
    // Moves: Alt+Up/Down on a row, or plain Up/Down on its handle.
    if (
      props.movable &&
      (event.key === 'ArrowUp' || event.key === 'ArrowDown') &&
      (event.altKey || control === 'handle')
    ) {
      event.preventDefault();
      move(index, index + (event.key === 'ArrowUp' ? -1 : 1), control);
      return;
    }
    if (control !== 'copy') return;
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = Math.min(entries.length - 1, index + 1);
    else if (event.key === 'ArrowUp') next = Math.max(0, index - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = entries.length - 1;
    if (next === null) return;
    event.preventDefault();
    const list = listRef.current!;
    const rowTop = list.getBoundingClientRect().top + next * stride;
    if (rowTop < 80 || rowTop + stride > window.innerHeight) {
      window.scrollBy({ top: rowTop - window.innerHeight / 2 });
    }
    setFocusIndex(next);
  };

  // While a row is dragged, it follows the pointer and the rows it passes make room for it.
  const dropIndex = drag
    ? Math.max(0, Math.min(entries.length - 1, Math.round((drag.index * stride + drag.dy) / stride)))
    : null;
  const slot = (index: number): number => {
    if (!drag || dropIndex === null || index === drag.index) return index;
    if (drag.index < index && index <= dropIndex) return index - 1;
    if (dropIndex <= index && index < drag.index) return index + 1;
    return index;
  };
  const handle: HandleEvents = {
    down(index, event) {
      if (event.button !== 0) return;
      event.preventDefault();
      (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
      setDrag({ index, startY: event.clientY, dy: 0 });
    },
    moved(event) {
      setDrag((d) => (d ? { ...d, dy: event.clientY - d.startY } : d));
    },
    up() {
      if (drag && dropIndex !== null) move(drag.index, dropIndex, 'handle');
      setDrag(null);
    },
    cancel() {
      setDrag(null);
    },
  };

  const [first, last] = range;
  const rows = [];
  for (let index = first; index < last && index < entries.length; index++) {
    const dragged = drag?.index === index;
    rows.push(
      <CodeRow
        key={entries[index]!.id}
        index={index}
        top={dragged ? rowTransform(index, drag!.dy) : rowTransform(slot(index))}
        dragging={dragged}
        handle={props.movable ? handle : null}
        {...props}
        entry={entries[index]!}
        matcher={matcher}
        hidden={props.hideCodes === true && !revealed.has(entries[index]!.id)}
        onReveal={(id) => {
          setRevealed((r) => new Set(r).add(id));
          props.onRevealed?.(entries[index]!);
        }}
      />,
    );
  }
  return (
    <ul
      class="codes"
      ref={listRef}
      aria-label={props.label ?? `${entries.length} code${entries.length === 1 ? '' : 's'}`}
      style={{ height: `calc(${entries.length} * (var(--row) + ${GAP}px) - ${GAP}px)` }}
      onKeyDown={onKeyDown}
    >
      {rows}
    </ul>
  );
}

/** A drag in progress: the row's index when it started, and how far the pointer went. */
interface Drag {
  index: number;
  startY: number;
  dy: number;
}

/** Pointer events of the drag handles (pointer capture sends the rest of a drag to the handle). */
interface HandleEvents {
  down(index: number, event: PointerEvent): void;
  moved(event: PointerEvent): void;
  up(): void;
  cancel(): void;
}

/**
 * Codes already computed, by entry and time step: a row drawn again within its step (each second's
 * tick, the list measuring itself, a scroll) reuses its code rather than computing the HMAC again.
 * Entries are never changed in place (an edit makes a new object), and they are held weakly: the
 * codes of a locked or replaced vault go with its entries.
 */
const codes = new WeakMap<VaultEntry, Map<number, string>>();

function codeAt(entry: VaultEntry, time: number, period: number): string {
  const step = Math.floor(time / (entry.type === 'steam' ? 30 : period));
  let steps = codes.get(entry);
  if (!steps) codes.set(entry, (steps = new Map()));
  let code = steps.get(step);
  if (code === undefined) {
    code = generateCode({ entry, time });
    // The current step and the next are what rows show; older ones go.
    for (const old of steps.keys()) if (old < step - 1) steps.delete(old);
    steps.set(step, code);
  }
  return code;
}

interface RowProps extends CodeListProps {
  entry: VaultEntry;
  matcher: IconMatcher | null | undefined;
  index: number;
  /** The row's `transform`: its place in the list (`rowTransform`). */
  top: string;
  hidden: boolean;
  dragging: boolean;
  handle: HandleEvents | null;
  onReveal(id: string): void;
}

function CodeRow({
  entry,
  index,
  top,
  now,
  hotpCodes,
  copiedId,
  onActivate,
  onMore,
  entries,
  hidden,
  dragging,
  handle,
  onReveal,
  moreLabel,
  matcher,
}: RowProps) {
  const seconds = now / 1000;
  const label = entry.issuer || entry.account || 'Unnamed';
  let code: string | null;
  let next: string | null = null;
  let ring = null;
  let low = false;
  if (entry.type === 'hotp') {
    code = hotpCodes.get(entry.id) ?? null;
  } else {
    const period = entry.period ?? 30;
    const elapsed = seconds % period;
    const remaining = Math.ceil(period - elapsed);
    low = remaining <= NEXT_CODE_SECONDS;
    code = codeAt(entry, Math.floor(seconds), period);
    if (low) next = codeAt(entry, Math.floor(seconds) + period, period);
    ring = <Ring period={period} elapsed={elapsed} step={Math.floor(seconds / period)} low={low} />;
  }
  const copied = copiedId === entry.id;
  const pinned = entry.pinned === true;
  const who = `${label}${entry.account && entry.issuer ? `, ${entry.account}` : ''}${pinned ? ', pinned' : ''}`;
  const spoken = hidden
    ? `${who}: code hidden. Press to show it.`
    : code
      ? `${who}: ${spokenCode(code)}. Press to copy.`
      : `${who}: counter code. Press for the next code.`;
  return (
    <li
      class={dragging ? 'row dragging' : 'row'}
      style={{ transform: top }}
      aria-setsize={entries.length}
      aria-posinset={index + 1}
    >
      {handle && (
        <button
          type="button"
          class="handle"
          data-index={index}
          aria-label={`Move ${label}${entry.account && entry.issuer ? `, ${entry.account}` : ''}`}
          aria-describedby="move-help"
          onPointerDown={(event) => handle.down(index, event)}
          onPointerMove={(event) => dragging && handle.moved(event)}
          onPointerUp={() => dragging && handle.up()}
          onPointerCancel={() => handle.cancel()}
        >
          <span aria-hidden="true">⠿</span>
        </button>
      )}
      <button
        type="button"
        class="copy"
        data-index={index}
        aria-label={spoken}
        onClick={() => (hidden ? onReveal(entry.id) : onActivate(entry, code))}
      >
        {ring ?? <span class="ring" aria-hidden="true" />}
        <IssuerIcon entry={entry} matcher={matcher} />
        <span class="who">
          <span class="issuer">
            {pinned && (
              <span class="pin" title="Pinned">
                ★
              </span>
            )}
            {label}
          </span>
          {entry.issuer && entry.account && <span class="account">{entry.account}</span>}
        </span>
        <span class="code-box">
          <span class={low ? 'code mono low' : 'code mono'}>
            {code && !hidden ? groupCode(code) : '••• •••'}
          </span>
          {copied ? (
            <span class="copied">Copied</span>
          ) : hidden ? (
            <span class="next">tap to show</span>
          ) : next ? (
            <span class="next">next {groupCode(next)}</span>
          ) : entry.type === 'hotp' && !code ? (
            <span class="next">tap for a code</span>
          ) : null}
        </span>
      </button>
      <button
        type="button"
        class="more"
        aria-label={moreLabel ? moreLabel(label) : `Edit ${label}`}
        onClick={() => onMore(entry)}
      >
        ⋯
      </button>
    </li>
  );
}
