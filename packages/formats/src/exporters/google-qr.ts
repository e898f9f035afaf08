import { base32Decode, type OtpEntry } from '@tessera/otp';
import { encodeMigrationPayload, MIGRATION_PREFIX, type OtpParameters } from '../google/migration-proto.js';
import type { ExportResult, SkippedEntry } from '../types.js';
import { base64Encode, randomBytes } from '../util/bytes.js';
import { labelOf } from '../util/entries.js';
import { qrPng } from './qr.js';

/**
 * Google Authenticator "Transfer accounts" QR codes (spec §1, as Aegis `Export.getUri` writes them).
 * Entries are packed greedily into batches whose URI stays short enough for a QR code a phone reads
 * easily from a screen; each batch shares one random batch_id. The payload cannot carry Steam
 * entries, periods other than 30 s or digits other than 6 and 8: those are reported, not exported.
 */
export const MAX_MIGRATION_URI_LENGTH = 1000;

const ALGORITHM: Record<OtpEntry['algorithm'], number> = { SHA1: 1, SHA256: 2, SHA512: 3 };

function why(entry: OtpEntry): string | null {
  if (entry.type === 'steam') return 'type: Steam entries cannot be carried by a Google export';
  if (entry.digits !== 6 && entry.digits !== 8)
    return `digits: ${entry.digits} cannot be carried by a Google export (6 or 8 only)`;
  if (entry.type === 'totp' && entry.period !== 30)
    return `period: ${entry.period} s cannot be carried by a Google export (30 s only)`;
  return null;
}

function toParameters(entry: OtpEntry): OtpParameters {
  return {
    secret: base32Decode(entry.secret),
    name: entry.account,
    issuer: entry.issuer,
    algorithm: ALGORITHM[entry.algorithm],
    digits: entry.digits === 8 ? 2 : 1,
    type: entry.type === 'hotp' ? 1 : 2,
    counter: BigInt(entry.counter ?? 0),
  };
}

function uriOf(params: OtpParameters[], batch: { size: number; index: number; id: number }): string {
  const bytes = encodeMigrationPayload({
    otpParameters: params,
    version: 1,
    batchSize: batch.size,
    batchIndex: batch.index,
    batchId: batch.id,
  });
  return MIGRATION_PREFIX + encodeURIComponent(base64Encode(bytes));
}

/** The migration URIs for `entries`, plus the entries that cannot be carried. */
export function migrationUris(entries: OtpEntry[]): { uris: string[]; skipped: SkippedEntry[] } {
  const skipped: SkippedEntry[] = [];
  const groups: OtpParameters[][] = [];
  let current: OtpParameters[] = [];
  entries.forEach((entry, index) => {
    const reason = why(entry);
    if (reason) {
      skipped.push({ index, label: labelOf(entry.issuer, entry.account), reason });
      return;
    }
    const p = toParameters(entry);
    // Batch fields are at most 11 bytes; measure with a placeholder of the largest size.
    if (
      current.length > 0 &&
      uriOf([...current, p], { size: 0x7fffffff, index: 0x7fffffff, id: 0x7fffffff }).length >
        MAX_MIGRATION_URI_LENGTH
    ) {
      groups.push(current);
      current = [];
    }
    current.push(p);
  });
  if (current.length > 0) groups.push(current);
  const id = new DataView(randomBytes(4).buffer).getUint32(0) & 0x7fffffff;
  return { uris: groups.map((params, index) => uriOf(params, { size: groups.length, index, id })), skipped };
}

export async function exportGoogleQr(entries: OtpEntry[]): Promise<ExportResult> {
  const { uris, skipped } = migrationUris(entries);
  const files = [];
  for (const [i, uri] of uris.entries()) {
    files.push({
      name: `google-authenticator-${i + 1}-of-${uris.length}.png`,
      mime: 'image/png',
      bytes: await qrPng(uri),
    });
  }
  return { files, text: uris.join('\n') + (uris.length > 0 ? '\n' : ''), skipped };
}
