import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { prefsXml } from './app-fixtures.js';
import { core, source } from './helpers.js';

/** The fixed key the Battle.net app XORs its stored credentials with (its "MASK" encryption type). */
const MASK = Buffer.from(
  '398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a',
  'hex',
);
const mask = (text: string) =>
  Buffer.from([...Buffer.from(text)].map((b, i) => b ^ MASK[i]!)).toString('hex');

const P = 'com.blizzard.messenger.';

describe('Battle.net authenticator', () => {
  it('unmasks the serial and the device secret: one TOTP entry, 8 digits', async () => {
    const secretHex = Buffer.from('12345678901234567890').toString('hex');
    const xml = prefsXml({
      [`${P}AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE`]: 'MASK',
      [`${P}AUTHENTICATOR_DEVICE_SECRET`]: mask(secretHex),
      [`${P}AUTHENTICATOR_SERIAL`]: mask('EU-1234-5678-9012'),
      [`${P}AUTHENTICATOR_SETUP_POSTPONE_LOGIN`]: false,
    });
    const file = source('com.blizzard.messenger.authenticator_preferences.xml', xml);
    expect(detectFormat(file)).toBe('battle-net');
    const r = await importFiles({ sources: [file] });
    expect(r.entries.map(core)).toEqual([
      {
        type: 'totp',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: null,
        issuer: 'Battle.net',
        account: 'EU-1234-5678-9012',
      },
    ]);
  });

  it('refuses an unknown credentials encryption, naming the preference', async () => {
    const xml = prefsXml({
      [`${P}AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE`]: 'KEYSTORE',
      [`${P}AUTHENTICATOR_DEVICE_SECRET`]: 'abcd',
    });
    const err = (await importFiles({ sources: [source('bnet.xml', xml)] }).catch((e) => e)) as FormatError;
    expect(err.code).toBe('damaged');
    expect(err.message).toContain('AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE');
  });
});
