import { describe, expect, it } from 'vitest';
import { distinctDeviceName } from '../src/index.js';

describe('distinctDeviceName', () => {
  it('adds a short suffix of unambiguous characters, different from one device to the next', () => {
    const names = Array.from({ length: 20 }, () => distinctDeviceName('Chrome on Linux'));
    for (const name of names) expect(name).toMatch(/^Chrome on Linux · [2-9A-HJKMNP-Z]{3}$/);
    expect(new Set(names).size).toBeGreaterThan(1);
  });

  it('stays within the keychain limit of 64 characters', () => {
    expect(distinctDeviceName('x'.repeat(100))).toHaveLength(64);
  });
});
