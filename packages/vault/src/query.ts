import { VaultError } from './errors.js';
import { entryLabel } from './record.js';
import type { VaultEntry } from './types.js';

/**
 * Entries a query names, case-insensitively. An entry whose id, issuer, account or
 * "issuer:account" equals the query is an exact match; exact matches win over partial ones.
 * Otherwise every word of the query must occur in the issuer or the account.
 */
export function findEntries(entries: readonly VaultEntry[], query: string): VaultEntry[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const exact = entries.filter((e) => {
    const issuer = e.issuer.toLowerCase();
    const account = e.account.toLowerCase();
    return e.id === q || issuer === q || account === q || `${issuer}:${account}` === q;
  });
  if (exact.length > 0) return exact;
  const words = q.split(/\s+/);
  return entries.filter((e) => {
    const text = `${e.issuer}\n${e.account}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/** A query that matched several entries; `matches` lets the caller list them. */
export class AmbiguousQueryError extends VaultError {
  override name = 'AmbiguousQueryError';
  constructor(
    readonly query: string,
    readonly matches: VaultEntry[],
  ) {
    super(
      'ambiguous',
      `"${query}" matches ${matches.length} entries: ${matches.map(entryLabel).join(', ')}; be more specific (e.g. "issuer:account")`,
    );
  }
}

/** The one entry `query` names; throws `not-found` or AmbiguousQueryError. */
export function findOneEntry(entries: readonly VaultEntry[], query: string): VaultEntry {
  const matches = findEntries(entries, query);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new VaultError('not-found', `no entry matches "${query}"`);
  throw new AmbiguousQueryError(query, matches);
}
