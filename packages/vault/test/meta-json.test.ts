import { describe, expect, it } from 'vitest';
import { openNodeVault } from '@tessera/vault/node';
import { Vault } from '@tessera/vault';
import { decodePayload, encodePayload } from '../src/payload.js';
import { keys, memory, tempHome, totpEntry } from './fixtures.js';

// The vault keeps each meta value's JSON text for its comparisons and writes (issue 14): these
// check that the kept text never outlives the value it was made from.

const open = (home: string) => openNodeVault({ home, keyStore: 'file' });

describe('meta JSON kept by the vault', () => {
  it('a write carries the meta another Vault object saved since, not the text this one kept', async () => {
    const home = tempHome();
    const first = await open(home);
    const second = await open(home);
    await first.setMeta('k', { n: 1 });
    expect(first.getMetaJson('k')).toBe('{"n":1}');
    await second.setMeta('k', { n: 2 });
    const entry = await first.add(totpEntry(1));
    expect(first.getMeta('k')).toEqual({ n: 2 });
    expect(first.getMetaJson('k')).toBe('{"n":2}');
    const again = await open(home);
    expect(again.getMeta('k')).toEqual({ n: 2 });
    expect(again.get(entry.id)).toBeDefined();
  });

  it('a failed write leaves the meta and its text as storage holds them', async () => {
    const { state, storage } = memory();
    const vault = await Vault.open({ storage, keys });
    await vault.setMeta('k', { n: 1 });
    state.failNext = true;
    await expect(vault.setMeta('k', { n: 2 })).rejects.toThrow('disk full');
    expect(vault.getMeta('k')).toEqual({ n: 1 });
    expect(vault.getMetaJson('k')).toBe('{"n":1}');
    await vault.add(totpEntry(1));
    expect((await Vault.open({ storage, keys })).getMeta('k')).toEqual({ n: 1 });
  });

  it('a value given with its text is stored as that text, whatever the caller does to it afterwards', async () => {
    const home = tempHome();
    const vault = await open(home);
    const value = { list: [1] };
    const saved = vault.updateMeta({ k: value }, { k: JSON.stringify(value) });
    value.list.push(2);
    await saved;
    expect(vault.getMeta('k')).toEqual({ list: [1] });
    expect((await open(home)).getMeta('k')).toEqual({ list: [1] });
    // Unchanged text: no write.
    const generation = vault.generation;
    await vault.updateMeta({ k: { list: [1] } }, { k: '{"list":[1]}' });
    expect(vault.generation).toBe(generation);
  });

  it('the payload written from kept text is byte for byte JSON.stringify of its layout', () => {
    const meta = { b: { x: 'é\u2028"' }, 10: [1, null], a: 0.1 };
    const content = {
      deviceId: '0123456789abcdef',
      hlc: '1796605129788:0000:0123456789abcdef',
      records: [],
      meta,
    };
    const expected = JSON.stringify({
      v: 1,
      deviceId: content.deviceId,
      hlc: content.hlc,
      meta,
      clocks: [],
      clockFields: [],
      records: [],
    });
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    expect(text(encodePayload(content))).toBe(expected);
    expect(text(encodePayload({ ...content, metaJson: JSON.stringify(meta) }))).toBe(expected);
    expect(decodePayload(encodePayload(content)).meta).toEqual(meta);
  });
});
