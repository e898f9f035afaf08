/**
 * The zero-knowledge scan: does any byte string the server stores hold a secret or a label, in any
 * encoding a client or server might have used? Shared by the CLI and web end-to-end tests.
 */
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32Decode } from '@tessera/otp';

/**
 * Every form `bytes` can take inside stored data: raw, hex, and Base64 / Base64url at each of the
 * three alignments (inside a longer Base64 text the first and last characters depend on the
 * neighbouring bytes, so each alignment drops the partial groups).
 */
export function encodings(bytes: Buffer): (string | Buffer)[] {
  const forms: (string | Buffer)[] = [bytes, bytes.toString('hex')];
  for (let shift = 0; shift < 3; shift++) {
    const inner = bytes.subarray(shift);
    const usable = inner.subarray(0, inner.length - (inner.length % 3));
    if (usable.length >= 6) forms.push(usable.toString('base64'), usable.toString('base64url'));
  }
  return forms;
}

export interface Plaintexts {
  /** Base32 secrets: scanned as Base32 and as their raw bytes in every encoding. */
  secrets: string[];
  /** Labels, record JSON, passwords: scanned as UTF-8 text in every encoding (text case-insensitively). */
  texts: string[];
}

/** What of `plaintexts` appears in `data`, each as "what (form)"; empty when nothing leaked. */
export function findLeaks(data: Buffer, plaintexts: Plaintexts): string[] {
  const lower = data.toString('latin1').toLowerCase();
  const found = (needle: string | Buffer) =>
    typeof needle === 'string' ? lower.includes(needle.toLowerCase()) : data.includes(needle);
  const leaks: string[] = [];
  for (const secret of plaintexts.secrets) {
    const forms = [secret, ...encodings(Buffer.from(base32Decode(secret)))];
    for (const form of forms) if (found(form)) leaks.push(`secret ${secret} (${String(form).slice(0, 24)})`);
  }
  for (const text of plaintexts.texts) {
    for (const form of encodings(Buffer.from(text, 'utf8'))) {
      if (found(form)) leaks.push(`${text.slice(0, 40)} (${String(form).slice(0, 24)})`);
    }
  }
  return leaks;
}

/** Every file under `dir`, concatenated: SQLite databases with their journals, secrets, escrow. */
export function readTree(dir: string): Buffer {
  const files = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(d, e.name)) : e.isFile() ? [join(d, e.name)] : [],
    );
  return Buffer.concat(files(dir).map((f) => readFileSync(f)));
}
