import type { Locator } from 'playwright-core';

/**
 * What the issuer tile of each row shows, by the row's label (the text of `labelSelector` in it, a
 * pinned row's ★ dropped): `icon:<slug>` once its image has loaded, `loading:<slug>` before,
 * `letter:<L>` for a lettered tile, `blank` while the icon index loads, `none` without a tile.
 * The web app's list and the extension's popup draw the same tile (`IssuerIcon`).
 */
export async function rowTiles(rows: Locator, labelSelector: string): Promise<Record<string, string>> {
  return rows.evaluateAll(
    (elements, selector) =>
      Object.fromEntries(
        elements.map((row) => {
          const label = row.querySelector(selector)?.textContent?.replace('★', '').trim() ?? '';
          const tile = row.querySelector<HTMLElement>('.tile');
          const img = tile?.querySelector('img');
          const shown = !tile
            ? 'none'
            : tile.dataset.icon
              ? img && img.complete && img.naturalWidth > 0
                ? `icon:${tile.dataset.icon}`
                : `loading:${tile.dataset.icon}`
              : tile.dataset.letter
                ? `letter:${tile.dataset.letter}`
                : 'blank';
          return [label, shown];
        }),
      ),
    labelSelector,
  );
}
