import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { gcmEncrypt, javaBytes, javaStringMap, pbkdf2, randomBytes, secretBytes } from './app-fixtures.js';
import { readJavaStringMap } from '../src/util/java-serialization.js';
import { core, SAMPLE, source } from './helpers.js';

/** DER of GCMParameters: SEQUENCE { OCTET STRING nonce, INTEGER tag length 16 } (RFC 5084 §3.2). */
const gcmParameters = (nonce: Uint8Array) => Uint8Array.from([0x30, 17, 0x04, 12, ...nonce, 0x02, 0x01, 16]);

/** An encrypted key as FreeOTP writes it (mToken, the key algorithm name, is the GCM AAD). */
function encryptedKey(key: Uint8Array, plaintext: Uint8Array, token: string) {
  const nonce = randomBytes(12);
  const ct = gcmEncrypt(key, nonce, plaintext, Buffer.from(token));
  return {
    mCipher: 'AES/GCM/NoPadding',
    mCipherText: javaBytes(ct),
    mParameters: javaBytes(gcmParameters(nonce)),
    mToken: token,
  };
}

/** A FreeOTP 2 externalBackup.xml: serialized HashMap of masterKey, <uuid> and <uuid>-token. */
function backup(
  password: string,
  entries = SAMPLE.filter((e) => e.type !== 'steam'),
  hash: 'sha1' | 'sha512' = 'sha512',
) {
  const master = randomBytes(32);
  const salt = randomBytes(32);
  const masterKey = {
    mAlgorithm: hash === 'sha1' ? 'PBKDF2withHmacSHA1' : 'PBKDF2withHmacSHA512',
    mEncryptedKey: encryptedKey(pbkdf2(password, salt, 1000, hash), master, 'AES'),
    mIterations: 1000,
    mSalt: javaBytes(salt),
  };
  const map: [string, string][] = [['masterKey', JSON.stringify(masterKey)]];
  entries.forEach((e, i) => {
    const uuid = `00000000-0000-4000-8000-00000000000${i}`;
    const tokenJson = {
      algo: e.algorithm,
      counter: e.counter ?? 0,
      digits: e.digits,
      issuerExt: e.issuer,
      label: e.account,
      period: e.period ?? 30,
      type: e.type.toUpperCase(),
    };
    map.push([`${uuid}-token`, JSON.stringify(tokenJson)]);
    map.push([
      uuid,
      JSON.stringify({
        key: JSON.stringify(encryptedKey(master, secretBytes(e.secret), `Hmac${e.algorithm}`)),
      }),
    ]);
  });
  return { bytes: javaStringMap(map), entries };
}

describe('FreeOTP 2 backups (Java-serialized, PBKDF2 + AES-GCM)', () => {
  it('decrypts every token with the backup password (SHA-512 and SHA-1 key derivation)', async () => {
    for (const hash of ['sha512', 'sha1'] as const) {
      const { bytes, entries } = backup('pw', undefined, hash);
      const file = source('externalBackup.xml', bytes);
      expect(detectFormat(file)).toBe('freeotp-v2');
      const r = await importFiles({ sources: [file], password: 'pw' });
      expect(r.format).toBe('freeotp-v2');
      expect(r.skipped).toEqual([]);
      expect(r.entries.map(core)).toEqual(entries.map(core));
    }
  });

  it('says the password is wrong or missing, naming the format', async () => {
    const { bytes } = backup('right');
    const wrong = (await importFiles({ sources: [source('b.xml', bytes)], password: 'wrong' }).catch(
      (e) => e,
    )) as FormatError;
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toContain('FreeOTP');
    const missing = (await importFiles({ sources: [source('b.xml', bytes)] }).catch((e) => e)) as FormatError;
    expect(missing.code).toBe('password-required');
  });

  it('caps the iteration count read from the file before deriving', async () => {
    const { bytes } = backup('pw');
    const map = readJavaStringMap(bytes);
    map.set('masterKey', map.get('masterKey')!.replace('"mIterations":1000', '"mIterations":2000000000'));
    const err = (await importFiles({
      sources: [source('b.xml', javaStringMap([...map]))],
      password: 'pw',
    }).catch((e) => e)) as FormatError;
    expect(err.code).toBe('kdf-too-costly');
    expect(err.message).toContain('mIterations');
  });

  it('names the master key field that holds something other than bytes', async () => {
    const { bytes } = backup('pw');
    const map = readJavaStringMap(bytes);
    map.set('masterKey', map.get('masterKey')!.replace('"mSalt":[', '"mSalt":[999,'));
    const err = (await importFiles({
      sources: [source('b.xml', javaStringMap([...map]))],
      password: 'pw',
    }).catch((e) => e)) as FormatError;
    expect(err).toMatchObject({ code: 'damaged', details: { field: 'masterKey.mSalt' } });
    expect(err.message).toMatch(/\(field masterKey\.mSalt\): item 0 is not a byte$/);
  });

  it('skips a token whose metadata is missing, naming it, and imports the rest', async () => {
    const { bytes, entries } = backup('pw');
    const map = readJavaStringMap(bytes);
    map.delete('00000000-0000-4000-8000-000000000001-token');
    const r = await importFiles({ sources: [source('b.xml', javaStringMap([...map]))], password: 'pw' });
    expect(r.entries.map(core)).toEqual(entries.filter((_, i) => i !== 1).map(core));
    expect(r.skipped).toEqual([
      { index: 1, label: '(unnamed)', reason: '00000000-0000-4000-8000-000000000001-token: is missing' },
    ]);
  });

  it('refuses a truncated backup as damaged, with the byte offset', async () => {
    const { bytes } = backup('pw');
    const err = (await importFiles({
      sources: [source('b.xml', bytes.subarray(0, 300))],
      password: 'pw',
    }).catch((e) => e)) as FormatError;
    expect(err.code).toBe('damaged');
    expect(err.message).toMatch(/unexpected end of data .* at byte \d+/);
  });
});
