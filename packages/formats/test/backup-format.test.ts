import { readFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { argon2id } from '@noble/hashes/argon2.js';
import { describe, expect, it } from 'vitest';
import { importFiles } from '../src/index.js';
import { ALICE, source } from './helpers.js';

const doc = readFileSync(new URL('../../../docs/BACKUP-FORMAT.md', import.meta.url), 'utf8');
const example = /<!-- example:start -->\s*```json\n([\s\S]*?)```\s*<!-- example:end -->/.exec(doc)![1]!;
const PASSWORD = 'correct horse battery staple';

describe('docs/BACKUP-FORMAT.md', () => {
  it('its worked example imports with the documented password', async () => {
    const r = await importFiles({ sources: [source('example.json', example)], password: PASSWORD });
    expect(r.format).toBe('tessera');
    expect(r.entries).toEqual([{ ...ALICE, tags: ['Personal'] }]);
  });

  it('the byte layout it describes decrypts the example (independent Argon2id, AD built from the table)', () => {
    const env = JSON.parse(example);
    const salt = Buffer.from(env.kdf.salt, 'base64');
    const nonce = Buffer.from(env.cipher.nonce, 'base64');
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    const ad = Buffer.concat([
      Buffer.from('tessera-backup\n', 'ascii'),
      u32(1),
      u32(env.kdf.memoryKiB),
      u32(env.kdf.iterations),
      u32(env.kdf.parallelism),
      u32(salt.length),
      salt,
      nonce,
    ]);
    expect(ad.length).toBe(75);
    const key = argon2id(Buffer.from(PASSWORD, 'utf8'), salt, {
      m: env.kdf.memoryKiB,
      t: env.kdf.iterations,
      p: env.kdf.parallelism,
      dkLen: 32,
    });
    const plain = xchacha20poly1305(key, nonce, ad).decrypt(Buffer.from(env.ciphertext, 'base64'));
    expect(JSON.parse(Buffer.from(plain).toString('utf8'))).toMatchObject({
      version: 1,
      entries: [{ issuer: 'Example', tags: ['Personal'] }],
    });
  });

  it('a newer version is refused with a message to update', async () => {
    const newer = JSON.stringify({ ...JSON.parse(example), version: 2 });
    await expect(importFiles({ sources: [source('new.json', newer)], password: PASSWORD })).rejects.toThrow(
      /backup version 2 is not supported .* update Tessera/,
    );
  });
});
