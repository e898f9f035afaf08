import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles, LIMITS, type ImportResult } from '../src/index.js';
import {
  aegisEncrypted,
  andotpEncrypted,
  andotpOldEncrypted,
  bitwardenEncrypted,
  enteEncrypted,
  migrationUri,
  protonEncrypted,
  twofasEncrypted,
} from './fixtures.js';
import { ALICE, core, json, source } from './helpers.js';

async function read(name: string, content: string | Uint8Array, password?: string): Promise<ImportResult> {
  return importFiles({ sources: [source(name, content)], ...(password ? { password } : {}) });
}

async function failure(name: string, content: string | Uint8Array, password?: string): Promise<FormatError> {
  const err = await read(name, content, password).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

const ALICE_URI = 'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example';

describe('otpauth URI lists (plain, Aegis .txt, Ente plain)', () => {
  it('reads every line; a bad line is skipped with its reason while the rest import', async () => {
    const text = [
      'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
      '',
      'otpauth://totp/Bad:x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5',
      'otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air+Canada&algorithm=SHA256&digits=7&counter=50',
    ].join('\r\n');
    const r = await read('list.txt', text);
    expect(r.format).toBe('otpauth');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'KUVJJOM753IHTNDSZVCNKL7GII',
        algorithm: 'SHA256',
        digits: 7,
        period: null,
        counter: 50,
        issuer: 'Air Canada',
        account: 'Benjamin',
      },
    ]);
    expect(r.skipped).toEqual([
      { index: 1, line: 3, label: 'Bad:x', reason: expect.stringMatching(/^algorithm: unsupported "MD5"/) },
    ]);
  });

  it('takes a list with a stray line that is no URI, skipping that line by number without echoing it', async () => {
    const r = await read(
      'list.txt',
      [ALICE_URI, 'note: JBSWY3DPEHPK3PXP', ALICE_URI.replace('alice', 'bob')].join('\n'),
    );
    expect(r.format).toBe('otpauth');
    expect(r.entries.map((e) => e.account)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(r.skipped).toEqual([{ index: 1, line: 2, label: '', reason: 'not an otpauth:// URI' }]);
  });

  it('Ente lines: codeDisplay tags become tags, the note is not kept, HOTP without counter reads 0', async () => {
    const display = encodeURIComponent(
      JSON.stringify({ pinned: false, trashed: false, tags: ['Work', 'Mail'], note: 'private note' }),
    );
    const text = [
      `otpauth://totp/Example:alice@example.com?algorithm=sha1&digits=6&issuer=Example&period=30&secret=JBSWY3DPEHPK3PXP&codeDisplay=${display}`,
      `otpauth://hotp/Counter:bob?algorithm=SHA1&digits=6&issuer=Counter&period=30&secret=GEZDGNBVGY3TQOJQ&codeDisplay=${display}`,
    ].join('\n');
    const r = await read('ente-auth-codes.txt', text);
    expect(r.entries[0]).toEqual({ ...ALICE, tags: ['Work', 'Mail'] });
    expect(JSON.stringify(r.entries)).not.toContain('private note');
    expect(r.entries[1]).toMatchObject({ type: 'hotp', counter: 0, period: null });
  });

  it("labels a skipped line by the URI's label only, never by text that may hold the secret", async () => {
    const text = [
      'otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP',
      'steam://JBSWY3DPEHPK3PX1',
      'otpauth://totp?secret=JBSWY3DPEHPK3PX1',
    ].join('\n');
    const r = await read('list.txt', text);
    expect(r.entries).toHaveLength(1);
    expect(r.skipped.map((s) => s.label)).toEqual(['(unreadable line)', '(unreadable line)']);
    expect(JSON.stringify(r.skipped)).not.toContain('JBSWY3DP');
  });
});

describe('Google Authenticator otpauth-migration', () => {
  const example = migrationUri([
    {
      secret: [0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef],
      name: 'alice@example.com',
      issuer: 'Example',
      algorithm: 1,
      digits: 1,
      type: 2,
    },
    {
      secret: [...Buffer.from('12345678901234567890')],
      name: 'Example:bob',
      issuer: '',
      algorithm: 1,
      digits: 2,
      type: 1,
      counter: 5,
    },
    { secret: [1, 2, 3, 4, 5], name: 'md5', issuer: 'Old', algorithm: 4, digits: 1, type: 2 },
  ]);

  it('decodes entries; issuer comes from the name when empty; MD5 is skipped', async () => {
    const r = await read('export.txt', example);
    expect(r.format).toBe('google-migration');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 8,
        period: null,
        counter: 5,
        issuer: 'Example',
        account: 'bob',
      },
    ]);
    expect(r.skipped).toEqual([{ index: 2, label: 'Old (md5)', reason: 'algorithm: MD5 is not supported' }]);
  });

  it('accepts a + turned into a space by form decoding', async () => {
    const spaced = decodeURIComponent(example.slice('otpauth-migration://offline?data='.length)).replace(
      /\+/g,
      ' ',
    );
    const r = await read('export.txt', `otpauth-migration://offline?data=${spaced}`);
    expect(r.entries).toHaveLength(2);
  });

  it('combines the parts of a batch given as several sources, and reports missing parts', async () => {
    const otp = (name: string) => ({
      secret: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      name,
      issuer: 'Batch',
      algorithm: 1,
      digits: 1,
      type: 2,
    });
    const parts = [0, 1, 2].map((i) =>
      source(`qr${i}.txt`, migrationUri([otp(`user${i}`)], { size: 3, index: i, id: 77 })),
    );
    const all = await importFiles({ sources: [parts[2]!, parts[0]!, parts[1]!] });
    expect(all.entries.map((e) => e.account)).toEqual(['user0', 'user1', 'user2']);
    const some = await importFiles({ sources: [parts[0]!, parts[2]!] });
    expect(some.entries.map((e) => e.account)).toEqual(['user0', 'user2']);
    expect(some.skipped).toEqual([
      {
        index: -1,
        label: 'QR code 2 of 3 (batch 77)',
        reason: 'missing: import every QR code of this export together',
      },
    ]);
  });

  it('never drops a different QR code that shares an index (exports with batch_id 0); drops an identical one', async () => {
    const otp = (name: string) => ({
      secret: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      name,
      issuer: 'Batch',
      algorithm: 1,
      digits: 1,
      type: 2,
    });
    const a = source('a.txt', migrationUri([otp('a')], { size: 1, index: 0, id: 0 }));
    const b = source('b.txt', migrationUri([otp('b')], { size: 1, index: 0, id: 0 }));
    const r = await importFiles({ sources: [a, b, a] });
    expect(r.entries.map((e) => e.account)).toEqual(['a', 'b']);
    expect(r.skipped).toEqual([]);
  });

  it('a damaged payload names the field', async () => {
    const err = await failure('bad.txt', 'otpauth-migration://offline?data=%%%');
    expect(err.code).toBe('damaged');
    expect(err.message).toMatch(/^bad\.txt: damaged Google Authenticator export .*\(field data\)/);
    const notB64 = await failure('bad.txt', 'otpauth-migration://offline?data=a!b');
    expect(notB64.details.field).toBe('data');
  });
});

const aegisContent = {
  version: 3,
  entries: [
    {
      type: 'totp',
      uuid: 'a',
      name: 'alice@example.com',
      issuer: 'Example',
      note: 'secret note',
      info: { secret: 'JBSWY3DPEHPK3PXP', algo: 'SHA1', digits: 6, period: 30 },
      groups: ['g1'],
    },
    {
      type: 'hotp',
      uuid: 'b',
      name: 'bob',
      issuer: 'Counter',
      info: { secret: 'GEZDGNBVGY3TQOJQ', algo: 'SHA512', digits: 8, counter: 3 },
      groups: [],
    },
    {
      type: 'steam',
      uuid: 'c',
      name: 'carol',
      issuer: 'Steam',
      info: { secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ', algo: 'SHA1', digits: 5, period: 30 },
    },
    {
      type: 'motp',
      uuid: 'd',
      name: 'dan',
      issuer: 'Mobile',
      info: { secret: 'abcd', algo: 'MD5', digits: 6, period: 10, pin: '1234' },
    },
    { type: 'totp', uuid: 'e', name: 'erin', issuer: 'Broken', info: { secret: 42 } },
  ],
  groups: [{ uuid: 'g1', name: 'Personal' }],
};

describe('Aegis', () => {
  it('a file cut off in the middle says it ends early, not that its format is unknown', async () => {
    const whole = json({ version: 1, header: { slots: null, params: null }, db: aegisContent });
    const cut = await failure('aegis-export-plain.json', whole.slice(0, Math.floor(whole.length / 2)));
    expect(cut.code).toBe('damaged');
    expect(cut.message).toMatch(
      /^aegis-export-plain\.json: the file ends early \(it stops in the middle of its JSON\)/,
    );
    // A mistyped (not cut) JSON file is still named as such.
    const typo = await failure('x.json', whole.replace('"version"', 'version'));
    expect(typo.message).toMatch(/^x\.json: not a format Tessera recognises \(invalid JSON/);
  });

  it('plain: entries, groups as tags, unsupported types and broken entries skipped with index and field', async () => {
    const r = await read(
      'aegis-export-plain.json',
      json({ version: 1, header: { slots: null, params: null }, db: aegisContent }),
    );
    expect(r.format).toBe('aegis');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'GEZDGNBVGY3TQOJQ',
        algorithm: 'SHA512',
        digits: 8,
        period: null,
        counter: 3,
        issuer: 'Counter',
        account: 'bob',
      },
      {
        type: 'steam',
        secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
        algorithm: 'SHA1',
        digits: 5,
        period: 30,
        counter: null,
        issuer: 'Steam',
        account: 'carol',
      },
    ]);
    expect(r.entries[0]!.tags).toEqual(['Personal']);
    expect(r.skipped).toEqual([
      { index: 3, label: 'Mobile (dan)', reason: 'type: motp entries are not supported by Tessera' },
      { index: 4, label: 'Broken (erin)', reason: 'secret: expected a string, found number' },
    ]);
  });

  it('encrypted: unlocks the password slot (skipping biometric ones); wrong password names the format and file', async () => {
    const file = aegisEncrypted(aegisContent, 'test');
    expect(detectFormat(source('v.json', file))).toBe('aegis');
    const r = await read('aegis-backup.json', file, 'test');
    expect(r.entries).toHaveLength(3);
    const err = await failure('aegis-backup.json', file, 'nope');
    expect(err.code).toBe('wrong-password');
    expect(err.message).toBe(
      'aegis-backup.json: wrong password for this Aegis vault file (or the file was altered)',
    );
    expect((await failure('aegis-backup.json', file)).code).toBe('password-required');
  });

  it('refuses scrypt N = 2^31 before running it', async () => {
    const vault = JSON.parse(aegisEncrypted(aegisContent, 'test'));
    vault.header.slots[1].n = 2 ** 31;
    // scrypt at N=2^31 needs 256 GiB: reaching this error at all shows it never ran.
    const err = await failure('big.json', json(vault), 'test');
    expect(err.code).toBe('kdf-too-costly');
    expect(err.message).toBe(
      'big.json: Aegis vault asks for scrypt N=2^31 (limit 2^20) in field header.slots[1].n; refusing to run a key derivation that costly',
    );
  });

  it(`refuses more than ${LIMITS.aegisMaxPasswordSlots} password slots before running any scrypt`, async () => {
    const vault = JSON.parse(aegisEncrypted(aegisContent, 'test'));
    const slot = vault.header.slots.find((s: { type: number }) => s.type === 1);
    vault.header.slots = Array.from({ length: LIMITS.aegisMaxPasswordSlots + 1 }, () => slot);
    const err = await failure('many-slots.json', json(vault), 'test');
    expect(err).toMatchObject({ code: 'kdf-too-costly', details: { field: 'header.slots' } });
    expect(err.message).toMatch(/5 password slots, one scrypt run each \(limit 4\)/);
    vault.header.slots = vault.header.slots.slice(0, LIMITS.aegisMaxPasswordSlots);
    expect((await read('four-slots.json', json(vault), 'test')).entries).toHaveLength(3);
  });

  it('a damaged header names the field', async () => {
    const vault = JSON.parse(aegisEncrypted(aegisContent, 'test'));
    vault.header.params.nonce = 'zz';
    const err = await failure('v.json', json(vault), 'test');
    expect(err).toMatchObject({ code: 'damaged', details: { field: 'header.params.nonce' } });
  });
});

describe('2FAS', () => {
  const v4 = [
    {
      name: 'Example',
      secret: 'JBSWY3DPEHPK3PXP',
      updatedAt: 1,
      otp: { account: 'alice@example.com', digits: 6, period: 30, algorithm: 'SHA1', tokenType: 'TOTP' },
      order: { position: 0 },
      groupId: 'g',
    },
    {
      name: 'Counter',
      secret: 'gezdgnbvgy3tqojq',
      updatedAt: 1,
      otp: { label: 'bob', account: 'bob', digits: 7, algorithm: 'SHA256', counter: 9, tokenType: 'HOTP' },
      order: { position: 1 },
    },
    {
      name: 'Steam',
      secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      updatedAt: 1,
      otp: { account: 'carol', digits: 5, period: 30, tokenType: 'STEAM' },
      order: { position: 2 },
    },
    {
      name: 'Odd',
      secret: 'JBSWY3DPEHPK3PXP',
      updatedAt: 1,
      otp: { account: 'x', algorithm: 'SHA384', tokenType: 'TOTP' },
      order: { position: 3 },
    },
  ];

  it('schema 1 and 2: every entry is TOTP; label "Issuer:account" falls back to the account', async () => {
    const r1 = await read(
      '2fas.json',
      json({
        schemaVersion: 1,
        services: [
          {
            name: 'Example',
            secret: 'JBSWY3DPEHPK3PXP',
            otp: { account: 'alice@example.com', issuer: 'Example', label: 'Example:alice@example.com' },
            type: 'Unknown',
            order: { position: 0 },
          },
        ],
      }),
    );
    expect(r1.entries.map(core)).toEqual([ALICE]);
    const r2 = await read(
      'b.2fas',
      json({
        schemaVersion: 2,
        services: [
          {
            name: 'Example',
            secret: 'JBSWY3DPEHPK3PXP',
            otp: { label: 'Example:alice@example.com', digits: 8, period: 60, algorithm: 'SHA512' },
            order: { position: 0 },
          },
        ],
      }),
    );
    expect(r2.entries.map(core)).toEqual([{ ...ALICE, digits: 8, period: 60, algorithm: 'SHA512' }]);
  });

  it('schema 4: TOTP, HOTP and Steam, group names as tags, SHA384 skipped', async () => {
    const r = await read(
      'backup.2fas',
      json({ schemaVersion: 4, services: v4, groups: [{ id: 'g', name: 'Personal' }] }),
    );
    expect(r.format).toBe('2fas');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'hotp',
        secret: 'GEZDGNBVGY3TQOJQ',
        algorithm: 'SHA256',
        digits: 7,
        period: null,
        counter: 9,
        issuer: 'Counter',
        account: 'bob',
      },
      {
        type: 'steam',
        secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
        algorithm: 'SHA1',
        digits: 5,
        period: 30,
        counter: null,
        issuer: 'Steam',
        account: 'carol',
      },
    ]);
    expect(r.entries[0]!.tags).toEqual(['Personal']);
    expect(r.skipped).toEqual([
      { index: 3, label: 'Odd (x)', reason: expect.stringMatching(/^algorithm: unsupported "SHA384"/) },
    ]);
  });

  it('encrypted (schema 3 and 4): decrypts with the password; a wrong one is refused', async () => {
    for (const schema of [3, 4]) {
      const file = twofasEncrypted(v4.slice(0, 3), 'test', schema);
      expect((await read('enc.2fas', file, 'test')).entries).toHaveLength(3);
      expect((await failure('enc.2fas', file, 'bad')).message).toBe(
        'enc.2fas: wrong password for this 2FAS backup file (or the file was altered)',
      );
    }
  });
});

describe('andOTP', () => {
  const entries = [
    {
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'Example',
      label: 'alice@example.com',
      digits: 6,
      type: 'TOTP',
      algorithm: 'SHA1',
      period: 30,
      tags: ['Work'],
    },
    {
      secret: 'GEZDGNBVGY3TQOJQ',
      issuer: 'Counter',
      label: 'bob',
      digits: 6,
      type: 'HOTP',
      algorithm: 'SHA1',
      counter: 4,
      tags: [],
    },
    {
      secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      label: 'Steam - carol',
      digits: 5,
      type: 'STEAM',
      algorithm: 'SHA1',
      tags: [],
    },
  ];
  const expected = [
    ALICE,
    {
      type: 'hotp',
      secret: 'GEZDGNBVGY3TQOJQ',
      algorithm: 'SHA1',
      digits: 6,
      period: null,
      counter: 4,
      issuer: 'Counter',
      account: 'bob',
    },
    {
      type: 'steam',
      secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
      issuer: 'Steam',
      account: 'carol',
    },
  ];

  it('plain JSON array (label split on " - " when there is no issuer)', async () => {
    const r = await read('otp_accounts.json', json(entries));
    expect(r.format).toBe('andotp');
    expect(r.entries.map(core)).toEqual(expected);
    expect(r.entries[0]!.tags).toEqual(['Work']);
  });

  it('new and old encryption, wrong password, and a costly iteration header', async () => {
    expect(
      (await read('otp_accounts.json.aes', andotpEncrypted(entries, 'test', 2000), 'test')).entries.map(core),
    ).toEqual(expected);
    expect(
      (await read('old.json.aes', andotpOldEncrypted(entries, 'test'), 'test')).entries.map(core),
    ).toEqual(expected);
    expect((await failure('x.aes', andotpEncrypted(entries, 'test', 2000), 'nope')).code).toBe(
      'wrong-password',
    );
    const costly = andotpEncrypted(entries, 'test', 2000);
    new DataView(costly.buffer, costly.byteOffset).setUint32(0, 0x7fffffff);
    const err = await failure('x.aes', costly, 'test');
    expect(err.code).toBe('unknown-format');
    expect(err.message).toMatch(
      /^x\.aes: not a format Tessera recognises \(read as an andOTP backup, its header would ask for 2,147,483,647 PBKDF2 iterations, where andOTP writes 140,000–160,000\)/,
    );
  });

  it('does not take random bytes for an encrypted andOTP backup', async () => {
    // 0xeeb44825 = 4,004,792,357: what a random header asked for before the check.
    const noise = new Uint8Array(300).map((_, i) => (i * 131 + 7) % 256);
    noise.set([0xee, 0xb4, 0x48, 0x25]);
    const without = await failure('noise.bin', noise);
    expect(without.code).toBe('unknown-format');
    expect(without.message).toMatch(
      /4,004,792,357 PBKDF2 iterations.*give its password; otherwise name the format/,
    );
    const withPassword = await failure('noise.bin', noise, 'test');
    expect(withPassword.code).toBe('unknown-format');
    expect(withPassword.message).toMatch(/the password is wrong or the file was altered\.$/);
    // A plausible header is still an andOTP backup that needs its password.
    const plausible = andotpEncrypted(entries, 'test', 150_000);
    expect((await failure('otp_accounts.json.aes', plausible)).code).toBe('password-required');
  });
});

describe('Bitwarden', () => {
  const exported = {
    encrypted: false,
    folders: [],
    items: [
      {
        type: 1,
        name: 'Example',
        login: {
          username: 'alice@example.com',
          totp: 'otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
        },
      },
      {
        type: 1,
        name: 'Game',
        login: { username: 'carol', totp: 'steam://HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ' },
      },
      { type: 1, name: 'Bare', login: { username: 'dan', totp: 'gezd gnbv gy3t qojq' } },
      { type: 1, name: 'No code', login: { username: 'x', password: 'p', totp: null } },
      { type: 2, name: 'A note', secureNote: { type: 0 } },
    ],
  };
  const expected = [
    ALICE,
    {
      type: 'steam',
      secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
      issuer: 'Game',
      account: 'carol',
    },
    {
      type: 'totp',
      secret: 'GEZDGNBVGY3TQOJQ',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: null,
      issuer: 'Bare',
      account: 'dan',
    },
  ];

  it('JSON: otpauth, steam:// and bare secrets; items without a code are ignored', async () => {
    const r = await read('bitwarden_export.json', json(exported));
    expect(r.format).toBe('bitwarden');
    expect(r.entries.map(core)).toEqual(expected);
    expect(r.skipped).toEqual([]);
  });

  it('CSV with quoted fields', async () => {
    const csv = [
      'folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp',
      ',,login,Example,"a note, with ""quotes""\nand a line",,0,,alice@example.com,pw,otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
      ',,login,Game,,,0,,carol,,steam://HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      ',,login,Bare,,,0,,dan,,GEZDGNBVGY3TQOJQ',
      ',,note,Nothing,,,0,,,,',
    ].join('\n');
    const r = await read('bitwarden.csv', csv);
    expect(r.format).toBe('bitwarden-csv');
    expect(r.entries.map(core)).toEqual(expected);
  });

  it('password-protected, PBKDF2 and Argon2id; wrong password', async () => {
    const pbkdf2 = await bitwardenEncrypted(exported, 'test', { type: 0, iterations: 5000 });
    expect((await read('bw.json', pbkdf2, 'test')).entries.map(core)).toEqual(expected);
    expect((await failure('bw.json', pbkdf2, 'bad')).message).toBe(
      'bw.json: wrong password for this Bitwarden export file (or the file was altered)',
    );
    const argon = await bitwardenEncrypted(exported, 'test', { type: 1, iterations: 2, memoryMiB: 16 });
    expect((await read('bw.json', argon, 'test')).entries.map(core)).toEqual(expected);
  });

  it('refuses costly KDF settings and account-restricted exports', async () => {
    const file = JSON.parse(await bitwardenEncrypted(exported, 'test', { type: 0, iterations: 5000 }));
    expect((await failure('bw.json', json({ ...file, kdfIterations: 2e9 }), 'test')).code).toBe(
      'kdf-too-costly',
    );
    expect(
      (
        await failure(
          'bw.json',
          json({ ...file, kdfType: 1, kdfIterations: 3, kdfMemory: 4096, kdfParallelism: 1 }),
          'test',
        )
      ).message,
    ).toMatch(/Argon2 memory .* \(limit 1048576 KiB = 1 GiB\) in field kdf\.memory/);
    const restricted = await failure(
      'bw.json',
      json({ encrypted: true, encKeyValidation_DO_NOT_EDIT: '2.x|y|z', items: [] }),
    );
    expect(restricted.code).toBe('unsupported');
    expect(restricted.message).toMatch(/account restricted/);
  });
});

describe('Ente Auth encrypted', () => {
  const plain =
    'otpauth://totp/Example:alice@example.com?algorithm=SHA1&digits=6&issuer=Example&period=30&secret=JBSWY3DPEHPK3PXP\n';

  it('decrypts messages tagged MESSAGE (the app) and FINAL; wrong password', async () => {
    for (const final of [false, true]) {
      const file = await enteEncrypted(plain, 'password', { final });
      const r = await read('ente-auth-codes.txt', file, 'password');
      expect(r.format).toBe('ente');
      expect(r.entries.map(core)).toEqual([ALICE]);
    }
    const file = await enteEncrypted(plain, 'password');
    expect((await failure('ente.txt', file, 'wrong')).message).toBe(
      'ente.txt: wrong password for this Ente Auth encrypted export file (or the file was altered)',
    );
  });

  it('refuses memLimit and opsLimit beyond the caps', async () => {
    const file = JSON.parse(await enteEncrypted(plain, 'password'));
    const mem = await failure(
      'e.txt',
      json({ ...file, kdfParams: { ...file.kdfParams, memLimit: 2 ** 40 } }),
      'password',
    );
    expect(mem).toMatchObject({ code: 'kdf-too-costly', details: { field: 'kdfParams.memory' } });
    const ops = await failure(
      'e.txt',
      json({ ...file, kdfParams: { ...file.kdfParams, opsLimit: 1000 } }),
      'password',
    );
    expect(ops).toMatchObject({ code: 'kdf-too-costly', details: { field: 'kdfParams.iterations' } });
  });
});

describe('Proton Authenticator', () => {
  const plainJson = {
    version: 1,
    entries: [
      {
        id: '1',
        content: {
          uri: 'otpauth://totp/alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30',
          entry_type: 'Totp',
          name: 'alice@example.com',
        },
        note: 'n',
      },
      {
        id: '2',
        content: { uri: 'steam://HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ', entry_type: 'Steam', name: 'carol' },
        note: null,
      },
    ],
  };
  const expected = [
    ALICE,
    {
      type: 'steam',
      secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
      issuer: '',
      account: 'carol',
    },
  ];

  it('plain and encrypted; wrong password', async () => {
    expect((await read('proton.json', json(plainJson))).entries.map(core)).toEqual(expected);
    const file = await protonEncrypted(plainJson, 'test');
    expect((await read('proton-enc.json', file, 'test')).entries.map(core)).toEqual(expected);
    expect((await failure('proton-enc.json', file, 'x')).code).toBe('wrong-password');
  });

  it('labels a skipped unnamed entry by its URI label, not by the URI and its secret', async () => {
    const bad = {
      version: 1,
      entries: [
        {
          content: {
            uri: 'otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=12',
            entry_type: 'Totp',
          },
        },
      ],
    };
    const r = await read('proton.json', json(bad));
    expect(r.skipped).toEqual([
      { index: 0, label: 'Example:alice', reason: 'digits: must be 6 to 10, got 12' },
    ]);
  });
});

describe('LastPass, Steam, Duo, FreeOTP+', () => {
  it('LastPass Authenticator export', async () => {
    const file = {
      version: 3,
      accounts: [
        {
          issuerName: 'Example',
          userName: 'alice@example.com',
          secret: 'JBSWY3DPEHPK3PXP',
          timeStep: 30,
          digits: 6,
          algorithm: 'SHA1',
        },
        {
          issuerName: '',
          originalIssuerName: 'Orig',
          userName: 'x',
          secret: 'GEZDGNBVGY3TQOJQ',
          timeStep: 20,
          digits: 8,
          algorithm: 'SHA256',
        },
      ],
      folders: [],
    };
    const r = await read('lastpass.json', json(file));
    expect(r.format).toBe('lastpass');
    expect(r.entries.map(core)).toEqual([
      ALICE,
      {
        type: 'totp',
        secret: 'GEZDGNBVGY3TQOJQ',
        algorithm: 'SHA256',
        digits: 8,
        period: 20,
        counter: null,
        issuer: 'Orig',
        account: 'x',
      },
    ]);
  });

  it('Steam files, one account or an accounts map', async () => {
    const account = {
      shared_secret: Buffer.from('Hello!\u00de\u00ad\u00be\u00ef', 'latin1').toString('base64'),
      account_name: 'carol',
      revocation_code: 'R1',
    };
    const steam = {
      type: 'steam',
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1',
      digits: 5,
      period: 30,
      counter: null,
      issuer: 'Steam',
      account: 'carol',
    };
    expect((await read('carol.maFile', json(account))).entries.map(core)).toEqual([steam]);
    expect((await read('steam.json', json({ accounts: { a: account } }))).entries.map(core)).toEqual([steam]);
    const forced = await importFiles({
      sources: [source('other.json', json({ accounts: { a: { name: 'x' } } }))],
      format: 'steam',
    }).catch((e: unknown) => e as FormatError);
    expect(forced).toMatchObject({ code: 'damaged', details: { field: 'shared_secret' } });
  });

  it('Duo: counter means HOTP, no issuer', async () => {
    const r = await read(
      'duo.json',
      json([
        { name: 'alice', otpGenerator: { otpSecret: 'JBSWY3DPEHPK3PXP' } },
        { name: 'bob', otpGenerator: { otpSecret: 'GEZDGNBVGY3TQOJQ', counter: 3 } },
      ]),
    );
    expect(r.entries.map(core)).toEqual([
      { ...ALICE, issuer: '', account: 'alice' },
      {
        type: 'hotp',
        secret: 'GEZDGNBVGY3TQOJQ',
        algorithm: 'SHA1',
        digits: 6,
        period: null,
        counter: 3,
        issuer: '',
        account: 'bob',
      },
    ]);
  });

  it('FreeOTP+: signed Java bytes, Steam by issuer', async () => {
    const secret = [72, 101, 108, 108, 111, 33, -34, -83, -66, -17];
    const file = {
      tokenOrder: ['Example:alice@example.com', 'Steam:carol'],
      tokens: [
        {
          algo: 'SHA1',
          counter: 0,
          digits: 6,
          issuerExt: 'Example',
          label: 'alice@example.com',
          period: 30,
          secret,
          type: 'TOTP',
        },
        {
          algo: 'SHA1',
          counter: 0,
          digits: 5,
          issuerExt: 'Steam',
          label: 'carol',
          period: 30,
          secret,
          type: 'TOTP',
        },
        {
          algo: 'SHA1',
          counter: 0,
          digits: 6,
          issuerExt: 'Bad',
          label: 'x',
          period: 30,
          secret: [999],
          type: 'TOTP',
        },
      ],
    };
    const r = await read('freeotp-backup.json', json(file));
    expect(r.entries.map(core)).toEqual([
      ALICE,
      { ...ALICE, type: 'steam', digits: 5, issuer: 'Steam', account: 'carol' },
    ]);
    expect(r.skipped).toEqual([{ index: 2, label: 'Bad (x)', reason: 'secret: item 0 is not a byte' }]);
  });
});

describe('limits', () => {
  it(`refuses more than ${LIMITS.maxEntries} entries`, async () => {
    const line = 'otpauth://totp/a?secret=JBSWY3DPEHPK3PXP\n';
    const err = await failure('many.txt', line.repeat(LIMITS.maxEntries + 1));
    expect(err.code).toBe('too-large');
    expect(err.message).toMatch(/10001 entries, more than the limit of 10000/);
  });

  it('refuses deeply nested JSON without overflowing the stack', async () => {
    const err = await failure('deep.json', '['.repeat(100_000) + ']'.repeat(100_000));
    expect(err.code).toBe('too-large');
    expect(err.message).toMatch(/nested 100000 levels deep/);
  });

  it('refuses files over the size limit before parsing', async () => {
    const err = await failure('huge.txt', new Uint8Array(LIMITS.maxFileBytes + 1));
    expect(err.code).toBe('too-large');
  });

  it("never quotes a damaged file's text, which may be a secret, in the error", async () => {
    const text = '{"secret": JBSWY3DPEHPK3PXP}';
    const detected = await failure('x.json', text);
    expect(detected.message).toMatch(/invalid JSON: unexpected character/);
    const forced = await importFiles({ sources: [source('x.json', text)], format: 'aegis' }).then(
      () => expect.unreachable('a damaged file imported'),
      (e: unknown) => e as FormatError,
    );
    expect(forced).toMatchObject({ code: 'damaged', message: expect.stringMatching(/invalid JSON/) });
    for (const err of [detected, forced]) expect(err.message).not.toContain('JBSWY3DP');
  });

  it('names unknown formats and bad --format values', async () => {
    expect((await failure('x.bin', 'hello world')).code).toBe('unknown-format');
    const err = await importFiles({ sources: [source('x.txt', 'x')], format: 'nope' }).then(
      () => expect.unreachable('an unknown --format was accepted'),
      (e: unknown) => e as FormatError,
    );
    expect(err.message).toMatch(/^unknown format "nope"; known: /);
  });
});
