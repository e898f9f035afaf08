/**
 * Issuer icons: matching against the real Simple Icons data (the index the web build serves is made
 * from it by the same function), the lettered tile, and the entry's synced icon choice.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import {
  createIconMatcher,
  iconChoiceOf,
  iconIndexDocument,
  ICON_NONE,
  letterTile,
  parseIconChoice,
  parseIconIndex,
  resolveIcon,
  type SimpleIconsDataEntry,
} from '@tessera/vault';
import { tempHome, totpEntry } from './fixtures.js';

const require = createRequire(import.meta.url);
const data = JSON.parse(
  readFileSync(require.resolve('simple-icons/icons.json'), 'utf8'),
) as SimpleIconsDataEntry[];
// The document goes through JSON as it does over HTTP.
const index = parseIconIndex({
  json: JSON.parse(JSON.stringify(iconIndexDocument({ data, version: 'test' }))),
});
const matcher = createIconMatcher({ index });
const slugOf = (issuer: string, sites?: string[]) => matcher.match({ issuer, sites })?.slug;

describe('icon matching', () => {
  it('keeps every icon of the set in the index', () => {
    expect(index.icons).toHaveLength(data.length);
    expect(index.icons.length).toBeGreaterThan(3000);
  });

  it('matches known issuers whatever their case, spacing and punctuation', () => {
    expect(slugOf('GitHub')).toBe('github');
    expect(slugOf('github')).toBe('github');
    expect(slugOf('  GITHUB ')).toBe('github');
    expect(slugOf('Git Hub')).toBe('github');
    expect(slugOf('Google')).toBe('google');
    expect(slugOf('Gmail')).toBe('gmail');
    expect(slugOf('Digital-Ocean')).toBe('digitalocean');
    expect(slugOf('Battle.net')).toBe('battledotnet');
    expect(slugOf('Proton Mail')).toBe('protonmail');
    expect(slugOf('1Password')).toBe('1password');
  });

  it('drops words that do not name another brand, and follows aliases', () => {
    expect(slugOf('Google Account')).toBe('google');
    expect(slugOf('Apple ID')).toBe('apple');
    expect(slugOf('Coinbase, Inc.')).toBe('coinbase');
    expect(slugOf('Googlemail')).toBe('gmail');
    expect(slugOf('G Suite')).toBe('google');
    expect(slugOf('Twitter')).toBe('x'); // Simple Icons' own alias
    expect(slugOf('PSN')).toBe('playstation');
    expect(slugOf('Blizzard')).toBe('battledotnet');
    // Amazon Web Services asked for its icon to be removed: its aliases give the tile, not a wrong icon.
    expect(slugOf('Amazon Web Services')).toBeUndefined();
    expect(slugOf('AWS')).toBeUndefined();
  });

  it('matches by site when the issuer names nothing, and issuers that are domain names', () => {
    expect(slugOf('', ['accounts.google.com'])).toBe('google');
    expect(slugOf('Work login', ['gitlab.com'])).toBe('gitlab');
    expect(slugOf('', ['eu.battle.net'])).toBe('battledotnet');
    expect(slugOf('', ['online.barclays.co.uk'])).toBe('barclays');
    expect(slugOf('github.com')).toBe('github');
    // The issuer wins over the site.
    expect(slugOf('GitLab', ['github.com'])).toBe('gitlab');
  });

  it('gives no icon for unknown issuers and sites', () => {
    expect(slugOf('Acme Widgets Intranet')).toBeUndefined();
    expect(slugOf('Service 17')).toBeUndefined();
    expect(slugOf('', ['intranet.example.com'])).toBeUndefined();
    expect(slugOf('')).toBeUndefined();
    expect(resolveIcon({ entry: { issuer: 'Acme Widgets Intranet', account: 'a' }, matcher })).toMatchObject({
      kind: 'letter',
      letter: 'A',
    });
  });

  it('searches names and aliases, names that start with the query first', () => {
    const found = matcher.search({ query: 'git', limit: 5 }).map((i) => i.slug);
    expect(found).toHaveLength(5);
    expect(found).toContain('git');
    expect(found).toContain('github');
    expect(matcher.search({ query: 'twitter' }).map((i) => i.slug)).toContain('x');
    expect(matcher.search({ query: '  ' })).toEqual([]);
  });

  it('resolves a chosen icon, "none", and automatic', () => {
    const entry = { issuer: 'GitHub', account: 'alice' };
    expect(resolveIcon({ entry, matcher })).toMatchObject({ kind: 'icon', slug: 'github', hex: '181717' });
    expect(
      resolveIcon({ entry: { ...entry, icon: iconChoiceOf({ slug: 'gitlab' }) }, matcher }),
    ).toMatchObject({ kind: 'icon', slug: 'gitlab' });
    expect(resolveIcon({ entry: { ...entry, icon: ICON_NONE }, matcher })).toMatchObject({
      kind: 'letter',
      letter: 'G',
    });
    // Without the index (offline, never cached) every entry gets its tile.
    expect(resolveIcon({ entry, matcher: null })).toMatchObject({ kind: 'letter', letter: 'G' });
    // A value from a newer version reads as automatic; one naming a missing icon gives the tile.
    expect(parseIconChoice({ icon: 'other-set/thing' })).toEqual({ kind: 'auto' });
    expect(resolveIcon({ entry: { ...entry, icon: 'simple-icons/nosuchicon' }, matcher }).kind).toBe(
      'letter',
    );
  });

  it('letters and colours the tile from the name, the same for any case', () => {
    expect(letterTile({ issuer: 'github', account: '' })).toEqual(
      letterTile({ issuer: 'GitHub', account: 'x' }),
    );
    expect(letterTile({ issuer: '', account: 'émile@example.com' }).letter).toBe('É');
    expect(letterTile({ issuer: '  ', account: '' }).letter).toBe('?');
    const hues = new Set(
      ['A', 'B', 'C', 'D', 'E', 'F'].map((n) => letterTile({ issuer: n, account: '' }).hue),
    );
    expect(hues.size).toBeGreaterThan(3);
  });

  it('keeps only well-formed icons of a served index (slugs become paths, colours style values)', () => {
    const parsed = parseIconIndex({
      json: {
        set: 'simple-icons',
        version: '1',
        icons: [
          ['good', 'Good', 'a1b2c3'],
          ['../../v1/items', 'Escape', '000000'],
          ['css', 'Css', 'red;background:url(x)'],
          ['short'],
        ],
      },
    });
    expect(parsed.icons).toEqual([{ slug: 'good', title: 'Good', hex: 'A1B2C3', aliases: [] }]);
    expect(() => parseIconIndex({ json: '<html>' })).toThrow(/not a Simple Icons index/);
  });
});

describe('the icon choice of an entry', () => {
  const open = (home: string) => openNodeVault({ home, keyStore: 'file' });

  it('is stored, checked, cleared with null, and merged between devices like any display field', async () => {
    const phone = await open(tempHome());
    const laptop = await open(tempHome());
    const { id } = await phone.add(totpEntry(1, { issuer: 'GitHub' }));
    expect(phone.get(id)!.icon).toBeUndefined();
    await phone.update(id, { icon: iconChoiceOf({ slug: 'gitlab' }) });
    expect(phone.get(id)!.icon).toBe('simple-icons/gitlab');
    for (const bad of ['gitlab', 'simple-icons/Git Lab', 'simple-icons/../x', '', 'auto']) {
      await expect(phone.update(id, { icon: bad }), bad).rejects.toThrow(/^icon: must be "none" or/);
    }
    await laptop.applyRemote(phone.records());
    expect(laptop.get(id)!.icon).toBe('simple-icons/gitlab');
    // Concurrent choices: the later one wins on both devices.
    await laptop.update(id, { icon: ICON_NONE });
    await phone.update(id, { icon: null });
    await laptop.applyRemote(phone.records());
    await phone.applyRemote(laptop.records());
    expect(laptop.record(id)).toEqual(phone.record(id));
    expect(phone.get(id)!.icon).toBeUndefined();
    await laptop.update(id, { icon: ICON_NONE });
    await phone.applyRemote(laptop.records());
    expect(phone.get(id)!.icon).toBe('none');
  });

  it('comes in with imported entries when it is one this version reads', async () => {
    const vault = await open(tempHome());
    const { added } = await vault.addMany([
      { ...totpEntry(1), icon: 'simple-icons/github' },
      { ...totpEntry(2), icon: 'none' },
      { ...totpEntry(3), icon: 'from-the-future/x' },
    ]);
    expect(added.map((e) => e.icon)).toEqual(['simple-icons/github', 'none', undefined]);
  });

  it('is wiped with the rest of the content when the trash is emptied', async () => {
    const vault = await open(tempHome());
    const { id } = await vault.add(totpEntry(1, { issuer: 'GitHub' }));
    await vault.update(id, { icon: iconChoiceOf({ slug: 'github' }) });
    await vault.remove(id);
    await vault.purgeTrash({ all: true });
    expect(vault.record(id)!.entry.icon).toBeUndefined();
  });
});
