import { FormatError, type ImportSource } from '../types.js';

/** Who is reading what: every message names the file and the format. */
export interface FormatContext {
  file: string;
  formatId: string;
  formatName: string;
}

export function contextOf(reader: { id: string; name: string }, source: ImportSource): FormatContext {
  return { file: source.name, formatId: reader.id, formatName: reader.name };
}

function details(ctx: FormatContext, extra: { entry?: number; field?: string } = {}) {
  return { file: ctx.file, format: ctx.formatId, ...extra };
}

/** A file that does not have the structure its format requires; names entry and field when known. */
export function damaged(
  ctx: FormatContext,
  what: string,
  where: { entry?: number; field?: string } = {},
): FormatError {
  const at =
    where.entry !== undefined
      ? ` (entry ${where.entry}${where.field ? `, field ${where.field}` : ''})`
      : where.field
        ? ` (field ${where.field})`
        : '';
  return new FormatError(
    'damaged',
    `${ctx.file}: damaged ${ctx.formatName} file${at}: ${what}`,
    details(ctx, where),
  );
}

export function wrongPassword(ctx: FormatContext): FormatError {
  return new FormatError(
    'wrong-password',
    `${ctx.file}: wrong password for this ${ctx.formatName} file (or the file was altered)`,
    details(ctx),
  );
}

export function passwordRequired(ctx: FormatContext): FormatError {
  return new FormatError(
    'password-required',
    `${ctx.file}: this ${ctx.formatName} file is encrypted; give its password (--password-file or TESSERA_PASSWORD)`,
    details(ctx),
  );
}

export function unsupported(ctx: FormatContext, why: string): FormatError {
  return new FormatError('unsupported', `${ctx.file}: ${ctx.formatName}: ${why}`, details(ctx));
}

export function tooLarge(ctx: FormatContext, why: string): FormatError {
  return new FormatError('too-large', `${ctx.file}: ${ctx.formatName}: ${why}`, details(ctx));
}

/** Throws `password-required` unless a password was given; returns it. */
export function requirePassword(ctx: FormatContext, password: string | undefined): string {
  if (password === undefined || password === '') throw passwordRequired(ctx);
  return password;
}
