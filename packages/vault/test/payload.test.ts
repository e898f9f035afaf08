import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc, isDeleted, type VaultRecord } from '../src/index.js';
import { patchRecord } from '../src/record.js';
import { decodePayload, encodePayload, type VaultContent } from '../src/payload.js';
import type { MetaValue } from '../src/types.js';
import { fewHlcs, totpEntry } from './fixtures.js';

/** The payload as `encodePayload` wrote it before it kept each entry's text: one `JSON.stringify`. */
function reference(content: VaultContent): string {
  const clocks: string[] = [];
  const clockFields: string[] = [];
  const records = content.records.map((record) => {
    const c: number[] = new Array<number>(clockFields.length).fill(-1);
    for (const field in record.clock) {
      const value = record.clock[field]!;
      let f = clockFields.indexOf(field);
      if (f < 0) f = clockFields.push(field) - 1;
      let i = clocks.indexOf(value);
      if (i < 0) i = clocks.push(value) - 1;
      while (c.length <= f) c.push(-1);
      c[f] = i;
    }
    return { entry: record.entry, c };
  });
  const { deviceId, hlc, meta } = content;
  return JSON.stringify({ v: 1, deviceId, hlc, meta, clocks, clockFields, records });
}

const hlc = fewHlcs({ maxMs: 6, maxCounter: 2 });
const text = fc.string({ maxLength: 12, unit: 'grapheme' });

const record: fc.Arbitrary<VaultRecord> = fc
  .record({
    id: fc.uuid({ version: 4 }),
    issuer: text,
    account: text,
    tags: fc.array(text, { maxLength: 3 }),
    order: fc.integer({ min: -5, max: 5 }),
    pinned: fc.option(fc.boolean(), { nil: undefined }),
    extra: fc.option(fc.dictionary(text, text, { maxKeys: 2 }), { nil: undefined }),
    clock: fc.dictionary(fc.constantFrom('issuer', 'account', 'tags', 'order', 'pinned', 'deleted'), hlc, {
      minKeys: 1,
    }),
  })
  .map(({ id, clock, pinned, extra, ...fields }) => ({
    v: 1 as const,
    entry: {
      ...totpEntry(0),
      id,
      deviceOnly: false,
      createdAt: 1,
      updatedAt: 2,
      ...fields,
      ...(pinned !== undefined ? { pinned } : {}),
      ...(extra ? { extra } : {}),
    },
    clock,
    deleted: isDeleted(clock),
  }));

const meta: fc.Arbitrary<Record<string, MetaValue>> = fc.dictionary(
  text,
  fc.jsonValue() as fc.Arbitrary<MetaValue>,
  {
    maxKeys: 3,
  },
);

describe('the vault payload', () => {
  it('is exactly JSON.stringify of the stored layout, written again with the same and with changed records', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 8 }),
        meta,
        hlc,
        fc.array(fc.tuple(fc.nat(), text)),
        (records, meta, hlc, edits) => {
          const content = { deviceId: 'abcdef0123456789', hlc, meta, records };
          const bytes = encodePayload(content);
          expect(new TextDecoder().decode(bytes)).toBe(reference(content));
          // A second write, some records replaced by edited copies (as the vault replaces them).
          const next = [...records];
          for (const [at, issuer] of edits) {
            if (next.length === 0) break;
            const i = at % next.length;
            next[i] = patchRecord(
              next[i]!,
              { issuer },
              formatHlc({ ms: 9, counter: at % 7, deviceId: 'c' }),
              3,
            );
          }
          const again = { ...content, records: next };
          expect(new TextDecoder().decode(encodePayload(again))).toBe(reference(again));
          expect(decodePayload(encodePayload(again)).records).toEqual(next);
        },
      ),
    );
  });
});
