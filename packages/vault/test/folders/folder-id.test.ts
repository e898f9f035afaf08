/**
 * Folder ids are typed as command arguments (`tessera folder accept ID`): an id starting with '-' was
 * read as an unknown option, which failed an invite for about one folder in 32.
 */
import { describe, expect, it } from 'vitest';
import { newFolderId } from '../../src/folders/client/create.js';
import { fromB64u } from '../../src/keychain/bytes.js';

describe('newFolderId', () => {
  it('starts with a letter even when the random bytes would give "-" or "_"', () => {
    for (const first of [0xf8, 0xfc, 0xff]) {
      const id = newFolderId((n) => new Uint8Array(n).fill(first));
      expect(id).toMatch(/^[A-Za-z]/);
      expect(fromB64u(id)).toHaveLength(16);
    }
  });

  it('keeps the other bits random', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newFolderId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-f][A-Za-z0-9_-]{21}$/);
  });
});
