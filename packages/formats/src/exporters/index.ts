import { normalizeEntry, type OtpEntry } from '@tessera/otp';
import { sealBackup, type BackupEntry } from '../tessera-backup.js';
import { FormatError, type ExportFormat, type ExportResult, type SkippedEntry } from '../types.js';
import type { Argon2Params } from '../util/kdf.js';
import { decodeUtf8 } from '../util/text.js';
import { exportAegis } from './aegis.js';
import { exportCxf } from './cxf.js';
import { exportGoogleQr, migrationUris } from './google-qr.js';
import { exportHtml } from './html.js';
import { exportOtpauth } from './otpauth.js';

export const EXPORT_FORMATS: readonly ExportFormat[] = [
  'otpauth',
  'google-qr',
  'aegis',
  'html',
  'tessera',
  'cxf',
];

type ExportInput = OtpEntry & { tags?: string[]; icon?: string };

/**
 * Entry fields only (vault entries carry ids, order and flags that no export format holds); the icon
 * choice only for Tessera's own backup, the one format that has a place for it.
 */
function clean(entry: ExportInput, withIcon = false): BackupEntry {
  const e: BackupEntry = normalizeEntry(entry);
  if (entry.tags && entry.tags.length > 0) e.tags = [...entry.tags];
  if (withIcon && entry.icon) e.icon = entry.icon;
  return e;
}

/**
 * What `format` cannot carry of `entries`, without writing anything, so an app can say so before the
 * file is saved (the same reasons `exportEntries` reports in `skipped`).
 */
export function exportLimits(
  entries: (OtpEntry & { tags?: string[] })[],
  format: ExportFormat,
): SkippedEntry[] {
  const cleaned = entries.map((entry) => clean(entry));
  if (format === 'google-qr') return migrationUris(cleaned).skipped;
  if (format === 'cxf') return exportCxf(cleaned).skipped ?? [];
  return [];
}

/**
 * Writes entries in an open format. `password` encrypts `aegis` and is required by `tessera`;
 * `kdf` overrides the Tessera backup's Argon2id cost (tests use a small one).
 */
export async function exportEntries(opts: {
  entries: ExportInput[];
  format: ExportFormat;
  password?: string;
  kdf?: Argon2Params;
}): Promise<ExportResult> {
  const entries = opts.entries.map((entry) => clean(entry, opts.format === 'tessera'));
  switch (opts.format) {
    case 'otpauth':
      return exportOtpauth(entries);
    case 'google-qr':
      return exportGoogleQr(entries);
    case 'aegis':
      return exportAegis(entries, opts.password);
    case 'html':
      return exportHtml(entries);
    case 'cxf':
      return exportCxf(entries);
    case 'tessera': {
      if (opts.password === undefined || opts.password === '') {
        throw new FormatError(
          'password-required',
          'a Tessera backup is always encrypted: give a password (--password-file or TESSERA_PASSWORD)',
          {
            format: 'tessera',
          },
        );
      }
      const bytes = await sealBackup({
        entries,
        password: opts.password,
        ...(opts.kdf ? { kdf: opts.kdf } : {}),
      });
      return {
        files: [{ name: 'tessera-backup.json', mime: 'application/json', bytes }],
        text: decodeUtf8(bytes) ?? '',
      };
    }
    default:
      throw new FormatError(
        'unknown-format',
        `unknown export format "${String(opts.format)}"; use ${EXPORT_FORMATS.join(', ')}`,
      );
  }
}
