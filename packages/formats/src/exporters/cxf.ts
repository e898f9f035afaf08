import type { OtpEntry } from '@tessera/otp';
import type { ExportResult, SkippedEntry } from '../types.js';
import { base64Encode, randomBytes } from '../util/bytes.js';
import { labelOf } from '../util/entries.js';
import { utf8 } from '../util/text.js';

/**
 * FIDO Alliance Credential Exchange Format (CXF 1.0) document holding TOTP credentials only: one
 * account, one item per entry with a `totp` credential (secret Base32, period, digits, algorithm,
 * username, issuer). CXF has no HOTP or Steam credential type, so those are skipped with a reason.
 */
export const CXF_EXPORTER_RP_ID = 'tessera.local';

function b64url(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function exportCxf(
  entries: (OtpEntry & { tags?: string[] })[],
  now: number = Date.now(),
): ExportResult {
  const skipped: SkippedEntry[] = [];
  const items: unknown[] = [];
  const timestamp = Math.floor(now / 1000);
  entries.forEach((e, index) => {
    if (e.type !== 'totp') {
      skipped.push({
        index,
        label: labelOf(e.issuer, e.account),
        reason: `type: CXF has no ${e.type} credential (only totp)`,
      });
      return;
    }
    items.push({
      id: b64url(randomBytes(16)),
      creationAt: timestamp,
      modifiedAt: timestamp,
      title: e.issuer || e.account,
      credentials: [
        {
          type: 'totp',
          secret: e.secret,
          period: e.period,
          digits: e.digits,
          username: e.account,
          algorithm: e.algorithm.toLowerCase(),
          issuer: e.issuer,
        },
      ],
      ...(e.tags && e.tags.length > 0 ? { tags: e.tags } : {}),
    });
  });
  const doc = {
    version: { major: 1, minor: 0 },
    exporterRpId: CXF_EXPORTER_RP_ID,
    exporterDisplayName: 'Tessera',
    timestamp,
    accounts: [{ id: b64url(randomBytes(16)), username: '', email: '', collections: [], items }],
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  return {
    files: [{ name: 'tessera-cxf.json', mime: 'application/json', bytes: utf8(text) }],
    text,
    skipped,
  };
}
