import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { zipBytes } from './app-fixtures.js';
import { core, source } from './helpers.js';

function login(
  name: string,
  totpUri: string,
  extraFields: { fieldName: string; type: string; data: unknown }[] = [],
  username = '',
) {
  return {
    itemId: name,
    data: {
      metadata: { name, note: '' },
      extraFields,
      type: 'login',
      content: { itemUsername: username, itemEmail: '', password: 'not imported', urls: [], totpUri },
    },
  };
}

const DATA = {
  version: '1.0',
  vaults: {
    v1: {
      name: 'Personal',
      items: [
        login(
          'GitHub',
          'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30',
        ),
        login('No code', ''),
        login(
          'Shop',
          'otpauth://totp/Shop:Proton%20Pass?issuer=Shop&secret=KRUGKIDROVUWG2ZA',
          [
            {
              fieldName: 'Backup code',
              type: 'totp',
              data: { totpUri: 'otpauth://totp/Shop:Proton%20Pass?issuer=Shop&secret=GEZDGNBVGY3TQOJQ' },
            },
            { fieldName: 'Broken', type: 'totp', data: { totpUri: 'otpauth://totp/OnlyALabel' } },
            { fieldName: 'Note', type: 'text', data: { content: 'x' } },
          ],
          'bob',
        ),
        {
          itemId: 'n',
          data: { metadata: { name: 'A note', note: 'n' }, extraFields: [], type: 'note', content: {} },
        },
      ],
    },
  },
};

describe('Proton Pass export (ZIP)', () => {
  it('reads main and extra-field codes; the "Proton Pass" placeholder account gives way to the username or field name', async () => {
    const zip = await zipBytes([{ name: 'Proton Pass/data.json', data: JSON.stringify(DATA) }]);
    const file = source('Proton Pass_export.zip', zip);
    expect(detectFormat(file)).toBe('proton-pass');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual([
      {
        type: 'totp',
        secret: 'JBSWY3DPEHPK3PXP',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
        issuer: 'GitHub',
        account: 'alice',
      },
      {
        type: 'totp',
        secret: 'KRUGKIDROVUWG2ZA',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
        issuer: 'Shop',
        account: 'bob',
      },
      {
        type: 'totp',
        secret: 'GEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
        issuer: 'Shop',
        account: 'Backup code',
      },
    ]);
    expect(r.skipped).toEqual([
      { index: 3, label: 'Shop - Broken', reason: expect.stringMatching(/^secret/) },
    ]);
  });

  it('refuses the PGP-encrypted export with what to do instead', async () => {
    const zip = await zipBytes([{ name: 'Proton Pass/data.pgp', data: '-----BEGIN PGP MESSAGE-----' }]);
    const err = (await importFiles({ sources: [source('pass.zip', zip)] }).catch((e) => e)) as FormatError;
    expect(err.code).toBe('unsupported');
    expect(err.message).toMatch(/PGP-encrypted.*without encryption/);
  });
});
