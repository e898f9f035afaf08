import type { FormatReader } from '../types.js';
import { EntryCollector, labelOf } from '../util/entries.js';
import { contextOf, unsupported } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { isObject } from '../util/json.js';
import { readJson, sniff } from '../util/sniff.js';

/**
 * FIDO Alliance Credential Exchange Format (CXF 1.0): a header `{version: {major, minor},
 * exporterRpId, exporterDisplayName, timestamp, accounts: [{id, username, email, collections, items:
 * [{id, title, credentials: [{type, …}], tags?}]}]}`. Only `type: "totp"` credentials are read
 * (secret Base32, period, digits, algorithm sha1/sha256/sha512, username, issuer); every other
 * credential type (passwords, passkeys, notes…) is ignored. The spec says importers MUST ignore
 * totp credentials with an unknown algorithm: they are reported as skipped so the user sees them.
 */
function isCxf(json: unknown): boolean {
  return (
    isObject(json) &&
    isObject(json.version) &&
    typeof json.version.major === 'number' &&
    typeof json.exporterRpId === 'string' &&
    Array.isArray(json.accounts)
  );
}

const ALGORITHMS = ['sha1', 'sha256', 'sha512'];

export const cxf: FormatReader = {
  id: 'cxf',
  name: 'FIDO Credential Exchange Format (CXF)',
  encrypted: false,
  detect: (source) => isCxf(sniff(source).json),
  async read(source) {
    const ctx = contextOf(cxf, source);
    const doc = expectObject(ctx, readJson(ctx, source));
    const major = isObject(doc.version) ? doc.version.major : undefined;
    if (major !== 1) throw unsupported(ctx, `CXF version.major ${String(major)} (this reader knows 1)`);
    const collector = new EntryCollector(ctx);
    let index = 0;
    for (const account of expectArray(ctx, doc.accounts, 'accounts')) {
      if (!isObject(account)) continue;
      for (const item of expectArray(ctx, account.items, 'accounts[].items')) {
        if (!isObject(item) || !Array.isArray(item.credentials)) continue;
        const title = typeof item.title === 'string' ? item.title.trim() : '';
        const tags = Array.isArray(item.tags)
          ? item.tags.filter((t): t is string => typeof t === 'string')
          : [];
        for (const credential of item.credentials) {
          if (!isObject(credential) || credential.type !== 'totp') continue;
          const c = Fields.of(credential);
          const label = labelOf(credential.issuer ?? title, credential.username);
          const algorithm = String(credential.algorithm ?? '').toLowerCase();
          if (!ALGORITHMS.includes(algorithm)) {
            collector.skip(
              index++,
              label,
              `algorithm: unknown "${String(credential.algorithm)}" (CXF: ignored)`,
            );
            continue;
          }
          collector.add(index++, label, () => ({
            type: 'totp',
            secret: c.str('secret'),
            algorithm: algorithm.toUpperCase(),
            digits: c.num('digits'),
            period: c.num('period'),
            issuer: c.optStr('issuer') || title,
            account: c.optStr('username') ?? '',
            ...(tags.length > 0 ? { tags } : {}),
          }));
        }
      }
    }
    return collector.result();
  },
};
