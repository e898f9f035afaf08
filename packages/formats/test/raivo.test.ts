import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { zipBytes } from './app-fixtures.js';
import { core, SAMPLE, source } from './helpers.js';

/** Raivo's export JSON: every value a string. */
const json = JSON.stringify(
  SAMPLE.filter((e) => e.type !== 'steam').map((e) => ({
    issuer: e.issuer,
    account: e.account,
    secret: e.secret,
    algorithm: e.algorithm,
    digits: String(e.digits),
    kind: e.type.toUpperCase(),
    timer: String(e.period ?? 30),
    counter: String(e.counter ?? 0),
    pinned: 'false',
    iconType: '',
    iconValue: '',
  })),
);
const expected = SAMPLE.filter((e) => e.type !== 'steam').map(core);

describe('Raivo OTP export', () => {
  it('opens the AES-encrypted ZIP and reads raivo-otp-export.json', async () => {
    const zip = await zipBytes(
      [
        { name: 'raivo-otp-export.json', data: json },
        { name: 'raivo-otp-export.html', data: '<html></html>' },
      ],
      { password: 'raivo pw' },
    );
    const file = source('raivo-otp-export.zip', zip);
    expect(detectFormat(file)).toBe('raivo');
    const r = await importFiles({ sources: [file], password: 'raivo pw' });
    expect(r.entries.map(core)).toEqual(expected);
    const wrong = (await importFiles({ sources: [file], password: 'nope' }).catch((e) => e)) as FormatError;
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toContain('Raivo');
    const missing = (await importFiles({ sources: [file] }).catch((e) => e)) as FormatError;
    expect(missing.code).toBe('password-required');
  });

  it('reads the JSON alone, once unzipped', async () => {
    const file = source('raivo-otp-export.json', json);
    expect(detectFormat(file)).toBe('raivo');
    expect((await importFiles({ sources: [file] })).entries.map(core)).toEqual(expected);
  });

  it('refuses an entry that inflates past the size cap (a ZIP bomb) without inflating it all', async () => {
    const huge = new Uint8Array(20 * 1024 * 1024); // compresses to a few KiB
    const zip = await zipBytes([{ name: 'raivo-otp-export.json', data: huge }]);
    expect(zip.length).toBeLessThan(100_000);
    const err = (await importFiles({ sources: [source('bomb.zip', zip)] }).catch((e) => e)) as FormatError;
    expect(err.code).toBe('too-large');
  });
});
