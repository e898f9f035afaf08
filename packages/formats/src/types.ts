import type { OtpEntry } from '@tessera/otp';

/** An entry read from another app, with the display data Tessera keeps (never notes or passwords). */
export interface ImportedEntry extends OtpEntry {
  tags?: string[];
  /** Icon choice (`VaultEntry.icon`); only Tessera's own backup carries one. */
  icon?: string;
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
  /** 1-based line, for formats with an entry per line. */
  line?: number;
  /** Issuer/account as far as they could be read, for the user to recognise it. */
  label: string;
  /** Which field failed and why, e.g. `digits: 12 is out of range 6..10`. */
  reason: string;
  /** Source file name, set when several files are imported together. */
  file?: string;
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

/** Options every reader receives. */
export interface ReadOptions {
  /** Password for encrypted files; readers throw `password-required` when it is missing and needed. */
  password?: string;
}

/**
 * One importable format. Each lives in `src/readers/<id>.ts` and is listed in `src/registry.ts`.
 * `detect` must be cheap and never throw: use `sniff()` from `util/sniff.ts`, which parses once per source.
 */
export interface FormatReader {
  /** Stable id, accepted by `--format`, e.g. `aegis`, `2fas`, `google-migration`. */
  id: string;
  /** Human name used in messages, e.g. `Aegis vault`. */
  name: string;
  /** Whether the app can write this format encrypted (shown by `listFormats`). */
  encrypted: boolean;
  detect(source: ImportSource): boolean;
  read(source: ImportSource, options: ReadOptions): Promise<ImportResult>;
  /** Several sources that together make one export (multi-part Google QR batches). */
  readMany?(sources: ImportSource[], options: ReadOptions): Promise<ImportResult>;
}

/**
 * Turns a container that is not itself a format (a QR image) into text sources, which then go through
 * format detection like any file. One image may hold several QR codes.
 */
export interface SourceDecoder {
  id: string;
  name: string;
  detect(source: ImportSource): boolean;
  decode(source: ImportSource): Promise<ImportSource[]>;
}

export type ExportFormat = 'otpauth' | 'google-qr' | 'aegis' | 'html' | 'tessera' | 'cxf';

export interface ExportedFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

export interface ExportResult {
  files: ExportedFile[];
  /** Text form where the export has one (otpauth list, migration URIs). */
  text?: string;
  /** Entries the format cannot carry (e.g. Steam in a Google export), with the reason. */
  skipped?: SkippedEntry[];
}
