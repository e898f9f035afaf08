/**
 * Emits the Simple Icons set (CC0) into the build as static files the app fetches one at a time:
 * `icons/index.json` (slug, name, brand colour, aliases; what matching and the picker need) and one
 * `icons/<slug>.svg` per icon. None of it is in the app's JavaScript, and the service worker does not
 * precache it (vite.config.ts): a device fetches the index and the icons its entries show, and keeps
 * those for offline use.
 *
 * Each SVG is written anew from the icon's path data alone, checked to be path commands and numbers,
 * so what the app loads is a single filled path and nothing else: no script, link or style can ride
 * along, whatever the upstream file held. The app shows them with <img>, which runs nothing anyway.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { iconIndexDocument, type SimpleIconsDataEntry } from '../../vault/src/icons.js';

const require = createRequire(import.meta.url);
const PATH_DATA = /^[MmLlHhVvCcSsQqTtAaZz0-9.,\s+\-eE]+$/;
const SLUG = /^[a-z0-9_]{1,64}$/;
const HEX = /^[0-9A-Fa-f]{6}$/;

/** WCAG relative luminance of a six-digit hex colour. */
function luminance(hex: string): number {
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** White or black, whichever reads better on the brand colour the tile is filled with. */
export function glyphColour(hex: string): '#FFFFFF' | '#000000' {
  const l = luminance(hex);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#FFFFFF' : '#000000';
}

/** The SVG of one icon: its path, filled to contrast with the tile's brand colour. */
export function iconSvg({ path, hex }: { path: string; hex: string }): string {
  if (!PATH_DATA.test(path)) throw new Error('icon path data holds more than path commands');
  if (!HEX.test(hex)) throw new Error('icon colour is not six hex digits');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="${glyphColour(hex)}" d="${path}"/></svg>`;
}

/** The Vite plugin: emits `icons/index.json` and `icons/<slug>.svg` for every icon of the set. */
export function simpleIcons(): Plugin {
  return {
    name: 'tessera-simple-icons',
    apply: 'build',
    async generateBundle() {
      const dataFile = require.resolve('simple-icons/icons.json');
      const data = JSON.parse(readFileSync(dataFile, 'utf8')) as SimpleIconsDataEntry[];
      const { version } = JSON.parse(readFileSync(join(dirname(dataFile), '..', 'package.json'), 'utf8')) as {
        version: string;
      };
      // Node's own require, not an import: the extension's build loads this plugin through Vite's
      // module runner, which is closed by the time the bundle is written.
      const icons = Object.values(require('simple-icons') as Record<string, unknown>) as {
        slug: string;
        path: string;
        hex: string;
      }[];
      const paths = new Map(icons.map((icon) => [icon.slug, icon]));
      const kept = data.filter((entry) => SLUG.test(entry.slug) && paths.has(entry.slug));
      for (const entry of kept) {
        const icon = paths.get(entry.slug)!;
        this.emitFile({ type: 'asset', fileName: `icons/${entry.slug}.svg`, source: iconSvg(icon) });
      }
      this.emitFile({
        type: 'asset',
        fileName: 'icons/index.json',
        source: JSON.stringify(iconIndexDocument({ data: kept, version })),
      });
    },
  };
}
