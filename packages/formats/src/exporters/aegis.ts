import type { OtpEntry } from '@tessera/otp';
import type { ExportResult } from '../types.js';
import { gcmSeal } from '../util/aead.js';
import { base64Encode, hexEncode, randomBytes } from '../util/bytes.js';
import { scryptKey } from '../util/kdf.js';
import { utf8 } from '../util/text.js';

/**
 * Aegis vault JSON (spec §2, Aegis docs/vault.md), plain or encrypted exactly as Aegis writes it:
 * random 256-bit master key; one password slot with scrypt N=2^15, r=8, p=1, 32-byte salt wrapping it
 * with AES-256-GCM; content AES-256-GCM under the master key; nonces and tags stored apart, in hex.
 */
export const AEGIS_SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;

const exportContext = { file: 'aegis-export.json', formatId: 'aegis', formatName: 'Aegis vault' };

/** Vault content version 3, with one group per tag. */
function vaultContent(entries: (OtpEntry & { tags?: string[] })[]) {
  const groups = new Map<string, string>();
  for (const e of entries)
    for (const t of e.tags ?? []) if (!groups.has(t)) groups.set(t, globalThis.crypto.randomUUID());
  return {
    version: 3,
    entries: entries.map((e) => ({
      type: e.type,
      uuid: globalThis.crypto.randomUUID(),
      name: e.account,
      issuer: e.issuer,
      note: '',
      favorite: false,
      icon: null,
      info: {
        secret: e.secret,
        algo: e.algorithm,
        digits: e.digits,
        ...(e.type === 'hotp' ? { counter: e.counter ?? 0 } : { period: e.period ?? 30 }),
      },
      groups: (e.tags ?? []).map((t) => groups.get(t)!),
    })),
    groups: [...groups].map(([name, uuid]) => ({ uuid, name })),
    icons_optimized: true,
  };
}

export async function exportAegis(entries: OtpEntry[], password?: string): Promise<ExportResult> {
  const db = vaultContent(entries);
  if (password === undefined || password === '') {
    const text = JSON.stringify({ version: 1, header: { slots: null, params: null }, db }, null, 4);
    return {
      files: [{ name: 'aegis-export-plain.json', mime: 'application/json', bytes: utf8(text) }],
      text,
    };
  }
  const masterKey = randomBytes(32);
  const salt = randomBytes(32);
  const kek = await scryptKey(exportContext, 'slot', { password, salt, ...AEGIS_SCRYPT, dkLen: 32 });
  const slotNonce = randomBytes(12);
  const wrapped = gcmSeal({ key: kek, nonce: slotNonce, plaintext: masterKey });
  const dbNonce = randomBytes(12);
  const sealed = gcmSeal({ key: masterKey, nonce: dbNonce, plaintext: utf8(JSON.stringify(db, null, 4)) });
  const vault = {
    version: 1,
    header: {
      slots: [
        {
          type: 1,
          uuid: globalThis.crypto.randomUUID(),
          key: hexEncode(wrapped.subarray(0, 32)),
          key_params: { nonce: hexEncode(slotNonce), tag: hexEncode(wrapped.subarray(32)) },
          n: AEGIS_SCRYPT.N,
          r: AEGIS_SCRYPT.r,
          p: AEGIS_SCRYPT.p,
          salt: hexEncode(salt),
          repaired: true,
          is_backup: false,
        },
      ],
      params: { nonce: hexEncode(dbNonce), tag: hexEncode(sealed.subarray(sealed.length - 16)) },
    },
    db: base64Encode(sealed.subarray(0, sealed.length - 16)),
  };
  const text = JSON.stringify(vault, null, 4);
  return { files: [{ name: 'aegis-export.json', mime: 'application/json', bytes: utf8(text) }], text };
}
