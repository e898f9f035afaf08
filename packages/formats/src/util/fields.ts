import { damaged, type FormatContext } from './errors.js';
import { isObject, type JsonObject } from './json.js';

/**
 * Typed access to fields of untrusted JSON. Each getter throws a `damaged` FormatError naming the
 * entry index and field, or an EntryProblem inside an entry builder (see entries.ts) so only that
 * entry is skipped.
 */
export class EntryProblem extends Error {
  override readonly name = 'EntryProblem';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value === 'object' ? 'an object' : `${typeof value}`;
}

/** Field readers over one JSON object; failures become EntryProblem (skip the entry). */
export class Fields {
  constructor(readonly obj: JsonObject) {}

  static of(value: unknown, field = 'entry'): Fields {
    if (!isObject(value)) throw new EntryProblem(field, `expected an object, found ${describe(value)}`);
    return new Fields(value);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  str(key: string): string {
    const v = this.obj[key];
    if (typeof v !== 'string') throw new EntryProblem(key, `expected a string, found ${describe(v)}`);
    return v;
  }

  optStr(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new EntryProblem(key, `expected a string, found ${describe(v)}`);
    return v;
  }

  /** A number, or a string holding an integer (several apps write numbers as strings). */
  num(key: string): number {
    const v = this.obj[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
    throw new EntryProblem(key, `expected a number, found ${describe(v)}`);
  }

  optNum(key: string): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null || v === '') return undefined;
    return this.num(key);
  }

  /** The object at `key`, as Fields. */
  object(key: string): Fields {
    return Fields.of(this.obj[key], key);
  }

  optObj(key: string): Fields | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    return Fields.of(v, key);
  }

  arr(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw new EntryProblem(key, `expected an array, found ${describe(v)}`);
    return v;
  }
}

/** Top-level structure checks: failures are `damaged` errors for the whole file. */
export function expectObject(ctx: FormatContext, value: unknown, field?: string): JsonObject {
  if (!isObject(value))
    throw damaged(ctx, `expected a JSON object, found ${describe(value)}`, field ? { field } : {});
  return value;
}

export function expectArray(ctx: FormatContext, value: unknown, field?: string): unknown[] {
  if (!Array.isArray(value))
    throw damaged(ctx, `expected an array, found ${describe(value)}`, field ? { field } : {});
  return value;
}

export function expectString(ctx: FormatContext, value: unknown, field: string): string {
  if (typeof value !== 'string') throw damaged(ctx, `expected a string, found ${describe(value)}`, { field });
  return value;
}
