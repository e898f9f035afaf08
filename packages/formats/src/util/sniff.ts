import { FormatError, type ImportSource } from '../types.js';
import { damaged, tooLarge, type FormatContext } from './errors.js';
import { parseJsonBounded, type JsonProblem } from './json.js';
import { LIMITS } from './limits.js';
import { decodeText } from './text.js';

/** What a source looks like, computed once per source so every reader's detect() stays cheap. */
export interface Sniffed {
  /** Decoded text, or null for binary data. */
  text: string | null;
  /** Parsed JSON when the text is JSON; undefined otherwise. */
  json: unknown;
  /** Why the text is not JSON (only when it starts like JSON). */
  jsonProblem?: JsonProblem;
  /** Container signature by magic bytes. */
  magic: 'zip' | 'png' | 'jpeg' | 'sqlite' | 'gzip' | null;
}

const cache = new WeakMap<Uint8Array, Sniffed>();

function startsWith(bytes: Uint8Array, sig: number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

function magicOf(bytes: Uint8Array): Sniffed['magic'] {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]))
    return 'zip';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  // "SQLite format 3\0"
  if (
    startsWith(
      bytes,
      [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x20, 0x33, 0],
    )
  ) {
    return 'sqlite';
  }
  return null;
}

/** Sniffs a source (cached by its bytes). Never throws; oversized sources are not parsed. */
export function sniff(source: ImportSource): Sniffed {
  const hit = cache.get(source.bytes);
  if (hit) return hit;
  const magic = magicOf(source.bytes);
  let result: Sniffed = { text: null, json: undefined, magic };
  if (magic === null && source.bytes.length <= LIMITS.maxFileBytes) {
    const text = decodeText(source.bytes);
    result = { text, json: undefined, magic };
    const trimmed = text?.trimStart() ?? '';
    if (text !== null && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
      const parsed = parseJsonBounded(text);
      if (parsed.ok) result.json = parsed.value;
      else result.jsonProblem = parsed.problem;
    }
  }
  cache.set(source.bytes, result);
  return result;
}

/** The source's text, or a `damaged` error saying it is not text. */
export function readText(ctx: FormatContext, source: ImportSource): string {
  if (source.bytes.length > LIMITS.maxFileBytes)
    throw tooLarge(ctx, `file larger than ${LIMITS.maxFileBytes} bytes`);
  const text = sniff(source).text;
  if (text === null) throw damaged(ctx, 'not a text file (invalid UTF-8)');
  return text;
}

/** The source's JSON value, or a `damaged`/`too-large` error saying why it is not usable JSON. */
export function readJson(ctx: FormatContext, source: ImportSource): unknown {
  const text = readText(ctx, source);
  const s = sniff(source);
  if (s.json !== undefined) return s.json;
  const parsed = parseJsonBounded(text);
  if (parsed.ok) return parsed.value;
  return jsonFailure(ctx, parsed.problem);
}

/** Parses decrypted JSON text with the same caps. */
export function parseJsonOrThrow(ctx: FormatContext, text: string, field?: string): unknown {
  const parsed = parseJsonBounded(text);
  if (parsed.ok) return parsed.value;
  return jsonFailure(ctx, parsed.problem, field);
}

function jsonFailure(ctx: FormatContext, problem: JsonProblem, field?: string): never {
  if (problem.kind === 'too-deep') {
    throw tooLarge(ctx, `JSON nested ${problem.depth} levels deep (limit ${LIMITS.maxJsonDepth})`);
  }
  if (problem.truncated) throw endsEarly(ctx.file);
  throw damaged(ctx, `invalid JSON: ${problem.message}`, field ? { field } : {});
}

/** A JSON file cut off in the middle: a failed download or copy, not a wrong format. */
export function endsEarly(file: string): FormatError {
  return new FormatError(
    'damaged',
    `${file}: the file ends early (it stops in the middle of its JSON): it was probably cut off while being copied or downloaded; export it again`,
    { file },
  );
}
