import { formatUri, type OtpEntry } from '@tessera/otp';
import type { ExportResult } from '../types.js';
import { utf8 } from '../util/text.js';

/** One Key URI per line: readable by Aegis, 2FAS, Ente, FreeOTP+ and Tessera's `otpauth` reader. */
export function exportOtpauth(entries: OtpEntry[]): ExportResult {
  const text = entries.map((e) => formatUri(e)).join('\n') + (entries.length > 0 ? '\n' : '');
  return { files: [{ name: 'tessera-otpauth.txt', mime: 'text/plain', bytes: utf8(text) }], text };
}
