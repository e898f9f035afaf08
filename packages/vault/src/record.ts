import { equalBytes } from '@noble/ciphers/utils.js';
import { normalizeEntry, type OtpEntry } from '@tessera/otp';
import { VaultError } from './errors.js';
import { isHlc } from './hlc.js';
import { checkIconValue, MAX_ICON_LENGTH, parseIconChoice } from './icons.js';
import { isDeleted } from './merge.js';
import { isPositionKey, MAX_POSITION_LENGTH } from './position.js';
import type { EntryPatch, VaultEntry, VaultRecord } from './types.js';

/** The OTP fields of an entry, validated together by `normalizeEntry`. */
const OTP_FIELDS = [
  'type',
  'secret',
  'algorithm',
  'digits',
  'period',
  'counter',
  'issuer',
  'account',
] as const;

/** Fields stamped with a clock when a record is created (every field but `id` and the timestamps). */
const CLOCKED_FIELDS = [...OTP_FIELDS, 'extra', 'tags', 'order', 'deviceOnly'] as const;

/** Fields `EntryPatch` may change. */
const EDITABLE_FIELDS: ReadonlySet<string> = new Set([
  'issuer',
  'account',
  'tags',
  'order',
  'position',
  'pinned',
  'deviceOnly',
  'extra',
  'sites',
  'icon',
]);

/** More sites than anyone binds one code to is a sign of a bug or of hostile input. */
export const MAX_SITES = 32;

/** A new live record for `entry`, every field stamped with the clock `stamp`. */
export function createRecord({
  entry,
  id,
  tags,
  deviceOnly,
  sites,
  icon,
  order,
  position,
  stamp,
  now,
}: {
  entry: OtpEntry;
  id: string;
  tags: string[];
  deviceOnly: boolean;
  sites?: string[];
  /** An icon choice (`icons.ts`); one this version cannot read is dropped. */
  icon?: string;
  order: number;
  /** Key in the manual order (`position.ts`); omitted by callers that place it later. */
  position?: string;
  stamp: string;
  now: number;
}): VaultRecord {
  const full: VaultEntry = {
    id,
    type: entry.type,
    secret: entry.secret,
    algorithm: entry.algorithm,
    digits: entry.digits,
    period: entry.period,
    counter: entry.counter,
    issuer: entry.issuer,
    account: entry.account,
    ...(entry.extra && Object.keys(entry.extra).length > 0 ? { extra: { ...entry.extra } } : {}),
    tags: normalizeTags(tags),
    order,
    ...(position !== undefined ? { position } : {}),
    deviceOnly,
    ...(sites && sites.length > 0 ? { sites: normalizeSites(sites) } : {}),
    ...(icon !== undefined && parseIconChoice({ icon }).kind !== 'auto' ? { icon } : {}),
    createdAt: now,
    updatedAt: now,
  };
  const clock: Record<string, string> = {};
  for (const field of CLOCKED_FIELDS) clock[field] = stamp;
  if (full.sites) clock.sites = stamp;
  if (full.icon) clock.icon = stamp;
  if (full.position !== undefined) clock.position = stamp;
  return { v: 1, entry: full, clock, deleted: false };
}

/** `record` with `patch` applied; only fields whose value changes get the new clock. */
export function patchRecord(record: VaultRecord, patch: EntryPatch, stamp: string, now: number): VaultRecord {
  const entry = { ...record.entry } as unknown as Record<string, unknown>;
  const clock = { ...record.clock };
  let changed = false;
  for (const [field, raw] of Object.entries(patch)) {
    if (!EDITABLE_FIELDS.has(field)) {
      throw new VaultError(
        'invalid',
        `${field}: cannot be changed after an entry is created (add a new entry instead)`,
      );
    }
    if (raw === undefined) continue;
    const value = checkPatchField(field, raw);
    if (JSON.stringify(entry[field]) === JSON.stringify(value)) continue;
    if (value === null) delete entry[field];
    else entry[field] = value;
    clock[field] = stamp;
    changed = true;
  }
  if (!changed) return record;
  entry.updatedAt = Math.max(now, record.entry.updatedAt);
  return { v: 1, entry: entry as unknown as VaultEntry, clock, deleted: isDeleted(clock) };
}

/** `record` with its HOTP counter set to `counter`. */
export function withCounter(record: VaultRecord, counter: number, stamp: string, now: number): VaultRecord {
  const clock = { ...record.clock, counter: stamp };
  return {
    v: 1,
    entry: { ...record.entry, counter, updatedAt: Math.max(now, record.entry.updatedAt) },
    clock,
    deleted: isDeleted(clock),
  };
}

/** The tombstone of `record`: a deletion clock newer than every edit so far. */
export function deleteRecord(record: VaultRecord, stamp: string, now: number): VaultRecord {
  return {
    v: 1,
    entry: { ...record.entry, updatedAt: Math.max(now, record.entry.updatedAt) },
    clock: { ...record.clock, deleted: stamp },
    deleted: true,
  };
}

/**
 * Domain names lower-cased and in their ASCII (punycode) form, without duplicates; refuses anything
 * that is not a plain host name (no scheme, port, path or wildcard), so a binding means one site.
 */
export function normalizeSites(sites: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of sites) {
    const site = raw.trim().toLowerCase().replace(/\.$/, '');
    let host = '';
    try {
      host = new URL(`http://${site}`).hostname;
    } catch {
      // reported below
    }
    const plainHost = /^[^\s/:@?#\\*]+$/.test(site);
    if (!plainHost || !/^[a-z0-9.-]+$/.test(host) || !host.includes('.') || host.length > 253) {
      throw new VaultError(
        'invalid',
        `sites: ${JSON.stringify(raw.slice(0, 80))} is not a domain name like example.com`,
      );
    }
    out.add(host);
  }
  if (out.size > MAX_SITES) throw new VaultError('invalid', `sites: at most ${MAX_SITES}`);
  return [...out];
}

/** Tags trimmed, without empties or duplicates, in first-seen order. */
export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0))];
}

function checkPatchField(field: string, value: unknown): unknown {
  switch (field) {
    case 'issuer':
    case 'account':
      if (typeof value !== 'string') throw new VaultError('invalid', `${field}: must be text`);
      return value.trim();
    case 'tags':
      if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
        throw new VaultError('invalid', 'tags: must be a list of text');
      return normalizeTags(value);
    case 'order':
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new VaultError('invalid', 'order: must be a finite number');
      return value;
    case 'position':
      if (!isPositionKey(value))
        throw new VaultError(
          'invalid',
          `position: must be a key of base-62 digits (at most ${MAX_POSITION_LENGTH})`,
        );
      return value;
    case 'deviceOnly':
    case 'pinned':
      if (typeof value !== 'boolean') throw new VaultError('invalid', `${field}: must be true or false`);
      return value;
    case 'sites':
      if (value === null) return null;
      if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
        throw new VaultError('invalid', 'sites: must be a list of domain names');
      return normalizeSites(value);
    case 'icon':
      return value === null ? null : checkIconValue(value);
    default: // extra
      if (value === null) return null;
      if (
        typeof value !== 'object' ||
        Array.isArray(value) ||
        !Object.values(value as object).every((v) => typeof v === 'string')
      ) {
        throw new VaultError('invalid', 'extra: must map names to text');
      }
      return { ...(value as Record<string, string>) };
  }
}

type Credential = Pick<OtpEntry, 'type' | 'secret' | 'issuer' | 'account'>;

/** Type and names (case-insensitive): the part of a credential that may be looked up by value. */
function credentialNames(entry: Credential): string {
  return [entry.type, entry.issuer.trim().toLowerCase(), entry.account.trim().toLowerCase()].join('\n');
}

const encoder = new TextEncoder();

/**
 * Whether two entries hold the same credential: same type, issuer, account (case-insensitive) and
 * secret. The secrets are compared in constant time, never by value as lookup keys.
 */
export function sameCredential(a: Credential, b: Credential): boolean {
  return (
    credentialNames(a) === credentialNames(b) &&
    equalBytes(encoder.encode(a.secret), encoder.encode(b.secret))
  );
}

/**
 * Entries indexed for duplicate checks: looked up by type and names, then the few that share them
 * compared with `sameCredential`, so an import into a large vault stays linear.
 */
export class CredentialIndex<T extends Credential> {
  private readonly byNames = new Map<string, T[]>();

  constructor(entries: Iterable<T> = []) {
    for (const entry of entries) this.add(entry);
  }

  add(entry: T): void {
    const key = credentialNames(entry);
    const group = this.byNames.get(key);
    if (group) group.push(entry);
    else this.byNames.set(key, [entry]);
  }

  /** An indexed entry holding the same credential as `entry`, if any. */
  find(entry: Credential): T | undefined {
    return this.byNames.get(credentialNames(entry))?.find((other) => sameCredential(other, entry));
  }
}

/** "Issuer (account)" for messages. */
export function entryLabel(entry: Pick<OtpEntry, 'issuer' | 'account'>): string {
  if (entry.issuer && entry.account) return `${entry.issuer} (${entry.account})`;
  return entry.issuer || entry.account || '(unnamed entry)';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Checks that `value` is a well-formed record (as received from another device or read from a
 * file): a valid OTP entry, display fields of the right types, every clock an HLC and `deleted`
 * consistent with the clocks. Returns the record; throws VaultError naming the first bad field.
 */
export function validateRecord(value: unknown): VaultRecord {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as VaultRecord;
  // A pull validates every record it receives: the checks below make no closure, key array or
  // iterator per record (indexed loops and for...in over own keys), issue 14's restore allocation.
  if (typeof value !== 'object' || value === null) return failRecord(value, 'record', 'is not an object');
  const r = value as Record<string, unknown>;
  if (r.v !== 1) failRecord(value, 'v', 'must be 1');
  const e = r.entry as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null) return failRecord(value, 'entry', 'is missing');
  if (typeof e.id !== 'string' || !UUID.test(e.id)) failRecord(value, 'entry.id', 'is not a UUID v4');
  try {
    const normalized = normalizeEntry(e as unknown as OtpEntry);
    // Every OTP field is a string, a number or null once normalized: identity is the exact test.
    for (let i = 0; i < OTP_FIELDS.length; i++) {
      const field = OTP_FIELDS[i]!;
      if (normalized[field] !== e[field]) failRecord(value, `entry.${field}`, 'is not in canonical form');
    }
  } catch (err) {
    if (err instanceof VaultError) throw err;
    failRecord(value, 'entry', (err as Error).message);
  }
  if (!Array.isArray(e.tags) || !allText(e.tags)) failRecord(value, 'entry.tags', 'must be a list of text');
  if (typeof e.order !== 'number' || !Number.isFinite(e.order))
    failRecord(value, 'entry.order', 'must be a number');
  if (typeof e.deviceOnly !== 'boolean') failRecord(value, 'entry.deviceOnly', 'must be true or false');
  if (e.pinned !== undefined && typeof e.pinned !== 'boolean')
    failRecord(value, 'entry.pinned', 'must be true or false');
  if (e.position !== undefined && !isPositionKey(e.position))
    failRecord(value, 'entry.position', `must be a key of base-62 digits (at most ${MAX_POSITION_LENGTH})`);
  if (e.sites !== undefined) {
    if (!Array.isArray(e.sites) || e.sites.length > MAX_SITES || !allText(e.sites))
      failRecord(value, 'entry.sites', `must be a list of at most ${MAX_SITES} domain names`);
  }
  // Any short text: a newer device may name an icon set this one does not know (read as automatic).
  if (e.icon !== undefined && (typeof e.icon !== 'string' || e.icon.length > MAX_ICON_LENGTH))
    failRecord(value, 'entry.icon', `must be text of at most ${MAX_ICON_LENGTH} characters`);
  if (!isTime(e.createdAt)) failRecord(value, 'entry.createdAt', 'must be a time in milliseconds');
  if (!isTime(e.updatedAt)) failRecord(value, 'entry.updatedAt', 'must be a time in milliseconds');
  const clock = r.clock as Record<string, unknown> | undefined;
  if (typeof clock !== 'object' || clock === null || Array.isArray(clock))
    return failRecord(value, 'clock', 'is missing');
  // Most fields of a record share one clock: a value equal to the one just accepted is not parsed again.
  let accepted: string | undefined;
  for (const field in clock) {
    if (!Object.hasOwn(clock, field)) continue;
    const c = clock[field];
    if (accepted !== undefined && c === accepted) continue;
    if (!isHlc(c)) failRecord(value, `clock.${field}`, 'is not a hybrid logical clock');
    accepted = c as string;
  }
  if (typeof r.deleted !== 'boolean') failRecord(value, 'deleted', 'must be true or false');
  if (r.deleted !== isDeleted(clock as Record<string, string>))
    failRecord(value, 'deleted', 'disagrees with the clocks');
  validated.add(value);
  return value as VaultRecord;
}

/** Throws the VaultError naming `field` of the record `value`. */
function failRecord(value: unknown, field: string, why: string): never {
  throw new VaultError('invalid', `record ${describeId(value)}: ${field} ${why}`);
}

function isTime(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** `list.every((t) => typeof t === 'string')` (holes skipped alike), as a loop: no closure per record. */
function allText(list: unknown[]): boolean {
  for (let i = 0; i < list.length; i++) if (i in list && typeof list[i] !== 'string') return false;
  return true;
}

/**
 * Records `validateRecord` accepted, so the pull's check and the vault's own check of the same
 * object run once (issue 14). Sound because records are never edited in place: every change makes a
 * new object (the same rule the sync engine's hash cache relies on).
 */
const validated = new WeakSet<object>();

function describeId(value: unknown): string {
  const id = (value as { entry?: { id?: unknown } } | null)?.entry?.id;
  return typeof id === 'string' ? id.slice(0, 36) : '(no id)';
}
