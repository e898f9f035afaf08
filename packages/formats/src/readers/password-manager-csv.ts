import type { FormatReader, ImportSource } from '../types.js';
import { parseCsv } from '../util/csv.js';
import { EntryCollector, labelOf } from '../util/entries.js';
import { contextOf, damaged } from '../util/errors.js';
import { LIMITS } from '../util/limits.js';
import { readText, sniff } from '../util/sniff.js';
import { entryFromTotpField } from './bitwarden.js';

/**
 * CSV exports of password managers that keep a one-time-password column beside each login. The
 * column holds an otpauth URI or a bare Base32 secret (read as Bitwarden's `login_totp` is); the
 * item title and username fill what the value lacks. Passwords, notes and URLs are never kept.
 */
interface CsvLayout {
  id: string;
  name: string;
  /** Header names (case-insensitive) that must all be present for detection. */
  required: string[];
  /** Header names that must be absent (to tell apart layouts sharing columns). */
  absent?: string[];
  /** Candidate one-time-password columns, first found wins. */
  otp: string[];
  title: string;
  username: string;
}

function headerOf(text: string | null): string[] | null {
  if (text === null) return null;
  const end = text.indexOf('\n');
  const first = (end >= 0 ? text.slice(0, end) : text).replace(/^\uFEFF/, '');
  return first.split(',').map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
}

function matches(layout: CsvLayout, header: string[] | null): boolean {
  if (!header) return false;
  return (
    layout.required.every((h) => header.includes(h.toLowerCase())) &&
    !(layout.absent ?? []).some((h) => header.includes(h.toLowerCase()))
  );
}

function csvReader(layout: CsvLayout): FormatReader {
  const reader: FormatReader = {
    id: layout.id,
    name: layout.name,
    encrypted: false,
    detect: (source: ImportSource) => matches(layout, headerOf(sniff(source).text)),
    async read(source) {
      const ctx = contextOf(reader, source);
      let rows: string[][];
      try {
        rows = parseCsv(readText(ctx, source).replace(/^\uFEFF/, ''), LIMITS.maxEntries + 1);
      } catch (err) {
        throw damaged(ctx, (err as Error).message);
      }
      const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
      const col = (name: string) => header.indexOf(name.toLowerCase());
      const otpAt = layout.otp.map(col).find((i) => i >= 0) ?? -1;
      if (otpAt < 0) {
        throw damaged(
          ctx,
          `no one-time-password column in the header (expected ${layout.otp.join(' or ')})`,
          {
            field: layout.otp[0]!,
          },
        );
      }
      const collector = new EntryCollector(ctx);
      rows.forEach((row, i) => {
        const otp = row[otpAt]?.trim() ?? '';
        if (otp === '') return;
        const title = (row[col(layout.title)] ?? '').trim();
        const username = (row[col(layout.username)] ?? '').trim();
        collector.add(i, labelOf(title, username), () => entryFromTotpField(otp, title, username));
      });
      return collector.result();
    },
  };
  return reader;
}

/** Apple Passwords (macOS Passwords app, Safari, iCloud Keychain) "Export All Passwords" CSV. */
export const applePasswordsCsv = csvReader({
  id: 'apple-passwords',
  name: 'Apple Passwords CSV export',
  required: ['Title', 'URL', 'Username', 'Password', 'OTPAuth'],
  absent: ['Archived', 'Favorite'],
  otp: ['OTPAuth'],
  title: 'Title',
  username: 'Username',
});

/** 1Password 8 CSV export: Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes. */
export const onePasswordCsv = csvReader({
  id: '1password-csv',
  name: '1Password CSV export',
  required: ['Title', 'Username', 'OTPAuth', 'Archived'],
  otp: ['OTPAuth'],
  title: 'Title',
  username: 'Username',
});

/** Dashlane credentials.csv: username,username2,username3,title,password,note,url,category,otpSecret (or otpUrl). */
export const dashlaneCsv = csvReader({
  id: 'dashlane-csv',
  name: 'Dashlane CSV export',
  required: ['username', 'title', 'password', 'category'],
  otp: ['otpUrl', 'otpSecret'],
  title: 'title',
  username: 'username',
});

/**
 * NordPass CSV export (name,url,username,password,note,…,type,…); its one-time-password column
 * written as `totp` per the vendor's help page, not verified against a real file.
 */
export const nordpassCsv = csvReader({
  id: 'nordpass-csv',
  name: 'NordPass CSV export',
  required: ['name', 'url', 'username', 'password', 'note', 'totp'],
  otp: ['totp'],
  title: 'name',
  username: 'username',
});
