import type { VaultEntry } from './types.js';

/** How a list of entries is sorted; pinned entries come first in each. */
export type SortMode = 'name' | 'used' | 'manual';

export const SORT_MODES: readonly SortMode[] = ['manual', 'name', 'used'];

/** Whether `value` names a sort mode. */
export function isSortMode(value: unknown): value is SortMode {
  return typeof value === 'string' && (SORT_MODES as readonly string[]).includes(value);
}

const byName = (a: VaultEntry, b: VaultEntry): number =>
  (a.issuer || a.account).localeCompare(b.issuer || b.account, undefined, { sensitivity: 'base' }) ||
  a.account.localeCompare(b.account, undefined, { sensitivity: 'base' }) ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The manual order: by position key (code-unit order, never locale order: the keys are digits);
 * entries without one (made before manual order existed, or by an older client) after those with
 * one, by their old `order` number, then by name. Equal keys (two devices that placed two entries
 * in the same gap at once) fall back to the name, so every device shows the same list.
 */
export function compareManual(a: VaultEntry, b: VaultEntry): number {
  if (a.position !== undefined && b.position !== undefined) {
    if (a.position !== b.position) return a.position < b.position ? -1 : 1;
    return byName(a, b);
  }
  if (a.position !== undefined) return -1;
  if (b.position !== undefined) return 1;
  return a.order - b.order || byName(a, b);
}

/**
 * `entries` in the order of `sort` (a new array), pinned entries first. `uses` (entry id → count,
 * this device's copies and reveals, see `Vault.uses`) orders "most used"; ties there go by name.
 */
export function sortEntries({
  entries,
  sort = 'manual',
  uses,
}: {
  entries: readonly VaultEntry[];
  sort?: SortMode;
  uses?: ReadonlyMap<string, number>;
}): VaultEntry[] {
  const within =
    sort === 'name'
      ? byName
      : sort === 'used'
        ? (a: VaultEntry, b: VaultEntry) => (uses?.get(b.id) ?? 0) - (uses?.get(a.id) ?? 0) || byName(a, b)
        : compareManual;
  return [...entries].sort((a, b) => Number(b.pinned === true) - Number(a.pinned === true) || within(a, b));
}
