import { describe, expect, it } from 'vitest';
import { formatHlc, validateRecord, type VaultRecord } from '@tessera/vault';
import { totpEntry } from './fixtures.js';

const good = formatHlc({ ms: 1_700_000_000_000, counter: 0, deviceId: 'a' });

function record(clock: Record<string, unknown>): VaultRecord {
  return {
    v: 1,
    entry: {
      ...totpEntry(1),
      id: '0b6f3b7e-9d1c-4f3a-8e2b-5a6c7d8e9f01',
      tags: [],
      order: 0,
      deviceOnly: false,
      createdAt: 1,
      updatedAt: 1,
    },
    clock: clock as Record<string, string>,
    deleted: false,
  };
}

// validateRecord checks each distinct clock value once (most fields of a record share one clock).
describe('validateRecord checks every clock of a record', () => {
  it('accepts fields sharing one clock', () => {
    expect(() => validateRecord(record({ issuer: good, account: good, secret: good }))).not.toThrow();
  });

  it('refuses one bad clock among equal good ones, wherever it is', () => {
    for (const bad of ['nope', `${good} `, undefined, null, 5]) {
      for (const at of [0, 1, 2]) {
        const clock: Record<string, unknown> = { issuer: good, account: good, secret: good };
        clock[Object.keys(clock)[at]!] = bad;
        expect(() => validateRecord(record(clock)), `${String(bad)} at ${at}`).toThrow(
          /is not a hybrid logical clock/,
        );
      }
    }
    expect(() => validateRecord(record({ issuer: undefined, account: undefined }))).toThrow(
      /clock\.issuer is not a hybrid logical clock/,
    );
  });
});
