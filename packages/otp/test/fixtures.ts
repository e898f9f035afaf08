import { expect } from 'vitest';
import { OtpError, type OtpEntry } from '@tessera/otp';

/** Runs `run`, expecting an OtpError; returns the field it names. */
export function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(OtpError);
    return (err as OtpError).field;
  }
  throw new Error('expected an OtpError');
}

/**
 * Seven URIs with the semantics of Aegis' importer test list (`importers/plain.txt`): every type,
 * algorithm, odd digits and periods, a percent-encoded label and a form-encoded `+` issuer.
 * Hand-written here; the GPL file itself is only read, by uri.test.ts, where it exists.
 * `code` is the code at 2023-01-01T00:00:00Z (t = 1672531200), cross-checked with Python's hmac.
 */
export const SEVEN: { uri: string; entry: OtpEntry; code: string }[] = [
  {
    uri: 'otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno&algorithm=SHA1&digits=6&period=30',
    entry: totpEntry('Deno', 'Mason', '4SJHB4GSD43FZBAI7C2HLRJGPQ', 'SHA1', 6, 30),
    code: '547265',
  },
  {
    uri: 'otpauth://totp/SPDX:James?secret=5OM4WOOGPLQEF6UGN3CPEOOLWU&issuer=SPDX&algorithm=SHA256&digits=7&period=20',
    entry: totpEntry('SPDX', 'James', '5OM4WOOGPLQEF6UGN3CPEOOLWU', 'SHA256', 7, 20),
    code: '8897402',
  },
  {
    uri: 'otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8&period=50',
    entry: totpEntry('Airbnb', 'Elijah', '7ELGJSGXNCCTV3O6LKJWYFV2RA', 'SHA512', 8, 50),
    code: '35899575',
  },
  {
    uri: 'otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&algorithm=SHA1&digits=6&counter=1',
    entry: hotpEntry('Issuu', 'James', 'YOOMIXWS5GN6RTBPUFFWKTW5M4', 'SHA1', 6, 1),
    code: '253717',
  },
  {
    uri: 'otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air+Canada&algorithm=SHA256&digits=7&counter=50',
    entry: hotpEntry('Air Canada', 'Benjamin', 'KUVJJOM753IHTNDSZVCNKL7GII', 'SHA256', 7, 50),
    code: '4444976',
  },
  {
    uri: 'otpauth://hotp/WWE:Mason?secret=5VAML3X35THCEBVRLV24CGBKOY&issuer=WWE&algorithm=SHA512&digits=8&counter=10300',
    entry: hotpEntry('WWE', 'Mason', '5VAML3X35THCEBVRLV24CGBKOY', 'SHA512', 8, 10300),
    code: '24622277',
  },
  {
    uri: 'otpauth://steam/Boeing:Sophia?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Boeing&algorithm=SHA1&digits=5&period=30',
    entry: {
      type: 'steam',
      secret: 'JRZCL47CMXVOQMNPZR2F7J4RGI',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
      issuer: 'Boeing',
      account: 'Sophia',
    },
    code: 'B2MYW',
  },
];

function totpEntry(
  issuer: string,
  account: string,
  secret: string,
  algorithm: OtpEntry['algorithm'],
  digits: number,
  period: number,
): OtpEntry {
  return { type: 'totp', secret, algorithm, digits, period, counter: null, issuer, account };
}

function hotpEntry(
  issuer: string,
  account: string,
  secret: string,
  algorithm: OtpEntry['algorithm'],
  digits: number,
  counter: number,
): OtpEntry {
  return { type: 'hotp', secret, algorithm, digits, period: null, counter, issuer, account };
}
