import type { Algorithm, OtpType } from '@tessera/otp';
import type { FormatReader, ImportResult, ImportSource } from '../types.js';
import {
  decodeMigrationPayload,
  type MigrationPayload,
  type OtpParameters,
} from '../google/migration-proto.js';
import { base64Decode, base64Encode } from '../util/bytes.js';
import { EntryCollector, labelOf, type EntryInput } from '../util/entries.js';
import { contextOf, damaged, type FormatContext } from '../util/errors.js';
import { EntryProblem } from '../util/fields.js';
import { LIMITS } from '../util/limits.js';
import { readText, sniff } from '../util/sniff.js';

/**
 * Google Authenticator "Transfer accounts" QR payloads (`otpauth-migration://offline?data=…`),
 * one per line; several sources of one export (same batch_id) combine, and missing parts are reported.
 * Semantics follow Aegis `GoogleAuthInfo.parseExportUri` (spec §1).
 */
const ALGORITHMS: Record<number, Algorithm> = { 0: 'SHA1', 1: 'SHA1', 2: 'SHA256', 3: 'SHA512' };
const DIGITS: Record<number, number> = { 0: 6, 1: 6, 2: 8 };

function isMigrationText(text: string | null): boolean {
  return text !== null && /^\s*otpauth-migration:\/\//i.test(text);
}

/** Bytes of one `otpauth-migration://offline?data=` URI. */
function payloadBytes(ctx: FormatContext, uri: string, line: number): Uint8Array {
  const match = /^otpauth-migration:\/\/([^/?#]*)\/?\?(.*)$/i.exec(uri.trim());
  if (!match) throw damaged(ctx, `line ${line} is not an otpauth-migration URI`, { field: 'uri' });
  if (match[1]!.toLowerCase() !== 'offline')
    throw damaged(ctx, `line ${line}: host must be "offline"`, { field: 'uri' });
  const param = match[2]!.split('&').find((p) => p.startsWith('data='));
  if (!param) throw damaged(ctx, `line ${line} has no data parameter`, { field: 'data' });
  let value: string;
  try {
    value = decodeURIComponent(param.slice(5));
  } catch {
    throw damaged(ctx, `line ${line}: data is not valid percent-encoding`, { field: 'data' });
  }
  // Spec §1: some producers do not percent-encode '+', and form decoding turns it into a space.
  const bytes = base64Decode(value.replace(/ /g, '+'));
  if (!bytes) throw damaged(ctx, `line ${line}: data is not Base64`, { field: 'data' });
  return bytes;
}

function toInput(p: OtpParameters): EntryInput {
  const algorithm = ALGORITHMS[p.algorithm];
  if (!algorithm)
    throw new EntryProblem(
      'algorithm',
      p.algorithm === 4 ? 'MD5 is not supported' : `unknown value ${p.algorithm}`,
    );
  const digits = DIGITS[p.digits];
  if (!digits) throw new EntryProblem('digits', `unknown value ${p.digits}`);
  let type: OtpType;
  if (p.type === 0 || p.type === 2) type = 'totp';
  else if (p.type === 1) type = 'hotp';
  else throw new EntryProblem('type', `unknown value ${p.type}`);
  let issuer = p.issuer;
  let account = p.name;
  const colon = account.indexOf(':');
  if (!issuer && colon >= 0) {
    issuer = account.slice(0, colon);
    account = account.slice(colon + 1);
  } else if (issuer && account.startsWith(`${issuer}:`)) {
    account = account.slice(issuer.length + 1);
  }
  if (type === 'hotp' && p.counter > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EntryProblem('counter', 'larger than 2^53 - 1');
  }
  return {
    type,
    secret: p.secret,
    algorithm,
    digits,
    period: type === 'totp' ? 30 : null,
    counter: type === 'hotp' ? Number(p.counter) : null,
    issuer: issuer.trim(),
    account: account.trim(),
  };
}

interface Part {
  payload: MigrationPayload;
  /** The payload as Base64, to drop a QR code given twice. */
  key: string;
}

function collectParts(sources: ImportSource[]): Part[] {
  const parts: Part[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    const ctx = contextOf(googleMigration, source);
    const lines = readText(ctx, source)
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
    lines.forEach((line, i) => {
      const bytes = payloadBytes(ctx, line, i + 1);
      const key = base64Encode(bytes);
      if (seen.has(key)) return;
      seen.add(key);
      let payload: MigrationPayload;
      try {
        payload = decodeMigrationPayload(bytes, LIMITS.maxEntries);
      } catch (err) {
        throw damaged(ctx, `line ${i + 1}: not a valid MigrationPayload (${(err as Error).message})`, {
          field: 'data',
        });
      }
      parts.push({ payload, key });
    });
  }
  return parts;
}

/**
 * Parts of one export share batch_id and batch_size. Exports that leave batch_id at 0 cannot be told
 * apart by it, so a part is never dropped for sharing an index with another: only an identical QR code
 * given twice is.
 */
async function readMany(sources: ImportSource[]): Promise<ImportResult> {
  const first = sources[0]!;
  const ctx: FormatContext = {
    ...contextOf(googleMigration, first),
    file: sources.map((s) => s.name).join(', '),
  };
  const batches = new Map<string, { id: number; size: number; parts: Part[] }>();
  for (const part of collectParts(sources)) {
    const size = Math.max(1, part.payload.batchSize);
    const key = `${part.payload.batchId}/${size}`;
    const batch = batches.get(key) ?? { id: part.payload.batchId, size, parts: [] };
    batches.set(key, batch);
    batch.parts.push(part);
  }
  const collector = new EntryCollector(ctx);
  let index = 0;
  for (const batch of batches.values()) {
    const parts = [...batch.parts].sort((a, b) => a.payload.batchIndex - b.payload.batchIndex);
    for (const part of parts) {
      for (const p of part.payload.otpParameters)
        collector.add(index++, labelOf(p.issuer, p.name), () => toInput(p));
    }
    const present = new Set(parts.map((p) => p.payload.batchIndex));
    for (let i = 0; i < batch.size && i < 1000; i++) {
      if (!present.has(i)) {
        collector.skip(
          -1,
          `QR code ${i + 1} of ${batch.size} (batch ${batch.id})`,
          'missing: import every QR code of this export together',
        );
      }
    }
  }
  return collector.result();
}

export const googleMigration: FormatReader = {
  id: 'google-migration',
  name: 'Google Authenticator export (otpauth-migration)',
  encrypted: false,
  detect: (source) => isMigrationText(sniff(source).text),
  read: (source) => readMany([source]),
  readMany: (sources) => readMany(sources),
};
