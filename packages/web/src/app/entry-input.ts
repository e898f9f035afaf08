import { parseUri, type OtpEntry } from '@tessera/otp';

/** What a scanned, pasted or pictured text holds: entries ready to add, or an error to show. */
export interface ParsedInput {
  entries: OtpEntry[];
  /** Entries of a multi-entry export that could not be read, with the reason. */
  skipped: string[];
}

/**
 * Turns the text of a QR code or a pasted link into entries: `otpauth://` with the OTP engine,
 * `otpauth-migration://` (Google Authenticator export) with the formats package, loaded only then.
 * Throws an Error whose message says what was wrong.
 */
export async function entriesFromText(text: string): Promise<ParsedInput> {
  const trimmed = text.trim();
  if (/^otpauth:\/\//i.test(trimmed)) return { entries: [parseUri(trimmed)], skipped: [] };
  if (/^otpauth-migration:\/\//i.test(trimmed)) {
    const { importFiles } = await import('../platform/formats.js');
    const result = await importFiles({
      sources: [{ name: 'the scanned code', bytes: new TextEncoder().encode(trimmed) }],
    });
    return { entries: result.entries, skipped: result.skipped.map((s) => `${s.label}: ${s.reason}`) };
  }
  if (trimmed === '') throw new Error('Nothing to read: the text is empty.');
  throw new Error(
    'This is not a two-factor code: expected a link starting with otpauth:// or otpauth-migration://.',
  );
}
