import { VaultDamagedError } from './errors.js';
import { isHlc } from './hlc.js';
import { isDeleted } from './merge.js';
import type { MetaValue, RecordClock, VaultEntry, VaultRecord } from './types.js';

/** What the vault file holds once decrypted. */
export interface VaultContent {
  deviceId: string;
  /** Latest HLC this device produced or observed, so clocks never go back across sessions. */
  hlc: string;
  records: VaultRecord[];
  meta: Record<string, MetaValue>;
}

/**
 * The payload JSON. Records are the protocol's records with their clocks factored out: most fields
 * of a record share one clock, and clocks are most of a record's size, so each distinct clock is
 * written once in `clocks` and a record's `c` gives, for each name in `clockFields`, an index into
 * `clocks` (or -1). This keeps a 1,000-entry vault under half the size, which a CLI start reads,
 * decrypts and parses every time. `deleted` is not stored: it follows from the clocks.
 */
interface StoredPayload {
  v: 1;
  deviceId: string;
  hlc: string;
  meta: Record<string, MetaValue>;
  clocks: string[];
  clockFields: string[];
  records: { entry: VaultEntry; c: number[] }[];
}

/**
 * The UTF-8 bytes of `{"entry":<the entry's JSON>,"c":[` of each record, by record: the vault
 * replaces a record object on every change and never edits one (as `recordHash` in
 * keychain/sync.ts relies on too), so a write encodes only the entries that changed since the last
 * one rather than all of them (issue 14: every live edit rewrites the whole file, a 1,000-entry
 * vault included, and stringifying it, then encoding half a megabyte of text, was most of a write).
 */
const recordHeads = new WeakMap<VaultRecord, Uint8Array>();
const utf8 = new TextEncoder();

function recordHead(record: VaultRecord): Uint8Array {
  let head = recordHeads.get(record);
  if (head === undefined) {
    head = utf8.encode(`{"entry":${JSON.stringify(record.entry)},"c":[`);
    recordHeads.set(record, head);
  }
  return head;
}

/**
 * The payload's bytes: exactly the UTF-8 of `JSON.stringify` of the `StoredPayload`
 * (test/payload.test.ts checks this), put together from each record's bytes kept from earlier
 * writes and its clock indexes. `content.metaJson`, when given, must be `JSON.stringify(content.meta)`:
 * the vault keeps each meta value's text and passes it, so a write does not stringify the keychain
 * state again (issue 14).
 */
export function encodePayload(content: VaultContent & { metaJson?: string }): Uint8Array {
  const clocks: string[] = [];
  const clockIndex = new Map<string, number>();
  const clockFields: string[] = [];
  const fieldIndex = new Map<string, number>();
  // Most fields of a record share one clock: the index of the clock just seen is reused.
  let lastClock: string | undefined;
  let lastIndex = -1;
  const heads: Uint8Array[] = new Array<Uint8Array>(content.records.length);
  // Each record's `c` and the `]}` closing it: ASCII only (digits, '-', ','), written byte by byte.
  const tails: string[] = new Array<string>(content.records.length);
  let length = 0;
  const c: number[] = [];
  for (let r = 0; r < content.records.length; r++) {
    const record = content.records[r]!;
    c.length = 0;
    for (let f = 0; f < clockFields.length; f++) c.push(-1);
    // Every write encodes every record (a restore's first write 1,000): for...in over own keys
    // rather than for...of over Object.keys, so no key array or iterator per record (issue 14).
    for (const field in record.clock) {
      if (!Object.hasOwn(record.clock, field)) continue;
      const value = record.clock[field]!;
      let f = fieldIndex.get(field);
      if (f === undefined) {
        f = clockFields.push(field) - 1;
        fieldIndex.set(field, f);
      }
      let i = value === lastClock ? lastIndex : clockIndex.get(value);
      if (i === undefined) {
        i = clocks.push(value) - 1;
        clockIndex.set(value, i);
      }
      lastClock = value;
      lastIndex = i;
      while (c.length <= f) c.push(-1);
      c[f] = i;
    }
    heads[r] = recordHead(record);
    tails[r] = `${c.join(',')}]}`;
    length += heads[r]!.length + tails[r]!.length;
  }
  // Key order of StoredPayload; `JSON.stringify` of each value as it writes it inside the object.
  const start = utf8.encode(
    `{"v":1,"deviceId":${JSON.stringify(content.deviceId)},"hlc":${JSON.stringify(content.hlc)},` +
      `"meta":${content.metaJson ?? JSON.stringify(content.meta)},"clocks":${JSON.stringify(clocks)},` +
      `"clockFields":${JSON.stringify(clockFields)},"records":[`,
  );
  const commas = Math.max(0, content.records.length - 1);
  const out = new Uint8Array(start.length + length + commas + 2);
  out.set(start, 0);
  let at = start.length;
  for (let r = 0; r < heads.length; r++) {
    if (r > 0) out[at++] = 0x2c; // ','
    out.set(heads[r]!, at);
    at += heads[r]!.length;
    const tail = tails[r]!;
    for (let k = 0; k < tail.length; k++) out[at++] = tail.charCodeAt(k);
  }
  out[at] = 0x5d; // ']'
  out[at + 1] = 0x7d; // '}'
  return out;
}

/** Parses the decrypted payload, checking its outline (records are checked in depth by `Vault.check()`). */
export function decodePayload(bytes: Uint8Array, file?: string): VaultContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new VaultDamagedError('its content is not valid JSON', file);
  }
  const p = parsed as Partial<StoredPayload> | null;
  const layout = () => new VaultDamagedError('its content does not have the vault layout', file);
  if (
    typeof p !== 'object' ||
    p === null ||
    p.v !== 1 ||
    typeof p.deviceId !== 'string' ||
    !isHlc(p.hlc) ||
    typeof p.meta !== 'object' ||
    p.meta === null ||
    !Array.isArray(p.clocks) ||
    !p.clocks.every(isHlc) ||
    !Array.isArray(p.clockFields) ||
    !p.clockFields.every((f) => typeof f === 'string') ||
    !Array.isArray(p.records)
  ) {
    throw layout();
  }
  const { clocks, clockFields } = p;
  const records = p.records.map((stored): VaultRecord => {
    if (
      typeof stored !== 'object' ||
      stored === null ||
      typeof stored.entry?.id !== 'string' ||
      !Array.isArray(stored.c)
    )
      throw layout();
    const clock: RecordClock = {};
    stored.c.forEach((index, f) => {
      if (index === -1) return;
      const value = clocks[index];
      const field = clockFields[f];
      if (value === undefined || field === undefined) throw layout();
      clock[field] = value;
    });
    return { v: 1, entry: stored.entry, clock, deleted: isDeleted(clock) };
  });
  return { deviceId: p.deviceId, hlc: p.hlc, records, meta: p.meta };
}
