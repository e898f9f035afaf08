/**
 * Builders of other apps' files for the reader tests (Authy, Stratum, FreeOTP, Google/Microsoft
 * Authenticator databases, TOTP Authenticator, Battle.net, Raivo, Authenticator Plus, Proton Pass).
 * They use implementations independent of the readers where one exists: node:crypto for PBKDF2,
 * AES-CBC and AES-GCM, @noble/hashes for Argon2id (the reader uses hash-wasm), better-sqlite3 (native
 * SQLite; the readers use sql.js), and a Java serialization writer written here to OpenJDK's layout
 * (the reference files are Android's).
 */
import { argon2id } from '@noble/hashes/argon2.js';
import Database from 'better-sqlite3';
import { createCipheriv, createHash, pbkdf2Sync, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { base32Decode } from '@tessera/otp';

const enc = (s: string) => Buffer.from(s, 'utf8');

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An Android SharedPreferences file: strings as text, numbers as int, booleans as boolean. */
export function prefsXml(prefs: Record<string, string | number | boolean>): string {
  const lines = Object.entries(prefs).map(([name, value]) => {
    if (typeof value === 'string')
      return `    <string name="${xmlEscape(name)}">${xmlEscape(value)}</string>`;
    const tag = typeof value === 'number' ? 'int' : 'boolean';
    return `    <${tag} name="${xmlEscape(name)}" value="${value}" />`;
  });
  return `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n${lines.join('\n')}\n</map>\n`;
}

/** Raw bytes as Java's signed bytes (-128..127), as Gson writes byte[]. */
export function javaBytes(bytes: Uint8Array): number[] {
  return [...bytes].map((b) => (b > 127 ? b - 256 : b));
}

export function secretBytes(base32: string): Uint8Array {
  return base32Decode(base32);
}

export function cbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

/** AES-GCM, Java style: ciphertext ‖ 16-byte tag. */
export function gcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Buffer {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce);
  if (aad) c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

export const pbkdf2 = (
  password: string,
  salt: Uint8Array,
  iterations: number,
  hash: 'sha1' | 'sha256' | 'sha512',
) => pbkdf2Sync(enc(password), salt, iterations, 32, hash);

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** Argon2id as Stratum derives its backup key (t=3, m=64 MiB, p=4). */
export function stratumKey(password: string, salt: Uint8Array): Uint8Array {
  return argon2id(enc(password), salt, { t: 3, m: 64 * 1024, p: 4, dkLen: 32 });
}

export { randomBytes };

/** An SQLite database made by running `statements`, returned as bytes (written to a temp dir). */
export function sqliteBytes(statements: string[]): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-sqlite-'));
  try {
    const file = path.join(dir, 'db.sqlite');
    const db = new Database(file);
    for (const sql of statements) db.exec(sql);
    db.close();
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sqlString = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);

/**
 * A serialized java.util.HashMap<String, String> in OpenJDK's layout (fields loadFactor and
 * threshold; Android writes only loadFactor). Values longer than 65535 bytes use TC_LONGSTRING, and a
 * value equal to an earlier string is written as a back-reference, as ObjectOutputStream does.
 */
export function javaStringMap(entries: [string, string][]): Uint8Array {
  const out: number[] = [];
  const u8 = (n: number) => out.push(n & 0xff);
  const u16 = (n: number) => out.push((n >>> 8) & 0xff, n & 0xff);
  const i32 = (n: number) => out.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const utf = (s: string) => {
    const b = enc(s);
    u16(b.length);
    out.push(...b);
  };
  let nextHandle = 0x7e0000;
  const handles = new Map<string, number>();
  const string = (s: string) => {
    const known = handles.get(s);
    if (known !== undefined) {
      u8(0x71);
      i32(known);
      return;
    }
    handles.set(s, nextHandle++);
    const b = enc(s);
    if (b.length > 0xffff) {
      u8(0x7c);
      i32(0);
      i32(b.length);
    } else {
      u8(0x74);
      u16(b.length);
    }
    for (const x of b) out.push(x);
  };
  u16(0xaced);
  u16(5);
  u8(0x73); // TC_OBJECT
  u8(0x72); // TC_CLASSDESC
  utf('java.util.HashMap');
  out.push(0x05, 0x07, 0xda, 0xc1, 0xc3, 0x16, 0x60, 0xd1); // serialVersionUID
  nextHandle++; // the class description
  u8(0x03); // SC_WRITE_METHOD | SC_SERIALIZABLE
  u16(2);
  u8('F'.charCodeAt(0));
  utf('loadFactor');
  u8('I'.charCodeAt(0));
  utf('threshold');
  u8(0x78); // end of class annotation
  u8(0x70); // no superclass
  nextHandle++; // the map object
  out.push(0x3f, 0x40, 0x00, 0x00); // loadFactor 0.75f
  i32(12); // threshold
  u8(0x77); // TC_BLOCKDATA
  u8(8);
  i32(16); // buckets
  i32(entries.length);
  for (const [k, v] of entries) {
    string(k);
    string(v);
  }
  u8(0x78);
  return new Uint8Array(out);
}

/** A ZIP made with zip.js: AES (WinZip AE-2) when a password is given, or ZipCrypto when asked. */
export async function zipBytes(
  files: { name: string; data: string | Uint8Array }[],
  opts: { password?: string; zipCrypto?: boolean } = {},
): Promise<Uint8Array> {
  const zip = await import('@zip.js/zip.js');
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter(), {
    useWebWorkers: false,
    ...(opts.password
      ? { password: opts.password, zipCrypto: opts.zipCrypto ?? false, encryptionStrength: 3 }
      : {}),
  });
  for (const f of files) {
    const data = typeof f.data === 'string' ? enc(f.data) : f.data;
    await writer.add(f.name, new zip.Uint8ArrayReader(new Uint8Array(data)));
  }
  return writer.close();
}
