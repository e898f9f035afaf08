/**
 * Encrypted test fixtures made the way each app makes them, with an implementation independent of the
 * readers: node:crypto (scrypt, PBKDF2, AES-GCM, AES-CBC, HMAC) and libsodium (Argon2id, secretstream)
 * instead of @noble and hash-wasm. Each follows docs/reference export-formats.md.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { argon2id } from '@noble/hashes/argon2.js';
import sodiumModule from 'libsodium-wrappers-sumo';

const enc = (s: string) => Buffer.from(s, 'utf8');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function sodium() {
  await sodiumModule.ready;
  return sodiumModule;
}

function gcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array) {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { ct, tag: c.getAuthTag() };
}

/** Aegis (§2): scrypt KEK wraps a random master key; content under the master key. */
export function aegisEncrypted(
  content: unknown,
  password: string,
  scrypt = { n: 2 ** 10, r: 8, p: 1 },
): string {
  const master = randomBytes(32);
  const salt = randomBytes(32);
  const kek = scryptSync(enc(password), salt, 32, {
    N: scrypt.n,
    r: scrypt.r,
    p: scrypt.p,
    maxmem: 256 * 1024 * 1024,
  });
  const slotNonce = randomBytes(12);
  const wrapped = gcm(kek, slotNonce, master);
  const dbNonce = randomBytes(12);
  const db = gcm(master, dbNonce, enc(JSON.stringify(content)));
  return JSON.stringify({
    version: 1,
    header: {
      slots: [
        {
          type: 2,
          uuid: 'bio',
          key: hex(randomBytes(32)),
          key_params: { nonce: hex(randomBytes(12)), tag: hex(randomBytes(16)) },
        },
        {
          type: 1,
          uuid: 'pw',
          key: hex(wrapped.ct),
          key_params: { nonce: hex(slotNonce), tag: hex(wrapped.tag) },
          ...scrypt,
          salt: hex(salt),
          repaired: true,
          is_backup: false,
        },
      ],
      params: { nonce: hex(dbNonce), tag: hex(db.tag) },
    },
    db: b64(db.ct),
  });
}

/** 2FAS (§3): `b64(ct‖tag):b64(salt):b64(iv)`, PBKDF2-SHA256 ×10 000, 256-byte salt. */
export function twofasEncrypted(services: unknown[], password: string, schemaVersion = 4): string {
  const salt = randomBytes(256);
  const key = pbkdf2Sync(enc(password), salt, 10_000, 32, 'sha256');
  const seal = (text: string) => {
    const iv = randomBytes(12);
    const { ct, tag } = gcm(key, iv, enc(text));
    return `${b64(Buffer.concat([ct, tag]))}:${b64(salt)}:${b64(iv)}`;
  };
  return JSON.stringify({
    services: [],
    groups: [],
    updatedAt: 0,
    schemaVersion,
    appOrigin: 'android',
    servicesEncrypted: seal(JSON.stringify(services)),
    reference: seal('reference'),
  });
}

/** andOTP new format (§4): int32BE iterations ‖ salt12 ‖ nonce12 ‖ ct ‖ tag, PBKDF2-HMAC-SHA1. */
export function andotpEncrypted(entries: unknown[], password: string, iterations = 1000): Uint8Array {
  const salt = randomBytes(12);
  const nonce = randomBytes(12);
  const key = pbkdf2Sync(enc(password), salt, iterations, 32, 'sha1');
  const { ct, tag } = gcm(key, nonce, enc(JSON.stringify(entries)));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(iterations);
  return Buffer.concat([header, salt, nonce, ct, tag]);
}

/** andOTP old format: nonce12 ‖ ct ‖ tag under SHA-256(password). */
export function andotpOldEncrypted(entries: unknown[], password: string): Uint8Array {
  const nonce = randomBytes(12);
  const { ct, tag } = gcm(
    createHash('sha256').update(password).digest(),
    nonce,
    enc(JSON.stringify(entries)),
  );
  return Buffer.concat([nonce, ct, tag]);
}

/** HKDF-Expand (RFC 5869 §2.3) for one block, which is all a 32-byte SHA-256 output needs. */
function hkdfExpand32(prk: Uint8Array, info: string): Buffer {
  return createHmac('sha256', prk)
    .update(Buffer.concat([enc(info), Buffer.from([1])]))
    .digest();
}

function encString(keys: { enc: Buffer; mac: Buffer }, text: string): string {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', keys.enc, iv);
  const ct = Buffer.concat([c.update(enc(text)), c.final()]);
  const mac = createHmac('sha256', keys.mac)
    .update(Buffer.concat([iv, ct]))
    .digest();
  return `2.${b64(iv)}|${b64(ct)}|${b64(mac)}`;
}

/** Bitwarden password-protected export (§5.2), PBKDF2 (kdfType 0) or Argon2id (kdfType 1, one lane). */
export async function bitwardenEncrypted(
  exportJson: unknown,
  password: string,
  kdf: { type: 0; iterations: number } | { type: 1; iterations: number; memoryMiB: number },
): Promise<string> {
  const salt = b64(randomBytes(16));
  let key: Uint8Array;
  if (kdf.type === 0) key = pbkdf2Sync(enc(password), enc(salt), kdf.iterations, 32, 'sha256');
  else {
    // libsodium only takes 16-byte salts and Bitwarden's is 32 (SHA-256 of the salt text): use
    // @noble/hashes' Argon2id, which is independent of the reader's hash-wasm.
    const saltHash = createHash('sha256').update(salt).digest();
    key = argon2id(enc(password), saltHash, { t: kdf.iterations, m: kdf.memoryMiB * 1024, p: 1, dkLen: 32 });
  }
  const keys = { enc: hkdfExpand32(key, 'enc'), mac: hkdfExpand32(key, 'mac') };
  return JSON.stringify({
    encrypted: true,
    passwordProtected: true,
    salt,
    kdfType: kdf.type,
    kdfIterations: kdf.iterations,
    kdfMemory: kdf.type === 1 ? kdf.memoryMiB : null,
    kdfParallelism: kdf.type === 1 ? 1 : null,
    encKeyValidation_DO_NOT_EDIT: encString(keys, '2f1c4b7e-0d38-4f5a-9e6b-3c2d1a0b9f8e'),
    data: encString(keys, JSON.stringify(exportJson)),
  });
}

/** Ente (§6.2): libsodium crypto_pwhash + one secretstream message; header = encryptionNonce. */
export async function enteEncrypted(
  plainText: string,
  password: string,
  opts: { memLimit?: number; opsLimit?: number; final?: boolean } = {},
): Promise<string> {
  const s = await sodium();
  const memLimit = opts.memLimit ?? 8 * 1024 * 1024;
  const opsLimit = opts.opsLimit ?? 1;
  const salt = s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
  const key = s.crypto_pwhash(32, enc(password), salt, opsLimit, memLimit, s.crypto_pwhash_ALG_ARGON2ID13);
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const tag = opts.final
    ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const sealed = s.crypto_secretstream_xchacha20poly1305_push(state, enc(plainText), null, tag);
  return JSON.stringify({
    version: 1,
    kdfParams: { memLimit, opsLimit, salt: b64(salt) },
    encryptedData: b64(sealed),
    encryptionNonce: b64(header),
  });
}

/** Proton (§7.3): Argon2id 19 MiB / 2 passes / 1 lane, AES-256-GCM nonce ‖ ct ‖ tag with AAD. */
export async function protonEncrypted(plainJson: unknown, password: string): Promise<string> {
  const s = await sodium();
  const salt = s.randombytes_buf(16);
  const key = s.crypto_pwhash(32, enc(password), salt, 2, 19 * 1024 * 1024, s.crypto_pwhash_ALG_ARGON2ID13);
  const nonce = randomBytes(12);
  const { ct, tag } = gcm(key, nonce, enc(JSON.stringify(plainJson)), enc('proton.authenticator.export.v1'));
  return JSON.stringify({ version: 1, salt: b64(salt), content: b64(Buffer.concat([nonce, ct, tag])) });
}

// --- protobuf, written byte by byte (independent of @bufbuild/protobuf) ---------------------------

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const lenField = (no: number, bytes: number[]) => [(no << 3) | 2, ...varint(bytes.length), ...bytes];
const intField = (no: number, value: number | bigint) => [(no << 3) | 0, ...varint(value)];

export interface MigrationOtp {
  secret: number[];
  name: string;
  issuer: string;
  algorithm: number;
  digits: number;
  type: number;
  counter?: number;
}

/** A MigrationPayload (§1) as a `otpauth-migration://offline?data=` URI. */
export function migrationUri(otps: MigrationOtp[], batch = { size: 1, index: 0, id: 123456789 }): string {
  const bytes: number[] = [];
  for (const o of otps) {
    const p = [
      ...lenField(1, o.secret),
      ...lenField(2, [...enc(o.name)]),
      ...lenField(3, [...enc(o.issuer)]),
      ...intField(4, o.algorithm),
      ...intField(5, o.digits),
      ...intField(6, o.type),
      ...(o.counter !== undefined ? intField(7, o.counter) : []),
    ];
    bytes.push(...lenField(1, p));
  }
  bytes.push(
    ...intField(2, 1),
    ...intField(3, batch.size),
    ...intField(4, batch.index),
    ...intField(5, batch.id),
  );
  return `otpauth-migration://offline?data=${encodeURIComponent(b64(Uint8Array.from(bytes)))}`;
}
