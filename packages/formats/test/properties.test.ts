import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { source } from './helpers.js';

/**
 * Any input gives entries or a typed FormatError: never a crash or another error. A hang fails by
 * the test timeout; speed belongs to the benchmarks, not here.
 */
async function survives(content: string | Uint8Array, password?: string): Promise<void> {
  const s = source('input', content);
  expect(() => detectFormat(s)).not.toThrow();
  try {
    const r = await importFiles({ sources: [s], ...(password ? { password } : {}) });
    expect(Array.isArray(r.entries)).toBe(true);
    for (const e of r.entries) expect(e.secret).toMatch(/^[A-Z2-7]+$/);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    expect(err.message).toMatch(/\S/);
  }
}

const runs = { numRuns: 300 };

/** JSON shaped like each format's outer object, with arbitrary values inside. */
const shaped = fc.oneof(
  fc.record({
    version: fc.jsonValue(),
    header: fc.oneof(fc.constant({ slots: null, params: null }), fc.jsonValue()),
    db: fc.jsonValue(),
  }),
  fc.record({
    schemaVersion: fc.integer({ min: 0, max: 5 }),
    services: fc.array(fc.jsonValue()),
    groups: fc.jsonValue(),
  }),
  fc.record({ schemaVersion: fc.constant(4), services: fc.constant([]), servicesEncrypted: fc.string() }),
  fc.record({
    version: fc.constant(1),
    entries: fc.array(fc.record({ content: fc.record({ uri: fc.string(), entry_type: fc.string() }) })),
  }),
  fc.record({
    encrypted: fc.boolean(),
    items: fc.array(
      fc.record({ name: fc.jsonValue(), login: fc.record({ totp: fc.oneof(fc.string(), fc.jsonValue()) }) }),
    ),
  }),
  fc.record({ tokens: fc.array(fc.jsonValue()), tokenOrder: fc.array(fc.string()) }),
  fc.record({
    accounts: fc.array(
      fc.record({
        secret: fc.jsonValue(),
        issuerName: fc.jsonValue(),
        digits: fc.jsonValue(),
        timeStep: fc.jsonValue(),
      }),
    ),
  }),
  fc.array(fc.record({ secret: fc.jsonValue(), type: fc.jsonValue(), label: fc.jsonValue() }), {
    minLength: 1,
  }),
  fc.array(fc.record({ name: fc.jsonValue(), otpGenerator: fc.dictionary(fc.string(), fc.jsonValue()) }), {
    minLength: 1,
  }),
  fc.record({ shared_secret: fc.string(), account_name: fc.jsonValue() }),
  fc.record({
    format: fc.constant('tessera-backup'),
    version: fc.jsonValue(),
    kdf: fc.jsonValue(),
    cipher: fc.jsonValue(),
    ciphertext: fc.jsonValue(),
  }),
);

describe('arbitrary input never crashes the importers', () => {
  it('bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), (b) => survives(b)),
      runs,
    );
  });

  it('bytes with a password (andOTP takes any unknown binary)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 28, maxLength: 256 }), (b) => survives(b, 'pw')),
      { numRuns: 40 },
    );
  });

  it('text and URI-like lines', async () => {
    const line = fc.oneof(
      fc.string(),
      fc.string().map((s) => `otpauth://totp/${s}`),
      fc.string().map((s) => `otpauth-migration://offline?data=${s}`),
      fc.webUrl(),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 5 }), (lines) => survives(lines.join('\n'))),
      runs,
    );
  });

  it('any JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), (v) => survives(JSON.stringify(v) ?? 'null')),
      runs,
    );
  });

  it('JSON shaped like the known formats', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, (v) => survives(JSON.stringify(v), 'pw')),
      runs,
    );
  });
});
