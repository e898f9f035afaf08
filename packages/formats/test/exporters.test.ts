import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { exportEntries, FormatError, importFiles } from '../src/index.js';
import { MAX_MIGRATION_URI_LENGTH, migrationUris } from '../src/exporters/google-qr.js';
import { core, GOOGLE_SAMPLE, SAMPLE, source } from './helpers.js';

const SMALL_KDF = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

function decodeQrPng(bytes: Uint8Array): string {
  const png = PNG.sync.read(Buffer.from(bytes));
  const code = jsQR(
    new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length),
    png.width,
    png.height,
  );
  if (!code) throw new Error('no QR code found');
  return code.data;
}

async function reimport(file: { name: string; bytes: Uint8Array }, password?: string) {
  return importFiles({ sources: [source(file.name, file.bytes)], ...(password ? { password } : {}) });
}

describe('exporters round-trip through the importers', () => {
  it('otpauth list', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'otpauth' });
    expect(out.text!.trim().split('\n')).toHaveLength(SAMPLE.length);
    const back = await reimport(out.files[0]!);
    expect(back.format).toBe('otpauth');
    expect(back.entries.map(core)).toEqual(SAMPLE.map(core));
  });

  it('aegis plain keeps every entry and the tags as groups', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'aegis' });
    expect(out.files[0]!.name).toBe('aegis-export-plain.json');
    const back = await reimport(out.files[0]!);
    expect(back.format).toBe('aegis');
    expect(back.entries.map(core)).toEqual(SAMPLE.map(core));
    expect(back.entries[1]!.tags).toEqual(['Work']);
    const { db } = JSON.parse(out.text!);
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(db.entries.every((e: { uuid: string }) => v4.test(e.uuid))).toBe(true);
    expect(new Set(db.entries.map((e: { uuid: string }) => e.uuid)).size).toBe(SAMPLE.length);
    expect(db.groups).toEqual([{ uuid: expect.stringMatching(v4), name: 'Work' }]);
    expect(db.entries[1].groups).toEqual([db.groups[0].uuid]);
  });

  it('aegis encrypted uses scrypt N=2^15 like Aegis and needs the password', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'aegis', password: 'correct horse' });
    const vault = JSON.parse(out.text!);
    expect(vault.header.slots[0]).toMatchObject({ type: 1, n: 32768, r: 8, p: 1 });
    expect(vault.header.slots[0].salt).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof vault.db).toBe('string');
    expect(out.text).not.toContain('JBSWY3DPEHPK3PXP');
    const back = await reimport(out.files[0]!, 'correct horse');
    expect(back.entries.map(core)).toEqual(SAMPLE.map(core));
    await expect(reimport(out.files[0]!, 'wrong')).rejects.toMatchObject({ code: 'wrong-password' });
    await expect(reimport(out.files[0]!)).rejects.toMatchObject({ code: 'password-required' });
  });

  it('tessera backup round-trips entries and tags, and refuses a wrong password', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'tessera', password: 'pw', kdf: SMALL_KDF });
    const envelope = JSON.parse(out.text!);
    expect(envelope).toMatchObject({
      format: 'tessera-backup',
      version: 1,
      kdf: { name: 'argon2id', memoryKiB: 1024 },
      cipher: { name: 'xchacha20poly1305' },
    });
    expect(out.text).not.toContain('alice');
    const back = await reimport(out.files[0]!, 'pw');
    expect(back.format).toBe('tessera');
    expect(back.entries.map(core)).toEqual(SAMPLE.map(core));
    expect(back.entries[1]!.tags).toEqual(['Work']);
    const err = await reimport(out.files[0]!, 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(
      /tessera-backup\.json: wrong password for this Tessera backup/,
    );
  });

  it('tessera backup carries the icon choice; the other formats have no place for it', async () => {
    const withIcons = [
      { ...SAMPLE[0]!, icon: 'simple-icons/github' },
      { ...SAMPLE[1]!, icon: 'none' },
      ...SAMPLE.slice(2),
    ];
    const out = await exportEntries({
      entries: withIcons,
      format: 'tessera',
      password: 'pw',
      kdf: SMALL_KDF,
    });
    const back = await reimport(out.files[0]!, 'pw');
    expect(back.entries.map((e) => e.icon)).toEqual([
      'simple-icons/github',
      'none',
      ...SAMPLE.slice(2).map(() => undefined),
    ]);
    const aegis = await exportEntries({ entries: withIcons, format: 'aegis' });
    expect(aegis.text).not.toContain('simple-icons');
    const otpauth = await exportEntries({ entries: withIcons, format: 'otpauth' });
    expect(otpauth.text).not.toContain('simple-icons');
  });

  it('tessera backup detects tampering with its parameters (they are associated data)', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'tessera', password: 'pw', kdf: SMALL_KDF });
    const envelope = JSON.parse(out.text!);
    envelope.kdf.iterations = 2; // same password, different KDF cost: key differs, and AAD binds it anyway
    await expect(reimport(source('t.json', JSON.stringify(envelope)), 'pw')).rejects.toMatchObject({
      code: 'wrong-password',
    });
  });

  it('tessera export requires a password', async () => {
    await expect(exportEntries({ entries: SAMPLE, format: 'tessera' })).rejects.toMatchObject({
      code: 'password-required',
    });
  });

  it('google-qr: PNG images decode to migration URIs that import back', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'google-qr' });
    expect(out.skipped!.map((s) => s.index)).toEqual([2, 4]); // 7 digits / 60 s, and Steam
    expect(out.skipped![1]!.reason).toMatch(/^type: Steam/);
    expect(out.files).toHaveLength(1);
    expect(out.files[0]!.mime).toBe('image/png');
    const uri = decodeQrPng(out.files[0]!.bytes);
    expect(uri).toBe(out.text!.trim());
    const back = await importFiles({ sources: [source('qr.txt', uri)] });
    expect(back.entries.map(core)).toEqual(GOOGLE_SAMPLE.map(core));
  });

  it('google-qr splits many entries into batches that all import together', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...SAMPLE[0]!,
      account: `user${i}@example.com`,
      issuer: `Service number ${i}`,
    }));
    const { uris } = migrationUris(many);
    expect(uris.length).toBeGreaterThan(1);
    for (const uri of uris) expect(uri.length).toBeLessThanOrEqual(MAX_MIGRATION_URI_LENGTH);
    const parts = uris.map((u, i) => source(`part${i}.txt`, u));
    const all = await importFiles({ sources: parts });
    expect(all.entries.map((e) => e.account)).toEqual(many.map((e) => e.account));
    expect(all.skipped).toEqual([]);
    const partial = await importFiles({ sources: parts.slice(1) });
    expect(partial.skipped).toHaveLength(1);
    expect(partial.skipped[0]!.label).toMatch(new RegExp(`^QR code 1 of ${uris.length}`));
    expect(partial.skipped[0]!.reason).toMatch(/missing/);
  });

  it('html sheet: one QR per entry as data: URLs, escaped text, no external resources', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'html' });
    const html = out.text!;
    const images = [...html.matchAll(/<img src="(data:image\/png;base64,[^"]+)"/g)].map((m) => m[1]!);
    expect(images).toHaveLength(SAMPLE.length);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('<script');
    expect(html).toContain('Ünïcødé &amp; &lt;Co&gt;');
    const uris = images.map((url) => decodeQrPng(Buffer.from(url.split(',')[1]!, 'base64')));
    const back = await importFiles({ sources: [source('sheet.txt', uris.join('\n'))] });
    expect(back.entries.map(core)).toEqual(SAMPLE.map(core));
  });
});
