import { argon2d, argon2id } from 'hash-wasm';
import * as kdbxweb from 'kdbxweb';
import { describe, expect, it } from 'vitest';
import { detectFormat, FormatError, importFiles, type ImportResult } from '../src/index.js';
import { core, SAMPLE, source } from './helpers.js';

/** KeePass databases made by kdbxweb itself (an independent writer), with hash-wasm as its Argon2. */
kdbxweb.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type) => {
  const run = type === kdbxweb.CryptoEngine.Argon2TypeArgon2id ? argon2id : argon2d;
  const out = await run({
    password: new Uint8Array(password),
    salt: new Uint8Array(salt),
    memorySize: memory,
    iterations,
    parallelism,
    hashLength: length,
    outputType: 'binary',
  });
  return out.slice().buffer;
});

const URI = 'otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example';

async function database(
  opts: { version?: 3 | 4; argon?: { M: number; I: number }; password?: string } = {},
): Promise<Uint8Array> {
  const db = kdbxweb.Kdbx.create(
    new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(opts.password ?? 'test')),
    'Vault',
  );
  if (opts.version === 3) {
    db.setVersion(3);
    db.header.keyEncryptionRounds = 1000;
  } else {
    db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
    const p = db.header.kdfParameters!;
    p.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from((opts.argon?.M ?? 1024) * 1024));
    p.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(opts.argon?.I ?? 2));
  }
  const root = db.getDefaultGroup();
  const add = (group: kdbxweb.KdbxGroup, fields: Record<string, string>, protect: string[] = []) => {
    const e = db.createEntry(group);
    for (const [k, v] of Object.entries(fields)) {
      e.fields.set(k, protect.includes(k) ? kdbxweb.ProtectedValue.fromString(v) : v);
    }
  };
  add(root, { Title: 'Example', UserName: 'alice@example.com', Password: 'pw', otp: URI }, ['otp']);
  const sub = db.createGroup(root, 'Work');
  add(sub, {
    Title: 'Air Canada',
    UserName: 'bob',
    'TimeOtp-Secret-Base32': 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT',
    'TimeOtp-Algorithm': 'HMAC-SHA-256',
    'TimeOtp-Length': '8',
    'TimeOtp-Period': '60',
  });
  add(sub, { Title: 'Old', UserName: 'carol', 'TOTP Seed': 'GEZDGNBVGY3TQOJQ', 'TOTP Settings': '45;7' }, [
    'TOTP Seed',
  ]);
  add(sub, {
    Title: 'Game',
    UserName: 'erin',
    'TOTP Seed': 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
    'TOTP Settings': '30;S',
  });
  add(sub, { Title: 'Broken', UserName: 'eve', otp: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12' });
  add(root, { Title: 'No code', UserName: 'zoe', Password: 'pw' });
  return new Uint8Array(await db.save());
}

const expected = [
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
  {
    type: 'totp',
    secret: 'GEZDGNBVGY3TQOJQ',
    algorithm: 'SHA1',
    digits: 7,
    period: 45,
    counter: null,
    issuer: 'Old',
    account: 'carol',
  },
  {
    type: 'steam',
    secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
    algorithm: 'SHA1',
    digits: 5,
    period: 30,
    counter: null,
    issuer: 'Game',
    account: 'erin',
  },
];

async function read(bytes: Uint8Array, password?: string): Promise<ImportResult> {
  return importFiles({
    sources: [source('Vault.kdbx', bytes)],
    ...(password !== undefined ? { password } : {}),
  });
}

async function failure(bytes: Uint8Array, password?: string): Promise<FormatError> {
  const err = await read(bytes, password).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

describe('KeePass .kdbx', () => {
  it('KDBX 4 with Argon2id: otp URI, KeePass TimeOtp-* and KeePassXC TOTP Seed/Settings, field by field', async () => {
    const file = await database();
    expect(detectFormat(source('Vault.kdbx', file))).toBe('keepass');
    const r = await read(file, 'test');
    expect(r.format).toBe('keepass');
    expect(r.entries.map(core)).toEqual(expected);
    expect(r.skipped).toEqual([
      { index: 4, label: 'Broken (eve)', reason: expect.stringMatching(/^digits: /) },
    ]);
  });

  it('KDBX 3.1 with AES-KDF', async () => {
    const r = await read(await database({ version: 3 }), 'test');
    expect(r.entries.map(core)).toEqual(expected);
  });

  it('no password, wrong password, costly Argon2 refused before deriving, damaged file', async () => {
    const file = await database();
    expect((await failure(file)).code).toBe('password-required');
    const wrong = await failure(file, 'nope');
    expect(wrong.code).toBe('wrong-password');
    expect(wrong.message).toMatch(/^Vault\.kdbx: wrong password/);
    const costly = await database({ argon: { M: 1024, I: 2 } });
    // Raise the header's iteration count without re-deriving: the cap must fire on the header alone.
    const patched = await (async () => {
      const db = await kdbxweb.Kdbx.load(
        costly.slice().buffer,
        new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString('test')),
      );
      db.header.kdfParameters!.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1000));
      const stm = new kdbxweb.BinaryStream();
      db.header.write(stm);
      const header = new Uint8Array(stm.getWrittenBytes());
      const out = new Uint8Array(costly.length - db.header.endPos! + header.length);
      out.set(header);
      out.set(costly.subarray(db.header.endPos!), header.length);
      return out;
    })();
    const tooCostly = await failure(patched, 'test');
    expect(tooCostly.code).toBe('kdf-too-costly');
    expect(tooCostly.message).toMatch(/Vault\.kdbx: .*1000 Argon2 passes/);
    const damaged = file.slice(0, 40);
    expect((await failure(damaged, 'test')).message).toMatch(/^Vault\.kdbx: /);
  });
});
