import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles } from '../src/index.js';
import { cbcEncrypt, pbkdf2, prefsXml, randomBytes } from './app-fixtures.js';
import { ALICE, core, source } from './helpers.js';

const KEY = 'com.authy.storage.tokens.authenticator.key';

interface Token {
  secret: string;
  digits: number;
  originalName?: string;
  originalIssuer?: string;
  name: string;
}

const TOKENS: Token[] = [
  {
    secret: 'JBSWY3DPEHPK3PXP',
    digits: 6,
    originalName: 'Example:alice@example.com',
    originalIssuer: 'Example',
    name: 'Example: alice@example.com',
  },
  { secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA', digits: 7, originalName: 'GitLab:bob', name: 'GitLab: bob' },
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', digits: 8, name: 'Work - carol' },
];

function plainToken(t: Token) {
  const { secret, ...rest } = t;
  return { accountType: 'authenticator', decryptedSecret: secret, ...rest, timestamp: 1700000000 };
}

/** Authy's per-token encryption: PBKDF2-SHA1(password, salt text, 1000) → AES-256-CBC, zero IV. */
function encryptedToken(t: Token, password: string) {
  const { secret, ...rest } = t;
  const salt = randomBytes(24).toString('base64');
  const key = pbkdf2(password, Buffer.from(salt, 'utf8'), 1000, 'sha1');
  const encryptedSecret = cbcEncrypt(key, new Uint8Array(16), Buffer.from(secret)).toString('base64');
  return { accountType: 'authenticator', encryptedSecret, salt, ...rest };
}

const xml = (tokens: unknown[]) => prefsXml({ key_version: 121, [KEY]: JSON.stringify(tokens) });

const EXPECTED = [
  ALICE,
  {
    type: 'totp',
    secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA',
    algorithm: 'SHA1',
    digits: 7,
    period: 30,
    counter: null,
    issuer: 'GitLab',
    account: 'bob',
  },
  {
    type: 'totp',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 8,
    period: 30,
    counter: null,
    issuer: 'Work',
    account: 'carol',
  },
];

async function failure(content: string, password?: string): Promise<FormatError> {
  const err = await importFiles({
    sources: [source('authy.xml', content)],
    ...(password ? { password } : {}),
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

describe('Authy (Android token store)', () => {
  it('reads plain tokens, taking issuer and account from originalIssuer, originalName or "Issuer - account"', async () => {
    const file = source('com.authy.storage.tokens.authenticator.xml', xml(TOKENS.map(plainToken)));
    expect(detectFormat(file)).toBe('authy');
    const r = await importFiles({ sources: [file] });
    expect(r.format).toBe('authy');
    expect(r.skipped).toEqual([]);
    expect(r.entries.map(core)).toEqual(EXPECTED);
  });

  it('decrypts encrypted secrets with the backup password', async () => {
    const r = await importFiles({
      sources: [source('authy.xml', xml(TOKENS.map((t) => encryptedToken(t, 'pässword 1'))))],
      password: 'pässword 1',
    });
    expect(r.entries.map(core)).toEqual(EXPECTED);
  });

  it('asks for the password, and says when it is wrong, naming the format', async () => {
    const content = xml(TOKENS.map((t) => encryptedToken(t, 'right')));
    const missing = await failure(content);
    expect(missing.code).toBe('password-required');
    const wrong = await failure(content, 'wrong');
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toContain('Authy');
    expect(wrong.message).toContain('authy.xml');
  });

  it("reads Authy's own tokens (hex seed, 10-second period) and skips a broken token with its reason", async () => {
    const own = {
      accountType: 'authy',
      secretSeed: '3132333435363738393031323334353637383930',
      digits: 7,
      name: 'Twitch',
    };
    const broken = {
      accountType: 'authenticator',
      decryptedSecret: 'JBSWY3DPEHPK3PXP',
      digits: 12,
      name: 'Bad - dave',
    };
    const r = await importFiles({ sources: [source('authy.xml', xml([own, broken]))] });
    expect(r.entries.map(core)).toEqual([
      {
        type: 'totp',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 7,
        period: 10,
        counter: null,
        issuer: 'Twitch',
        account: '',
      },
    ]);
    expect(r.skipped).toEqual([{ index: 1, label: 'Bad (dave)', reason: expect.stringMatching(/^digits/) }]);
  });

  it('refuses a preferences file without the token list, and XML with a DOCTYPE', async () => {
    const noTokens = prefsXml({ [KEY + '.other']: 'x' });
    expect(
      (
        await importFiles({ sources: [source('a.xml', noTokens)], format: 'authy' }).then(
          () => expect.unreachable('a file without tokens imported'),
          (e: unknown) => e as FormatError,
        )
      ).code,
    ).toBe('damaged');
    const doctype = `<?xml version="1.0"?><!DOCTYPE map [<!ENTITY a "aaaa">]><map><string name="${KEY}">[]</string></map>`;
    const err = await failure(doctype);
    expect(err.code).toBe('damaged');
    expect(err.message).toContain('DOCTYPE');
  });
});
