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

/** The non-blank lines, each with its 1-based line number in the file. */
function lines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '');
}

/**
 * Entries of URI-per-line text (also the plaintext of Ente's encrypted export). A line that is not a
 * URI is skipped and named by its line number; the others still import.
 */
export function readUriLines(ctx: FormatContext, text: string): ImportResult {
  const all = lines(text);
  checkEntryCount(ctx, all.length);
  const collector = new EntryCollector(ctx);
  all.forEach(({ line, text }, i) => {
    if (!URI_LINE.test(text)) {
      collector.skip(i, '', 'not an otpauth:// URI', line);
      return;
    }
    collector.add(i, labelFromUri(text), () => entryFromUri(text), line);
  });
  return collector.result();
}

export const otpauthList: FormatReader = {
  id: 'otpauth',
  name: 'otpauth:// URI list',
  encrypted: false,
  detect(source) {
    const text = sniff(source).text;
    if (text === null) return false;
    // Mostly URIs: a list with a stray bad line is still a list, and its good lines must import.
    const all = lines(text);
    const uris = all.filter((l) => URI_LINE.test(l.text)).length;
    return uris > 0 && uris * 2 >= all.length;
  },
  read: async (source) => {
    const ctx = contextOf(otpauthList, source);
    return readUriLines(ctx, readText(ctx, source));
  },
};
