import type { OtpEntry } from '@tessera/otp';

/** An entry read from another app, with the display data Tessera keeps (never notes or passwords). */
export interface ImportedEntry extends OtpEntry {
  tags?: string[];
}

/** One input file (or pasted text) handed to an importer. Never a path: the browser has none. */
export interface ImportSource {
  /** File name as the user knows it; used in error messages and as a detection hint. */
  name: string;
  bytes: Uint8Array;
}

/** An entry that could not be imported, and why; the rest of the file still imports. */
export interface SkippedEntry {
  /** 0-based position in the file. */
  index: number;
  /** Issuer/account as far as they could be read, for the user to recognise it. */
  label: string;
  /** Which field failed and why, e.g. `digits: 12 is out of range 6..10`. */
  reason: string;
}

export interface ImportResult {
  /** Format id, e.g. `aegis`, `2fas`, `google-migration`. */
  format: string;
  entries: ImportedEntry[];
  skipped: SkippedEntry[];
}

export type FormatErrorCode =
  | 'unknown-format'
  | 'password-required'
  | 'wrong-password'
  | 'damaged'
  | 'unsupported'
  | 'too-large'
  | 'kdf-too-costly';

/** Every failure of an import or export: names the file, the format and, where known, entry and field. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly code: FormatErrorCode,
    message: string,
    readonly details: { file?: string; format?: string; entry?: number; field?: string } = {},
  ) {
    super(message);
  }
}
