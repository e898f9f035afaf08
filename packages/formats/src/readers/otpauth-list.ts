import type { FormatReader, ImportResult } from '../types.js';
import { checkEntryCount, EntryCollector } from '../util/entries.js';
import { contextOf, type FormatContext } from '../util/errors.js';
import { readText, sniff } from '../util/sniff.js';
import { entryFromUri, labelFromUri } from '../util/uri.js';

/**
 * Text with one Key URI per line (spec §8): plain lists, Aegis `.txt` exports, FreeOTP+ key-URI files,
 * Ente plain exports (with `codeDisplay`), Bitwarden's `steam://`. Blank lines are ignored; a line
 * that does not parse is skipped with its reason.
 */
const URI_LINE = /^(otpauth|steam|motp):\/\//i;

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Entries of URI-per-line text (also the plaintext of Ente's encrypted export). */
export function readUriLines(ctx: FormatContext, text: string): ImportResult {
  const all = lines(text);
  checkEntryCount(ctx, all.length);
  const collector = new EntryCollector(ctx);
  all.forEach((line, i) => collector.add(i, labelFromUri(line), () => entryFromUri(line)));
  return collector.result();
}

export const otpauthList: FormatReader = {
  id: 'otpauth',
  name: 'otpauth:// URI list',
  encrypted: false,
  detect(source) {
    const text = sniff(source).text;
    if (text === null) return false;
    const all = lines(text);
    return all.length > 0 && all.every((l) => URI_LINE.test(l));
  },
  read: async (source) => {
    const ctx = contextOf(otpauthList, source);
    return readUriLines(ctx, readText(ctx, source));
  },
};
