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
/** The next code shows when the current one has this many seconds left or fewer. */
export const NEXT_CODE_SECONDS = 7;

export interface CodeListProps {
  entries: VaultEntry[];
  /** Current time in ms (ticks once a second). */
  now: number;
  /** HOTP codes generated in this session, by entry id (HOTP codes are made on demand). */
  hotpCodes: ReadonlyMap<string, string>;
  copiedId: string | null;
  pinnedIds: ReadonlySet<string>;
  /** Codes show as ••• ••• until a row is tapped, which reveals it (the next tap copies). */
  hideCodes?: boolean;
  onActivate(entry: VaultEntry, code: string | null): void;
  onMore(entry: VaultEntry): void;
  /** Accessible name of the list; "N codes" by default. */
  label?: string;
  /** Accessible name of a row's ⋯ button; "Edit <label>" by default. */
  moreLabel?(label: string): string;
  /** A hidden code was shown (a shared folder logs it). */
  onRevealed?(entry: VaultEntry): void;
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
  const [range, setRange] = useState<[number, number]>([0, 24]);
  const [focusIndex, setFocusIndex] = useState<number | null>(null);
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const stride = rowHeight + GAP;
  const matcher = useIconMatcher();

  useEffect(() => {
    if (matcher) void warmIcons({ entries, matcher });
  }, [entries, matcher]);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
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
  }, [entries.length, stride]);

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

  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const index = Number(target.dataset.index);
    if (!target.classList.contains('copy') || !Number.isInteger(index)) return;
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

  const [first, last] = range;
  const rows = [];
  for (let index = first; index < last && index < entries.length; index++) {
    rows.push(
      <CodeRow
        key={entries[index]!.id}
        index={index}
        top={index * stride}
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
      style={{ height: `${Math.max(0, entries.length * stride - GAP)}px` }}
      onKeyDown={onKeyDown}
    >
      {rows}
    </ul>
  );
}

interface RowProps extends CodeListProps {
  entry: VaultEntry;
  matcher: IconMatcher | null | undefined;
  index: number;
  top: number;
  hidden: boolean;
  onReveal(id: string): void;
}

function CodeRow({
  entry,
  index,
  top,
  now,
  hotpCodes,
  copiedId,
  pinnedIds,
  onActivate,
  onMore,
  entries,
  hidden,
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
    code = generateCode({ entry, time: Math.floor(seconds) });
    if (low) next = generateCode({ entry, time: Math.floor(seconds) + period });
    ring = <Ring period={period} elapsed={elapsed} step={Math.floor(seconds / period)} low={low} />;
  }
  const copied = copiedId === entry.id;
  const pinned = pinnedIds.has(entry.id);
  const who = `${label}${entry.account && entry.issuer ? `, ${entry.account}` : ''}`;
  const spoken = hidden
    ? `${who}: code hidden. Press to show it.`
    : code
      ? `${label}${entry.account && entry.issuer ? `, ${entry.account}` : ''}: ${spokenCode(code)}. Press to copy.`
      : `${label}${entry.account && entry.issuer ? `, ${entry.account}` : ''}: counter code. Press for the next code.`;
  return (
    <li
      class="row"
      style={{ transform: `translateY(${top}px)` }}
      aria-setsize={entries.length}
      aria-posinset={index + 1}
    >
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
