#!/usr/bin/env node
/**
 * Imports every file of the reference exports (real export files from other apps, GPL test data kept
 * outside the repository) with the BUILT @tessera/formats, and compares each entry with what the
 * folder's README says it must be. Prints one line per file, then `N passed, N failed`; exits 1 on any
 * failure.
 *
 * Folder: $TESSERA_REFERENCE_EXPORTS, else ../shared/reference-exports beside the repository.
 * Run `npm run build` first (CI's `npm ci` builds).
 *
 * Expectations:
 * - aegis-v3.4.2/: every file holds (some of) the seven entries of plain.txt, changed only by the
 *   file's adjustment in the README table; each file's entry count is stated below.
 * - proton-pass-common/: encrypted files must give exactly the entries of their plain twin, broken
 *   files the stated skipped reasons, QR images the entries their codes hold (decoded by hand with a
 *   protobuf dump when this script was written), example.png a clear "not an authenticator code" error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { fileURLToPath, URLSearchParams } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = process.env.TESSERA_REFERENCE_EXPORTS
  ? path.resolve(process.env.TESSERA_REFERENCE_EXPORTS)
  : path.resolve(repoRoot, '../shared/reference-exports');

if (!existsSync(root)) {
  console.error(`reference exports not found at ${root} (set TESSERA_REFERENCE_EXPORTS)`);
  process.exit(2);
}
let formats;
try {
  formats = await import('@tessera/formats');
} catch (err) {
  console.error(`cannot load the built @tessera/formats (run npm run build first): ${err.message}`);
  process.exit(2);
}
const { importFiles } = formats;

// ---------------------------------------------------------------------------------------------------
// Helpers

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 Base32 of bytes, unpadded (the canonical form entries use). */
function base32(bytes) {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Bytes of Base32 text; trailing bits that do not fill a byte are dropped (RFC 4648 §6). */
function base32Bytes(text) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of text.toUpperCase().replace(/[\s=-]/g, '')) {
    value = (value << 5) | BASE32.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

const hexToBase32 = (hex) => base32(Buffer.from(hex, 'hex'));
/** The canonical form of a secret: what its bytes encode to (a 22-character secret has 2 spare bits). */
const canonicalSecret = (s) => base32(base32Bytes(s));

/** plain.txt parsed here, independently of the readers under test. */
function parsePlainTxt(text) {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const url = new URL(line.trim());
      const params = new URLSearchParams(url.search); // form-decodes `+` (issuer=Air+Canada)
      const label = decodeURIComponent(url.pathname.slice(1));
      const type = url.host;
      return {
        type,
        secret: canonicalSecret(params.get('secret')),
        algorithm: params.get('algorithm') ?? 'SHA1',
        digits: Number(params.get('digits') ?? (type === 'steam' ? 5 : 6)),
        period: type === 'hotp' ? null : Number(params.get('period') ?? 30),
        counter: type === 'hotp' ? Number(params.get('counter')) : null,
        issuer: params.get('issuer') ?? label.split(':')[0],
        account: label.includes(':') ? label.slice(label.indexOf(':') + 1) : label,
      };
    });
}

const FIELDS = ['type', 'secret', 'algorithm', 'digits', 'period', 'counter', 'issuer', 'account'];

/** Differences between an imported entry and the expected one, as "field: got X, want Y". */
function differences(actual, expected, ignore = []) {
  return FIELDS.filter(
    (f) => !ignore.includes(f) && expected[f] !== undefined && actual[f] !== expected[f],
  ).map((f) => `${f}: got ${JSON.stringify(actual[f])}, want ${JSON.stringify(expected[f])}`);
}

/** Compares entries to expected ones in order (both lists sorted by secret, then account). */
function compareLists(actual, expected, ignore = []) {
  const key = (e) => `${e.secret}\u0000${e.account}\u0000${e.issuer}\u0000${e.algorithm}`;
  const a = [...actual].sort((x, y) => key(x).localeCompare(key(y)));
  const b = [...expected].sort((x, y) => key(x).localeCompare(key(y)));
  if (a.length !== b.length) return [`${a.length} entries, want ${b.length}`];
  return a.flatMap((entry, i) =>
    differences(entry, b[i], ignore).map((d) => `${entry.issuer}/${entry.account}: ${d}`),
  );
}

// ---------------------------------------------------------------------------------------------------
// aegis-v3.4.2: the seven plain.txt entries with each file's adjustments (README table)

const aegisDir = path.join(root, 'aegis-v3.4.2');
const LINES = parsePlainTxt(readFileSync(path.join(aegisDir, 'plain.txt'), 'utf8'));

const asTotp = (e, { algorithm = 'SHA1', digits = 6, period = 30 } = {}) => ({
  ...e,
  type: 'totp',
  algorithm,
  digits,
  period,
  counter: null,
});
const counterMinusOne = (e) => (e.type === 'hotp' ? { ...e, counter: e.counter - 1 } : e);

/** file → { count, password?, adjust?(line) → expected entry, ignore?: fields not compared } */
const AEGIS = {
  'plain.txt': { count: 7 },
  'aegis_plain.json': { count: 7 },
  'aegis_encrypted.json': { count: 7, password: 'test' },
  'ente_auth.txt': { count: 7 },
  'andotp_plain.json': { count: 7 },
  'andotp_encrypted.bin': { count: 7, password: 'test' },
  'andotp_encrypted_old.bin': {
    count: 6,
    password: 'test',
    adjust: (e) => ({ ...e, account: `${e.issuer}:${e.account}` }),
  },
  '2fas_authenticator.json': { count: 6, adjust: (e) => asTotp(e) },
  '2fas_authenticator_plain.2fas': {
    count: 4,
    adjust: (e) => asTotp(e, { algorithm: e.algorithm, digits: e.digits, period: e.period ?? 30 }),
  },
  '2fas_authenticator_encrypted.2fas': {
    count: 4,
    password: 'test',
    adjust: (e) => asTotp(e, { algorithm: e.algorithm, digits: e.digits, period: e.period ?? 30 }),
  },
  '2fas_authenticator_plain_v3.2fas': { count: 6 },
  '2fas_authenticator_encrypted_v3.2fas': { count: 6, password: 'test' },
  '2fas_authenticator_plain_v4.2fas': { count: 5 },
  '2fas_authenticator_encrypted_v4.2fas': { count: 5, password: 'test' },
  'authy_plain.xml': {
    count: 3,
    password: 'testtest',
    adjust: (e) => ({ ...e, algorithm: 'SHA1' }),
    ignore: ['period'],
  },
  'authy_encrypted.xml': {
    count: 3,
    password: 'testtest',
    adjust: (e) => ({ ...e, algorithm: 'SHA1' }),
    ignore: ['period'],
  },
  'stratum_plain.json': { count: 7, password: 'test' },
  'stratum_encrypted.bin': { count: 7, password: 'test' },
  'stratum_encrypted_legacy.bin': { count: 7, password: 'test' },
  'stratum_internal.db': { count: 7, password: 'test' },
  'freeotp.xml': { count: 4, adjust: counterMinusOne },
  'freeotp_v2_api23.xml': { count: 6, password: 'test' },
  'freeotp_v2_api25.xml': { count: 6, password: 'test' },
  'freeotp_v2_api27.xml': { count: 6, password: 'test' },
  'freeotp_v2_api34.xml': { count: 6, password: 'test' },
  'freeotp_v2_null_algo.xml': { count: 1, password: 'test' },
  'freeotp_plus.json': { count: 6, adjust: counterMinusOne },
  'freeotp_plus_internal.xml': { count: 6, adjust: counterMinusOne },
  'google_authenticator.sqlite': {
    count: 6,
    adjust: (e) => ({ ...e, digits: 6, algorithm: 'SHA1', period: e.type === 'hotp' ? null : 30 }),
  },
  'microsoft_authenticator.sqlite': { count: 7, adjust: (e) => asTotp(e) },
  'bitwarden.json': { count: 4, adjust: (e) => (e.type === 'steam' ? { secret: e.secret } : e) },
  'bitwarden.csv': { count: 4, adjust: (e) => (e.type === 'steam' ? { secret: e.secret } : e) },
  'proton_authenticator.json': { count: 3 },
  'steam.json': { count: 1, adjust: (e) => ({ ...e, issuer: 'Steam' }) },
  'steam_old.json': { count: 1, adjust: (e) => ({ ...e, issuer: 'Steam' }) },
  'totp_authenticator.bin': {
    count: 3,
    password: 'Testtest1',
    adjust: (e) => ({ ...e, algorithm: 'SHA1', account: e.account.toLowerCase() }),
  },
  'totp_authenticator_internal.xml': {
    count: 3,
    adjust: (e) => ({ ...e, algorithm: 'SHA1', account: e.account.toLowerCase() }),
  },
  'authenticator_plus.zip': { count: 7, password: 'testtesttest' },
  'duo.json': { count: 2, adjust: (e) => ({ ...e, issuer: '' }), ignore: ['counter'] },
  'battle_net_authenticator.xml': {
    // Its own entry: the serial and device secret the app masks (README: not from plain.txt).
    own: [
      {
        type: 'totp',
        secret: 'BMGRXPGFARQQF4GMT25JATL2VYLAHDBI',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: null,
        issuer: 'Battle.net',
        account: 'US-2211-2050-3346',
      },
    ],
  },
};

function checkAgainstLines(result, spec) {
  const problems = [];
  if (result.skipped.length > 0) {
    problems.push(`skipped ${result.skipped.map((s) => `${s.label} (${s.reason})`).join('; ')}`);
  }
  if (spec.own) return [...problems, ...compareLists(result.entries, spec.own)];
  if (result.entries.length !== spec.count)
    problems.push(`${result.entries.length} entries, want ${spec.count}`);
  const seen = new Set();
  for (const entry of result.entries) {
    const line = LINES.find((l) => l.secret === entry.secret);
    if (!line) {
      problems.push(`entry ${entry.issuer}/${entry.account} has a secret that is not in plain.txt`);
      continue;
    }
    if (seen.has(entry.secret)) problems.push(`${line.issuer}/${line.account} imported twice`);
    seen.add(entry.secret);
    const expected = spec.adjust ? spec.adjust(line) : line;
    problems.push(
      ...differences(entry, expected, spec.ignore).map((d) => `${line.issuer}/${line.account}: ${d}`),
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// proton-pass-common: pairs, known contents, deliberately broken files

const proton = path.join(root, 'proton-pass-common');
const totp = (issuer, account, secret, extra = {}) => ({
  type: 'totp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  counter: null,
  issuer,
  account,
  secret: canonicalSecret(secret),
  ...extra,
});

/** Entries of the Google QR codes, from a protobuf dump of each code's payload. */
const GOOGLE_EXPORT_1 = [
  ['new2', '6a188621a86a1a86a1a86a1a86a1a86a021a0681'],
  ['new3', '7318c7310c731cc6214c4310c4310d435cc7310c43'],
  ['new4', '4368d4350d4350d4350d4350da368da3681a0701a0681a05b4a368da368d'],
  ['new5', '731cc731cc731cc731cc6218862188621a86b98862188621a86a1a86a1a86a1a96'],
  ['new7', '6210c435a86a1a86a1a86a1a86d1b40d0340d0340d0340d0340d0340a1'],
  ['new8', '6a1a86b50da368da368da0681a0681a0681a0681a0681a0681a0681a06'],
  ['new10', '6d1a86d0346d1b46d1b40d0340d0340d0340d2b40d0340d0340d'],
  ['new6', '6d1a86d0346d1b46d1b40d0340d0340d0340d2b40d0340d0340d1a86'],
  ['new9', '6d1a86b68da068da368da0681a0681a0681a0681c0701c0701c0715c5715c5718c63'],
  ['new0', '435b46d1b46d0340d0340d0340d0340e0340d034ad0340d0340d0340e0340e2b40e0'],
].map(([account, hex]) => totp('', account, hexToBase32(hex)));
const TESTAPP = hexToBase32('48656c6c6f21deadbeef');
const GOOGLE_EXPORT_3 = [
  totp('', 'code', hexToBase32('1a92348d37489374dc374dd2')),
  totp('', 'fbcncnh', hexToBase32('2a525495a2489370b4a548d234a449')),
  { ...totp('', 'cncnncncn', hexToBase32('494a948c233dc230b5ad')), type: 'hotp', period: null, counter: 0 },
  totp('', 'code 1 google auth', hexToBase32('6dd230dd2308e49184376dd21b8441')),
  totp('', 'cose 2 google auth', hexToBase32('649374dc374dd390a64919c61186e9924e91a6e9')),
  totp('TestApp', 'Google4 code', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP),
];
const GOOGLE_BIG = [
  totp('', 'code 1 google auth', hexToBase32('6dd230dd2308e49184376dd21b8441')),
  totp('TestApp', 'Google4 code', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP, { algorithm: 'SHA256' }),
  totp('TestApp', 'user@example.com', TESTAPP),
  {
    ...totp('', 'hotpitem', hexToBase32('09525495256c92348d211846d1a469')),
    type: 'hotp',
    period: null,
    counter: 2,
  },
  {
    ...totp('', 'hotpitem2', hexToBase32('7c94340da338ce538e8348d271b6e1184a12dc29b88223a445')),
    type: 'hotp',
    period: null,
    counter: 2,
  },
];
const missingParts = (...labels) => labels.map((label) => ({ label, reason: /missing/i }));

/**
 * file (relative to proton-pass-common) → expectation:
 * { entries } exact entries | { count } | { sameAs } the plain twin | { skipped: [{label, reason}] }
 * | { error: {code, message} } | { check(result) → problems }
 */
const PROTON = {
  'qr/GoogleAuthImportScreenshotCropped.jpg': {
    entries: [totp('', 'ShouldDiffer', hexToBase32('5468697353686f756c64427265616b3132333435'))],
  },
  'qr/GoogleAuthenticatorExport_1.png': {
    entries: GOOGLE_EXPORT_1,
    skipped: missingParts(/1 of 3/, /3 of 3/),
  },
  'qr/GoogleAuthenticatorExport_2.png': {
    entries: GOOGLE_EXPORT_1,
    skipped: missingParts(/1 of 3/, /3 of 3/),
  },
  'qr/GoogleAuthenticatorExport_3.png': {
    entries: GOOGLE_EXPORT_3,
    skipped: missingParts(/2 of 4/, /3 of 4/, /4 of 4/),
  },
  'qr/GoogleAuthenticator_ScreenshotBigQR.jpeg': { entries: GOOGLE_BIG },
  'qr/example.png': { error: { code: 'unknown-format', message: /not an otpauth|authenticator/i } },

  'authenticator/pass/PassExport.zip': {
    entries: [
      totp('Main TOTP (only secret)', 'ausername', 'K5UHSIDBOJSSA6LPOUQHAZLFNNUW4ZY'),
      totp('MYISSUER', 'MYLABEL', 'JV4VGZLDOJSXIMJSGM2DKNQ', { algorithm: 'SHA256', digits: 8, period: 15 }),
      totp('Only custom fields', 'TOTP 1', 'IN2XG5DPNVDGSZLMMQYQ'),
      totp('Only custom fields', 'TOTP2', 'IN2XG5DPNVDGSZLMMQZA'),
      totp('Main TOTP and custom fields', '', 'JVQWS3SUJ5KFA'),
      totp('Main TOTP and custom fields', 'TOTP 1', 'IN2XG5DPNVDGSZLMMQYQ'),
      totp('Main TOTP and custom fields', 'TOTP 2', 'IN2XG5DPNVDGSZLMMQZA'),
    ],
    skipped: [{ label: /Malformed totp/, reason: /secret/ }],
  },

  'authenticator/2fas/decrypted.2fas': { count: 2 },
  'authenticator/2fas/encrypted.2fas': { sameAs: 'authenticator/2fas/decrypted.2fas' },
  'authenticator/2fas/decrypted_ios.2fas': { count: 2 },
  'authenticator/2fas/decrypted_with_hotp.2fas': {
    check: (r) => (r.entries.some((e) => e.type === 'hotp') ? [] : ['no HOTP entry']),
    count: 2,
  },
  'authenticator/2fas/decrypted_with_hotp_and_unsupported_algorithms.2fas': {
    count: 1,
    skipped: [{ label: /Itemname/, reason: /algorithm.*SHA384/ }],
  },
  'authenticator/2fas/decrypted_with_hotp_missing_period.2fas': { count: 4 },
  'authenticator/2fas/decrypted_with_manual_entries.2fas': { count: 12 },
  'authenticator/2fas/decrypted_with_missing_fields.2fas': {
    entries: [totp('Amazon', 'atest@email.com', 'IUIUCFKMTXQZUV5U7LE664BVXQ4K7PDSDKHZ4QTZAC5GVIBMMZ6A')],
  },

  'authenticator/aegis/aegis-json-unencrypted.json': { count: 3 },
  'authenticator/aegis/aegis-json-encrypted-test.json': {
    sameAs: 'authenticator/aegis/aegis-json-unencrypted.json',
  },
  'authenticator/aegis/aegis-json-unencrypted-hotp.json': {
    count: 2,
    check: (r) => (r.entries.some((e) => e.type === 'hotp') ? [] : ['no HOTP entry']),
  },
  'authenticator/aegis/aegis-json-unencrypted-with-missing-fields.json': { count: 3 },
  'authenticator/aegis/aegis-json-unencrypted-with-bad-period-digits.json': {
    count: 0,
    skipped: [
      { label: /bad-digits/, reason: /^digits/ },
      { label: /bad-period/, reason: /^period/ },
    ],
  },
  'authenticator/aegis/aegis-txt.txt': {
    check: (r) => (r.entries.some((e) => e.type === 'steam') ? [] : ['no Steam entry']),
    count: 3,
  },

  'authenticator/ente/plain.txt': { count: 2 },
  'authenticator/ente/plain_20_entries.txt': { count: 20 },
  'authenticator/ente/plain_with_hotp.txt': { count: 6 },
  'authenticator/ente/plain_with_missing_fields.txt': { count: 1 },
  'authenticator/ente/plain_with_steam_and_hotp.txt': {
    count: 3,
    check: (r) =>
      ['steam', 'hotp'].every((t) => r.entries.some((e) => e.type === t))
        ? []
        : ['no Steam or no HOTP entry'],
  },
  'authenticator/ente/encrypted_decrypted.txt': { count: 3 },
  'authenticator/ente/encrypted.nominalcomplexity.txt': {
    sameAs: 'authenticator/ente/encrypted_decrypted.txt',
  },
  'authenticator/ente/encrypted.lowcomplexity.txt': {
    count: 3,
    check: (r) => {
      const kinds = r.entries.map((e) => (e.type === 'totp' ? `totp ${e.algorithm}` : e.type)).sort();
      const want = ['hotp', 'steam', 'totp SHA256'];
      return JSON.stringify(kinds) === JSON.stringify(want)
        ? []
        : [`entry kinds ${kinds.join(', ')}, want ${want.join(', ')}`];
    },
  },

  'authenticator/bitwarden/bitwarden.json': { count: 4 },
  'authenticator/bitwarden/bitwarden.csv': { sameAs: 'authenticator/bitwarden/bitwarden.json' },
  'authenticator/bitwarden/bitwarden_app.json': { count: 1 },
  'authenticator/bitwarden/bitwarden_sample.csv': { count: 3 },

  'authenticator/lastpass/lastpass.json': { count: 3 },
  'authenticator/lastpass/lastpass_ios_export.json': { count: 2 },
  'authenticator/lastpass/lastpass_missing_fields.json': {
    entries: [totp('', 'sometest', 'CDJDHHDHXHXBXBHNDDNNDN')],
  },
};

function checkSkipped(result, wanted = []) {
  const problems = [];
  const left = [...result.skipped];
  for (const want of wanted) {
    const i = left.findIndex((s) => want.label.test(s.label) && want.reason.test(s.reason));
    if (i < 0) problems.push(`no skipped entry matching ${want.label} / ${want.reason}`);
    else left.splice(i, 1);
  }
  for (const s of left) problems.push(`unexpected skipped entry ${s.label}: ${s.reason}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Runner

async function importFile(file) {
  const bytes = new Uint8Array(readFileSync(file));
  const dir = path.dirname(file);
  const passwordFile = path.join(dir, 'password');
  const password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
  return { bytes, password };
}

const results = [];

function report(name, problems, note = '') {
  const ok = problems.length === 0;
  results.push(ok);
  console.log(
    `${ok ? 'PASS' : 'FAIL'} ${name}${note ? ` (${note})` : ''}${ok ? '' : `\n     ${problems.join('\n     ')}`}`,
  );
}

async function run(name, sources, password) {
  const started = Date.now();
  try {
    const result = await importFiles({ sources, ...(password === undefined ? {} : { password }) });
    return { result, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

const summary = (r) =>
  r.error
    ? `error ${r.error.code}`
    : `${r.result.entries.length} entries, ${r.result.skipped.length} skipped, ${r.result.format}`;

for (const file of readdirSync(aegisDir).sort()) {
  const spec = AEGIS[file];
  const name = `aegis-v3.4.2/${file}`;
  if (!spec) {
    report(name, ['no expectation written for this file']);
    continue;
  }
  const bytes = new Uint8Array(readFileSync(path.join(aegisDir, file)));
  const r = await run(name, [{ name: file, bytes }], spec.password);
  if (r.error) report(name, [`${r.error.code ?? r.error.name}: ${r.error.message}`]);
  else report(name, checkAgainstLines(r.result, spec), `${summary(r)}, ${r.ms} ms`);
}

const protonFiles = [];
(function walk(dir) {
  for (const f of readdirSync(dir).sort()) {
    const full = path.join(dir, f);
    if (statSync(full).isDirectory()) walk(full);
    else if (f !== 'password') protonFiles.push(path.relative(proton, full));
  }
})(proton);

const cache = new Map();
async function importProton(rel) {
  if (!cache.has(rel)) {
    const { bytes, password } = await importFile(path.join(proton, rel));
    cache.set(rel, await run(rel, [{ name: path.basename(rel), bytes }], password));
  }
  return cache.get(rel);
}

for (const rel of protonFiles) {
  const spec = PROTON[rel];
  const name = `proton-pass-common/${rel}`;
  if (!spec) {
    report(name, ['no expectation written for this file']);
    continue;
  }
  const r = await importProton(rel);
  const problems = [];
  if (spec.error) {
    if (!r.error) problems.push(`imported ${r.result.entries.length} entries, want error ${spec.error.code}`);
    else {
      if (r.error.code !== spec.error.code)
        problems.push(`error ${r.error.code}, want ${spec.error.code}: ${r.error.message}`);
      if (!spec.error.message.test(r.error.message))
        problems.push(`message "${r.error.message}" does not match ${spec.error.message}`);
    }
    report(name, problems, r.error ? `error ${r.error.code}: ${r.error.message}` : '');
    continue;
  }
  if (r.error) {
    report(name, [`${r.error.code ?? r.error.name}: ${r.error.message}`]);
    continue;
  }
  const { result } = r;
  if (spec.entries) problems.push(...compareLists(result.entries, spec.entries));
  if (spec.count !== undefined && result.entries.length !== spec.count) {
    problems.push(`${result.entries.length} entries, want ${spec.count}`);
  }
  if (spec.sameAs) {
    const twin = await importProton(spec.sameAs);
    if (twin.error) problems.push(`its plain twin ${spec.sameAs} failed: ${twin.error.message}`);
    else
      problems.push(
        ...compareLists(result.entries, twin.result.entries).map(
          (p) => `vs ${path.basename(spec.sameAs)}: ${p}`,
        ),
      );
  }
  problems.push(...checkSkipped(result, spec.skipped));
  if (spec.check) problems.push(...spec.check(result));
  report(name, problems, `${summary(r)}, ${r.ms} ms`);
}

// Several QR images imported together, as a multi-part Google export arrives: each image is decoded,
// then the Google reader sees every part at once.
{
  const parts = ['qr/GoogleAuthenticatorExport_3.png', 'qr/GoogleAuthImportScreenshotCropped.jpg'];
  const sources = parts.map((rel) => ({
    name: path.basename(rel),
    bytes: new Uint8Array(readFileSync(path.join(proton, rel))),
  }));
  const r = await run('qr images together', sources);
  const problems = r.error
    ? [`${r.error.code}: ${r.error.message}`]
    : compareLists(r.result.entries, [
        ...GOOGLE_EXPORT_3,
        totp('', 'ShouldDiffer', hexToBase32('5468697353686f756c64427265616b3132333435')),
      ]);
  report('proton-pass-common/qr: two images in one import', problems, r.error ? '' : summary(r));
}

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
