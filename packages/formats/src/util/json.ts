import { LIMITS } from './limits.js';

/** Why text was refused as JSON. */
export type JsonProblem =
  | { kind: 'too-deep'; depth: number }
  /** `truncated`: brackets or a string still open at the end: the file was cut off, not mistyped. */
  | { kind: 'syntax'; message: string; truncated: boolean };

/**
 * Deepest `{`/`[` nesting of JSON text, ignoring brackets inside strings, and whether anything is
 * still open at the end. Linear, no recursion.
 */
function scanBrackets(text: string): { max: number; open: boolean } {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { max, open: inString || depth > 0 };
}

/** Deepest `{`/`[` nesting of JSON text, ignoring brackets inside strings. */
export function jsonDepth(text: string): number {
  return scanBrackets(text).max;
}

/**
 * JSON.parse with a nesting cap checked first (deep nesting can exhaust the stack), returning the
 * problem instead of throwing so detection can stay silent.
 */
export function parseJsonBounded(
  text: string,
  maxDepth: number = LIMITS.maxJsonDepth,
): { ok: true; value: unknown } | { ok: false; problem: JsonProblem } {
  const scan = scanBrackets(text);
  if (scan.max > maxDepth) return { ok: false, problem: { kind: 'too-deep', depth: scan.max } };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, problem: { kind: 'syntax', message: syntaxMessage(err), truncated: scan.open } };
  }
}

/**
 * JSON.parse's reason without the file's own text: V8's "Unexpected token" messages quote the input
 * around the error, and that text may be a secret. Messages that quote nothing (a position, or an
 * unexpected end) are kept as they are.
 */
function syntaxMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /["']/.test(message) ? 'unexpected character' : message;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
