import {
  FormatError,
  type FormatReader,
  type ImportResult,
  type ImportSource,
  type ReadOptions,
  type SourceDecoder,
} from './types.js';
import { LIMITS } from './util/limits.js';
import { endsEarly, sniff } from './util/sniff.js';
import { aegis } from './readers/aegis.js';
import { andotp } from './readers/andotp.js';
import { bitwardenCsv, bitwardenJson } from './readers/bitwarden.js';
import { duo } from './readers/duo.js';
import { enteEncrypted } from './readers/ente.js';
import { freeotpPlus } from './readers/freeotp-plus.js';
import { googleMigration } from './readers/google-migration.js';
import { lastpass } from './readers/lastpass.js';
import { otpauthList } from './readers/otpauth-list.js';
import { proton } from './readers/proton.js';
import { steamFile } from './readers/steam.js';
import { tesseraBackup } from './readers/tessera.js';
import { twofas } from './readers/twofas.js';
import { authenticatorPlus } from './readers/authenticator-plus.js';
import { authy } from './readers/authy.js';
import { battleNet } from './readers/battle-net.js';
import { freeotp } from './readers/freeotp.js';
import { freeotpPlusInternal } from './readers/freeotp-plus-internal.js';
import { freeotpV2 } from './readers/freeotp-v2.js';
import { googleAuthenticatorDb } from './readers/google-authenticator-db.js';
import { microsoftAuthenticatorDb } from './readers/microsoft-authenticator-db.js';
import { protonPass } from './readers/proton-pass.js';
import { raivo } from './readers/raivo.js';
import { stratum } from './readers/stratum.js';
import { totpAuthenticator } from './readers/totp-authenticator.js';
import { qrImage } from './qr/image-source.js';
import { cxf } from './readers/cxf.js';
import { dashlaneJson } from './readers/dashlane-json.js';
import { enpass } from './readers/enpass.js';
import { keepass } from './readers/keepass.js';
import { onePassword1pux } from './readers/one-password-1pux.js';
import {
  applePasswordsCsv,
  dashlaneCsv,
  nordpassCsv,
  onePasswordCsv,
} from './readers/password-manager-csv.js';

/**
 * Every importable format. ORDER MATTERS: the first reader whose detect() answers true reads the file,
 * so specific formats come before generic ones and heuristic fallbacks come last.
 * To add a reader: import it and put it in the right group (one line each).
 */
export const readers: FormatReader[] = [
  // JSON formats
  tesseraBackup,
  cxf, // header with version{major}, exporterRpId and accounts[]
  aegis,
  twofas,
  enteEncrypted,
  proton,
  bitwardenJson,
  freeotpPlus,
  lastpass,
  steamFile,
  duo,
  raivo, // JSON array with kind/timer, or its AES ZIP
  enpass, // items[] with fields[] beside folders[]
  dashlaneJson, // AUTHENTIFIANT[] at the top
  // XML, binary and database formats
  stratum, // JSON, encrypted .bin (magic header) and SQLite
  authy,
  freeotp, // before freeotpPlusInternal: same tokens.xml layout
  freeotpPlusInternal,
  freeotpV2,
  battleNet,
  googleAuthenticatorDb,
  microsoftAuthenticatorDb,
  authenticatorPlus,
  protonPass,
  keepass, // KDBX signature
  onePassword1pux, // ZIP with export.data and export.attributes
  // text formats
  googleMigration,
  otpauthList,
  bitwardenCsv,
  applePasswordsCsv,
  onePasswordCsv,
  dashlaneCsv,
  nordpassCsv,
  // heuristic fallbacks (no magic number): keep last
  totpAuthenticator, // its backup is bare Base64 text (its preferences XML is specific)
  andotp, // plain JSON arrays, or any unrecognised binary (andOTP has no magic number)
];

/** Containers turned into text sources before detection (QR images). */
export const decoders: SourceDecoder[] = [qrImage];

export function findReader(id: string): FormatReader | undefined {
  return readers.find((r) => r.id === id);
}

/** The id of the format (or decoder) that would read this source, or null when none recognises it. */
export function detectFormat(source: ImportSource): string | null {
  for (const d of decoders) if (safeDetect(d, source)) return d.id;
  for (const r of readers) if (safeDetect(r, source)) return r.id;
  return null;
}

/** Every format Tessera can import, for `--format` and the web app's picker. */
export function listFormats(): { id: string; name: string; encrypted: boolean }[] {
  return [
    ...readers.map((r) => ({ id: r.id, name: r.name, encrypted: r.encrypted })),
    ...decoders.map((d) => ({ id: d.id, name: d.name, encrypted: false })),
  ];
}

function safeDetect(r: { detect(s: ImportSource): boolean }, source: ImportSource): boolean {
  try {
    return r.detect(source);
  } catch {
    return false;
  }
}

function checkSize(source: ImportSource): void {
  if (source.bytes.length > LIMITS.maxFileBytes) {
    throw new FormatError(
      'too-large',
      `${source.name}: ${source.bytes.length} bytes, more than the limit of ${LIMITS.maxFileBytes}`,
      {
        file: source.name,
      },
    );
  }
}

function unknownFormat(source: ImportSource): FormatError {
  const problem = sniff(source).jsonProblem;
  if (problem?.kind === 'too-deep') {
    return new FormatError(
      'too-large',
      `${source.name}: JSON nested ${problem.depth} levels deep (limit ${LIMITS.maxJsonDepth})`,
      {
        file: source.name,
      },
    );
  }
  if (problem?.kind === 'syntax' && problem.truncated) return endsEarly(source.name);
  return new FormatError(
    'unknown-format',
    `${source.name}: not a format Tessera recognises${problem ? ` (invalid JSON: ${problem.message})` : ''}; name it with --format (see the list of formats)`,
    { file: source.name },
  );
}

/** Runs a reader; anything but a typed error (a reader bug on strange input) becomes `damaged`. */
async function guarded(
  reader: FormatReader,
  sources: ImportSource[],
  run: () => Promise<ImportResult>,
): Promise<ImportResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FormatError) throw err;
    const file = sources.map((s) => s.name).join(', ');
    const why = err instanceof Error ? err.message : String(err);
    throw new FormatError('damaged', `${file}: damaged ${reader.name} file: ${why}`, {
      file,
      format: reader.id,
    });
  }
}

async function expand(sources: ImportSource[]): Promise<ImportSource[]> {
  const out: ImportSource[] = [];
  for (const source of sources) {
    const decoder = decoders.find((d) => safeDetect(d, source));
    if (!decoder) out.push(source);
    else out.push(...(await decoder.decode(source)));
  }
  return out;
}

function pickReader(source: ImportSource, format: string | undefined): FormatReader {
  if (format !== undefined) {
    const reader = findReader(format);
    if (!reader) {
      throw new FormatError(
        'unknown-format',
        `unknown format "${format}"; known: ${readers.map((r) => r.id).join(', ')}`,
        {
          format,
        },
      );
    }
    return reader;
  }
  const reader = readers.find((r) => safeDetect(r, source));
  if (!reader) throw unknownFormat(source);
  return reader;
}

/**
 * Imports one file, or several that belong together (several QR images of one Google export). Files
 * of different formats may be given together; their results are concatenated, skipped entries naming
 * their file.
 */
export async function importFiles(opts: {
  sources: ImportSource[];
  format?: string;
  password?: string;
}): Promise<ImportResult> {
  if (opts.sources.length === 0) throw new FormatError('unknown-format', 'no file to import');
  opts.sources.forEach(checkSize);
  const format = opts.format && decoders.some((d) => d.id === opts.format) ? undefined : opts.format;
  const sources = await expand(opts.sources);
  if (sources.length === 0)
    throw new FormatError('damaged', `${opts.sources.map((s) => s.name).join(', ')}: nothing to import`);
  const readOptions: ReadOptions = opts.password === undefined ? {} : { password: opts.password };
  const picked = sources.map((s) => pickReader(s, format));
  const first = picked[0]!;
  if (sources.length === 1) return guarded(first, sources, () => first.read(sources[0]!, readOptions));
  if (first.readMany && picked.every((r) => r === first)) {
    return guarded(first, sources, () => first.readMany!(sources, readOptions));
  }
  const merged: ImportResult = { format: '', entries: [], skipped: [] };
  const ids: string[] = [];
  for (const [i, source] of sources.entries()) {
    const reader = picked[i]!;
    const result = await guarded(reader, [source], () => reader.read(source, readOptions));
    if (!ids.includes(result.format)) ids.push(result.format);
    merged.entries.push(...result.entries);
    merged.skipped.push(...result.skipped.map((s) => ({ ...s, file: s.file ?? source.name })));
    if (merged.entries.length > LIMITS.maxEntries) {
      throw new FormatError('too-large', `more than ${LIMITS.maxEntries} entries in the files given`);
    }
  }
  merged.format = ids.join('+');
  return merged;
}
