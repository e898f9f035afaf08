import { normalizeEntry, OtpError } from '@tessera/otp';
import type { ImportedEntry, ImportResult, SkippedEntry } from '../types.js';
import { tooLarge, type FormatContext } from './errors.js';
import { EntryProblem } from './fields.js';
import { LIMITS } from './limits.js';

/**
 * What a reader hands over for one entry, loosely typed (values come from files): normalizeEntry
 * validates every field and fills the defaults.
 */
export interface EntryInput {
  type?: string;
  secret: string | Uint8Array;
  algorithm?: string;
  digits?: number;
  period?: number | null;
  counter?: number | null;
  issuer?: string;
  account?: string;
  extra?: Record<string, string>;
  tags?: string[];
  icon?: string;
}

/** Refuses a file with more entries than LIMITS.maxEntries before any work is done on them. */
export function checkEntryCount(ctx: FormatContext, count: number): void {
  if (count > LIMITS.maxEntries) {
    throw tooLarge(ctx, `${count} entries, more than the limit of ${LIMITS.maxEntries}`);
  }
}

/**
 * Collects the entries of one file. Each entry is built and validated on its own: an OtpError or
 * EntryProblem skips that entry with a reason naming the field, and the rest still import.
 */
export class EntryCollector {
  readonly entries: ImportedEntry[] = [];
  readonly skipped: SkippedEntry[] = [];

  constructor(readonly ctx: FormatContext) {}

  /**
   * Builds entry `index` with `build` and validates it. `label` is what the user recognises
   * ("Issuer (account)"), computed defensively since the entry may be broken.
   */
  add(index: number, label: string, build: () => EntryInput, line?: number): void {
    checkEntryCount(this.ctx, this.entries.length + this.skipped.length + 1);
    try {
      const { tags, icon, ...input } = build();
      const entry: ImportedEntry = normalizeEntry(input as Parameters<typeof normalizeEntry>[0]);
      if (tags && tags.length > 0) entry.tags = tags;
      if (icon) entry.icon = icon;
      this.entries.push(entry);
    } catch (err) {
      if (err instanceof OtpError || err instanceof EntryProblem) {
        this.skip(index, label, `${err.field}: ${err.reason}`, line);
      } else throw err;
    }
  }

  /** `line` (1-based) names where a text format's entry sits, which a person can find in an editor. */
  skip(index: number, label: string, reason: string, line?: number): void {
    this.skipped.push(line === undefined ? { index, label, reason } : { index, line, label, reason });
  }

  result(): ImportResult {
    return { format: this.ctx.formatId, entries: this.entries, skipped: this.skipped };
  }
}

/** "Issuer (account)" from whatever could be read, for skipped-entry reports. */
export function labelOf(issuer: unknown, account: unknown): string {
  const i = typeof issuer === 'string' ? issuer.trim() : '';
  const a = typeof account === 'string' ? account.trim() : '';
  if (i && a) return `${i} (${a})`;
  return i || a || '(unnamed)';
}

/**
 * The common loop of list-shaped formats: caps the count, then builds each entry on its own
 * (a bad entry is skipped with its reason).
 */
export function collectEntries(
  ctx: FormatContext,
  list: readonly unknown[],
  label: (raw: unknown) => string,
  build: (raw: unknown) => EntryInput,
): ImportResult {
  checkEntryCount(ctx, list.length);
  const collector = new EntryCollector(ctx);
  list.forEach((raw, i) => {
    let name = '(unnamed)';
    try {
      name = label(raw);
    } catch {
      // A label is only for the report; a broken one must not stop the import.
    }
    collector.add(i, name, () => build(raw));
  });
  return collector.result();
}

/** A label function reading issuer and account keys of a JSON object. */
export function labelFrom(issuerKey: string | undefined, accountKey: string): (raw: unknown) => string {
  return (raw) => {
    const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    return labelOf(issuerKey ? o[issuerKey] : undefined, o[accountKey]);
  };
}
