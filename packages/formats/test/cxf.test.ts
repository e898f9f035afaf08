import { describe, expect, it } from 'vitest';
import { detectFormat, exportEntries, importFiles } from '../src/index.js';
import { core, json, SAMPLE, source } from './helpers.js';

/**
 * CXF 1.0 (FIDO Alliance Credential Exchange Format). The import fixture is written from the
 * spec's data model (header, accounts, items, credentials) as a password manager would send it,
 * with other credential types beside the totp ones.
 */
const document = {
  version: { major: 1, minor: 0 },
  exporterRpId: 'exporter.example.com',
  exporterDisplayName: 'Example Manager',
  timestamp: 1705228800,
  accounts: [
    {
      id: 'AAECAw',
      username: '',
      email: 'me@example.com',
      collections: [],
      items: [
        {
          id: 'aXRlbTE',
          title: 'Example',
          scope: { urls: ['https://example.com'], androidApps: [] },
          credentials: [
            {
              type: 'basic-auth',
              username: { fieldType: 'string', value: 'alice' },
              password: { fieldType: 'concealed-string', value: 'pw' },
            },
            {
              type: 'totp',
              secret: 'JBSWY3DPEHPK3PXP',
              period: 30,
              digits: 6,
              username: 'alice@example.com',
              algorithm: 'sha1',
              issuer: 'Example',
            },
          ],
          tags: ['Work'],
        },
        {
          id: 'aXRlbTI',
          title: 'Air Canada',
          credentials: [
            {
              type: 'totp',
              secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT',
              period: 60,
              digits: 8,
              username: 'bob',
              algorithm: 'sha256',
            },
            {
              type: 'totp',
              secret: 'GEZDGNBVGY3TQOJQ',
              period: 30,
              digits: 6,
              username: 'x',
              algorithm: 'md5',
              issuer: 'Odd',
            },
          ],
        },
        {
          id: 'aXRlbTM',
          title: 'Note',
          credentials: [{ type: 'note', content: { fieldType: 'string', value: 'hi' } }],
        },
      ],
    },
  ],
};

describe('CXF', () => {
  it('imports totp credentials field by field; other credential types ignored; unknown algorithm reported', async () => {
    const file = json(document);
    expect(detectFormat(source('export.cxf.json', file))).toBe('cxf');
    const r = await importFiles({ sources: [source('export.cxf.json', file)] });
    expect(r.format).toBe('cxf');
    expect(r.entries.map(core)).toEqual([
      SAMPLE[0]!,
      {
        type: 'totp',
        secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT',
        algorithm: 'SHA256',
        digits: 8,
        period: 60,
        counter: null,
        issuer: 'Air Canada',
        account: 'bob',
      },
    ]);
    expect(r.entries[0]!.tags).toEqual(['Work']);
    expect(r.skipped).toEqual([
      { index: 2, label: 'Odd (x)', reason: 'algorithm: unknown "md5" (CXF: ignored)' },
    ]);
  });

  it('a bad secret names its entry and field; another major version is refused', async () => {
    const bad = structuredClone(document);
    (bad.accounts[0]!.items[0]!.credentials[1] as { secret: string }).secret = '1!';
    const r = await importFiles({ sources: [source('x.json', json(bad))] });
    expect(r.skipped[0]).toMatchObject({
      index: 0,
      label: 'Example (alice@example.com)',
      reason: expect.stringMatching(/^secret: /),
    });
    const v2 = { ...document, version: { major: 2, minor: 0 } };
    await expect(importFiles({ sources: [source('x.json', json(v2))] })).rejects.toThrow(
      /x\.json: .*CXF version\.major 2/,
    );
  });

  it('exports TOTP entries in a document Tessera reads back field by field; HOTP and Steam reported', async () => {
    const out = await exportEntries({ entries: SAMPLE, format: 'cxf' });
    const doc = JSON.parse(out.text!);
    expect(doc.version).toEqual({ major: 1, minor: 0 });
    expect(doc.accounts[0].items[0].credentials[0]).toEqual({
      type: 'totp',
      secret: 'JBSWY3DPEHPK3PXP',
      period: 30,
      digits: 6,
      username: 'alice@example.com',
      algorithm: 'sha1',
      issuer: 'Example',
    });
    expect(out.skipped!.map((s) => s.label)).toEqual(['Counter (dave)', 'Steam (erin)']);
    const back = await importFiles({ sources: [source(out.files[0]!.name, out.files[0]!.bytes)] });
    expect(back.format).toBe('cxf');
    const totp = SAMPLE.filter((e) => e.type === 'totp');
    expect(back.entries.map(core)).toEqual(totp.map(core));
    expect(back.entries.map((e) => e.tags)).toEqual(totp.map((e) => e.tags));
  });
});
