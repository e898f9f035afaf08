import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles, listFormats, type ImportResult } from '../src/index.js';
import { zipBytes } from './app-fixtures.js';
import { core, json, SAMPLE, source } from './helpers.js';

/**
 * Password-manager exports with a one-time-password field beside each login. Fixtures are written
 * from each vendor's published layout (CSV headers, JSON shapes); the 1PUX ZIP is made with zip.js.
 */
async function read(name: string, content: string | Uint8Array): Promise<ImportResult> {
  return importFiles({ sources: [source(name, content)] });
}

const URI = 'otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example';
const expected = [
  SAMPLE[0]!,
  {
    type: 'totp',
    secret: 'GEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: null,
    issuer: 'Bare, Inc',
    account: 'dan',
  },
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
];
const URI2 =
  'otpauth://totp/Air%20Canada:bob?secret=KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT&algorithm=SHA256&digits=8&period=60';

describe('password-manager CSV exports', () => {
  const cases: [string, string, string][] = [
    [
      'apple-passwords',
      'Passwords.csv',
      [
        'Title,URL,Username,Password,Notes,OTPAuth',
        `Example,https://example.com,alice@example.com,pw,"a note, ""quoted""",${URI}`,
        '"Bare, Inc",https://bare.test,dan,pw,,GEZDGNBVGY3TQOJQ',
        `Air Canada,https://aircanada.test,bob,pw,,${URI2}`,
        'No code,https://none.test,zoe,pw,,',
      ].join('\n'),
    ],
    [
      '1password-csv',
      '1PasswordExport.csv',
      [
        'Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes',
        `Example,https://example.com,alice@example.com,pw,${URI},false,false,,`,
        '"Bare, Inc",https://bare.test,dan,pw,GEZDGNBVGY3TQOJQ,false,false,,',
        `Air Canada,https://aircanada.test,bob,pw,${URI2},true,false,Work,"line1\nline2"`,
        'No code,https://none.test,zoe,pw,,false,false,,',
      ].join('\r\n'),
    ],
    [
      'dashlane-csv',
      'credentials.csv',
      [
        'username,username2,username3,title,password,note,url,category,otpSecret',
        `alice@example.com,,,Example,pw,,https://example.com,,${URI}`,
        'dan,,,"Bare, Inc",pw,,https://bare.test,,GEZDGNBVGY3TQOJQ',
        `bob,,,Air Canada,pw,,https://aircanada.test,Travel,${URI2}`,
        'zoe,,,No code,pw,,https://none.test,,',
      ].join('\n'),
    ],
    [
      'nordpass-csv',
      'nordpass.csv',
      [
        'name,url,username,password,note,cardholdername,cardnumber,cvc,expirydate,zipcode,folder,full_name,phone_number,email,address1,address2,city,country,state,type,totp',
        `Example,https://example.com,alice@example.com,pw,,,,,,,,,,,,,,,,password,${URI}`,
        '"Bare, Inc",https://bare.test,dan,pw,,,,,,,,,,,,,,,,password,GEZDGNBVGY3TQOJQ',
        `Air Canada,https://aircanada.test,bob,pw,,,,,,,,,,,,,,,,password,${URI2}`,
        'No code,https://none.test,zoe,pw,,,,,,,,,,,,,,,,password,',
      ].join('\n'),
    ],
  ];
  for (const [id, name, csv] of cases) {
    it(`${id}: detected, every code entry read field by field, rows without a code ignored`, async () => {
      expect(detectFormat(source(name, csv))).toBe(id);
      const r = await read(name, '\uFEFF' + csv);
      expect(r.format).toBe(id);
      expect(r.entries.map(core)).toEqual(expected);
      expect(r.skipped).toEqual([]);
      expect(listFormats().map((f) => f.id)).toContain(id);
    });
  }

  it('Dashlane otpUrl column (newer exports) and a bad secret skipped with its row and field', async () => {
    const csv = [
      'username,username2,username3,title,password,note,url,category,otpUrl',
      `alice@example.com,,,Example,pw,,https://example.com,,${URI}`,
      'eve,,,Broken,pw,,https://broken.test,,not base32!',
    ].join('\n');
    const r = await read('credentials.csv', csv);
    expect(r.entries.map(core)).toEqual([expected[0]]);
    expect(r.skipped).toEqual([
      { index: 1, label: 'Broken (eve)', reason: expect.stringMatching(/^secret: /) },
    ]);
  });
});

describe('1Password 1PUX', () => {
  const login = (title: string, username: string, totp: string) => ({
    uuid: title,
    overview: { title, url: 'https://x.test' },
    details: {
      loginFields: [
        { value: username, id: '', name: 'username', fieldType: 'T', designation: 'username' },
        { value: 'pw', id: '', name: 'password', fieldType: 'P', designation: 'password' },
      ],
      sections: [
        { title: '', fields: [{ title: 'one-time password', id: 'TOTP_x', value: { totp } }] },
        { title: 'Other', fields: [{ title: 'pin', id: 'p', value: { concealed: '1234' } }] },
      ],
    },
  });
  const data = {
    accounts: [
      {
        attrs: { accountName: 'Me', name: 'Me', email: 'me@example.com', uuid: 'A', domain: 'my.test' },
        vaults: [
          {
            attrs: { uuid: 'V', name: 'Personal' },
            items: [
              login('Example', 'alice@example.com', URI),
              login('Bare, Inc', 'dan', 'GEZDGNBVGY3TQOJQ'),
              { uuid: 'n', overview: { title: 'Note' }, details: { notesPlain: 'no code', sections: [] } },
            ],
          },
          { attrs: { uuid: 'W', name: 'Work' }, items: [login('Air Canada', 'bob', URI2)] },
        ],
      },
    ],
  };

  it('reads the totp fields of every vault; detected by its export.data and export.attributes', async () => {
    const file = await zipBytes([
      { name: 'export.attributes', data: json({ version: 3, description: '1Password Unencrypted Export' }) },
      { name: 'export.data', data: json(data) },
    ]);
    expect(detectFormat(source('export.1pux', file))).toBe('1password-1pux');
    const r = await read('export.1pux', file);
    expect(r.format).toBe('1password-1pux');
    expect(r.entries.map(core)).toEqual(expected);
  });

  it('damaged export.data names the file and why', async () => {
    const file = await zipBytes([
      { name: 'export.attributes', data: '{}' },
      { name: 'export.data', data: '{"accounts": [' },
    ]);
    const err = await read('export.1pux', file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('damaged');
    expect((err as FormatError).message).toMatch(/^export\.1pux: .*ends early/);
  });
});

describe('Enpass JSON', () => {
  const item = (title: string, username: string, totp: string) => ({
    title,
    category: 'login',
    fields: [
      { label: 'Username', type: 'username', value: username },
      { label: 'Password', type: 'password', value: 'pw' },
      { label: 'One-time code', type: 'totp', value: totp },
    ],
  });
  it('reads type "totp" fields; detected', async () => {
    const file = json({
      folders: [],
      items: [
        item('Example', 'alice@example.com', URI),
        item('Bare, Inc', 'dan', 'GEZDGNBVGY3TQOJQ'),
        item('Air Canada', 'bob', URI2),
        item('No code', 'zoe', ''),
      ],
    });
    expect(detectFormat(source('enpass.json', file))).toBe('enpass');
    const r = await read('enpass.json', file);
    expect(r.format).toBe('enpass');
    expect(r.entries.map(core)).toEqual(expected);
  });
});

describe('Dashlane JSON', () => {
  // Written from the readable JSON export's published shape (see docs/IMPORT-FORMATS.md).
  const cred = (title: string, login: string, otp: Record<string, unknown>) => ({
    title,
    domain: `${title.toLowerCase().replace(/\W+/g, '')}.test`,
    login,
    email: '',
    secondaryLogin: '',
    password: 'pw',
    note: '',
    ...otp,
  });
  const file = json({
    AUTHENTIFIANT: [
      cred('Example', 'alice@example.com', { otpSecret: URI }),
      cred('Bare, Inc', 'dan', { otpSecret: 'GEZDGNBVGY3TQOJQ' }),
      // Newer exports: otpUrl, read before a stale otpSecret.
      cred('Air Canada', 'bob', { otpUrl: URI2, otpSecret: 'not base32!' }),
      cred('No code', 'zoe', { otpSecret: '' }),
    ],
    SECURENOTE: [{ title: 'n', content: 'x' }],
  });

  it('reads otpSecret and otpUrl of AUTHENTIFIANT entries field by field; detected; listed', async () => {
    expect(detectFormat(source('dashlane.json', file))).toBe('dashlane-json');
    const r = await read('dashlane.json', file);
    expect(r.format).toBe('dashlane-json');
    expect(r.entries.map(core)).toEqual(expected);
    expect(r.skipped).toEqual([]);
    expect(listFormats().map((f) => f.id)).toContain('dashlane-json');
  });

  it('skips a bad entry naming its field; the account falls back to the email', async () => {
    const r = await read(
      'dashlane.json',
      json({
        AUTHENTIFIANT: [
          { title: 'Mail', login: '', email: 'carol@example.com', otpSecret: 'KRSXG5CTMVRXEZLU' },
          { title: 'Typed', login: 'eve', otpSecret: 123456 },
          { title: 'Broken', login: 'eve', otpUrl: 'not base32!' },
          'not an object',
        ],
      }),
    );
    expect(r.entries.map((e) => [e.issuer, e.account, e.secret])).toEqual([
      ['Mail', 'carol@example.com', 'KRSXG5CTMVRXEZLU'],
    ]);
    expect(r.skipped).toEqual([
      { index: 1, label: 'Typed (eve)', reason: 'otpSecret: expected a string, found number' },
      { index: 2, label: 'Broken (eve)', reason: expect.stringMatching(/^secret: /) },
      { index: 3, label: '(unnamed)', reason: 'AUTHENTIFIANT[3]: expected an object' },
    ]);
  });

  it('a file without the AUTHENTIFIANT list, read as Dashlane JSON, is refused naming the field', async () => {
    const err = await importFiles({
      sources: [source('dashlane.json', json({ AUTHENTIFIANT: { title: 'x' } }))],
      format: 'dashlane-json',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('damaged');
    expect((err as FormatError).message).toMatch(
      /^dashlane\.json: .*AUTHENTIFIANT.*expected an array, found an object/,
    );
  });
});
