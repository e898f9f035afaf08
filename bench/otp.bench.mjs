// TOTP codes per second: Tessera's engine against otpauth and otplib v13, in the same run.
// Usage: npm run bench:otp   (builds packages/otp first if needed; tsc -b is incremental)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import * as OTPAuth from 'otpauth';
import { generateSync } from 'otplib';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', 'packages/otp'], { cwd: root, stdio: 'inherit' });
const { totp, parseUri, OtpError } = await import('../packages/otp/dist/index.js');

// RFC 6238 Appendix B seeds (one per hash), Base32-encoded.
const SECRETS = {
  SHA1: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  SHA256: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA',
  SHA512:
    'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
};
const BATCH = 1000; // codes per task call, so timer overhead does not blur sub-microsecond work
const START = 1_700_000_000;

/** Each engine as it is meant to be used: a secret, a time, a code. Times move so nothing can be memoised. */
const ENGINES = {
  tessera: (algorithm) => {
    const secret = SECRETS[algorithm];
    return (time) => totp({ secret, time, algorithm, digits: 6, period: 30 });
  },
  otpauth: (algorithm) => {
    const generator = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(SECRETS[algorithm]),
      algorithm,
      digits: 6,
      period: 30,
    });
    return (time) => generator.generate({ timestamp: time * 1000 });
  },
  'otplib v13': (algorithm) => {
    const secret = SECRETS[algorithm];
    const name = algorithm.toLowerCase();
    return (time) => generateSync({ secret, algorithm: name, digits: 6, period: 30, epoch: time });
  },
};

// The engines must agree before their speed means anything.
for (const algorithm of Object.keys(SECRETS)) {
  for (let i = 0; i < 50; i++) {
    const time = START + i * 30;
    const codes = Object.values(ENGINES).map((make) => make(algorithm)(time));
    if (new Set(codes).size !== 1) throw new Error(`engines disagree for ${algorithm} at ${time}: ${codes}`);
  }
}

const bench = new Bench({ time: 700, warmup: true, warmupTime: 200 });
for (const algorithm of Object.keys(SECRETS)) {
  for (const [engine, make] of Object.entries(ENGINES)) {
    const generate = make(algorithm);
    let time = START;
    let sink = 0;
    bench.add(`${engine} ${algorithm}`, () => {
      for (let i = 0; i < BATCH; i++) {
        sink ^= generate(time).charCodeAt(0);
        time += 30;
      }
      if (sink === -1) console.log(sink); // keeps the result observable
    });
  }
}
// Many secrets: a code for each of 1,000 entries in turn, as a list view refreshes. otpauth gets its
// generators prebuilt (its best case); Tessera gets only the Base32 text, as its callers hold it.
const MANY = 1000;
const manySecrets = Array.from(
  { length: MANY },
  (_, i) => OTPAuth.Secret.fromHex((i + 0x10000000).toString(16).repeat(5)).base32,
);
const manyGenerators = manySecrets.map(
  (secret) =>
    new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }),
);
for (let i = 0; i < MANY; i++) {
  const a = totp({ secret: manySecrets[i], time: START, algorithm: 'SHA1', digits: 6, period: 30 });
  if (a !== manyGenerators[i].generate({ timestamp: START * 1000 }))
    throw new Error(`engines disagree for secret ${i}`);
}
const MANY_ENGINES = {
  tessera: (i, time) => totp({ secret: manySecrets[i], time, algorithm: 'SHA1', digits: 6, period: 30 }),
  otpauth: (i, time) => manyGenerators[i].generate({ timestamp: time * 1000 }),
};
for (const [engine, generate] of Object.entries(MANY_ENGINES)) {
  let time = START;
  let sink = 0;
  bench.add(`${engine} ${MANY} secrets`, () => {
    for (let i = 0; i < MANY; i++) sink ^= generate(i, time).charCodeAt(0);
    time += 30;
    if (sink === -1) console.log(sink);
  });
}
await bench.run();

const rate = (name) => {
  const task = bench.getTask(name);
  return (BATCH * 1000) / task.result.latency.mean;
};
const peers = Object.keys(ENGINES).filter((engine) => engine !== 'tessera');
const rows = [];
for (const algorithm of Object.keys(SECRETS)) {
  const rates = Object.fromEntries(
    Object.keys(ENGINES).map((engine) => [engine, rate(`${engine} ${algorithm}`)]),
  );
  const fastestPeer = Math.max(...peers.map((peer) => rates[peer]));
  for (const engine of Object.keys(ENGINES)) {
    rows.push({
      algorithm,
      engine,
      'codes/s': Math.round(rates[engine]).toLocaleString('en-US'),
      'vs fastest peer': (rates[engine] / fastestPeer).toFixed(2) + '×',
    });
  }
}
console.log(`TOTP code generation, Node ${process.version}, ${BATCH} codes per sample`);
console.table(rows);
const manyRates = Object.fromEntries(
  Object.keys(MANY_ENGINES).map((engine) => [engine, rate(`${engine} ${MANY} secrets`)]),
);
console.log(`TOTP-SHA1, one secret vs ${MANY} different secrets (otpauth with prebuilt generators)`);
console.table([
  {
    case: '1 secret',
    'tessera codes/s': Math.round(rate('tessera SHA1')).toLocaleString('en-US'),
    'otpauth codes/s': Math.round(rate('otpauth SHA1')).toLocaleString('en-US'),
    'tessera / otpauth': (rate('tessera SHA1') / rate('otpauth SHA1')).toFixed(2) + '×',
  },
  {
    case: `${MANY} secrets`,
    'tessera codes/s': Math.round(manyRates.tessera).toLocaleString('en-US'),
    'otpauth codes/s': Math.round(manyRates.otpauth).toLocaleString('en-US'),
    'tessera / otpauth': (manyRates.tessera / manyRates.otpauth).toFixed(2) + '×',
  },
]);

// parseUri cost, typical and adversarial (the property tests only check these terminate and throw
// nothing but OtpError; the time belongs here). Each must stay well under a millisecond.
const n = 10_000;
const PARSE_INPUTS = {
  'typical URI':
    'otpauth://totp/ACME%20Co:john@example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME+Co&algorithm=SHA1&digits=6&period=30',
  '10k colons in the label': `otpauth://totp/${':'.repeat(n)}?secret=JBSWY3DPEHPK3PXP`,
  '10k empty parameters': `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&${'&'.repeat(n)}`,
  '10k percent escapes': `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&x=${'%41'.repeat(n / 3)}`,
  '10k spaces in the secret': `otpauth://totp/a?secret=${' '.repeat(n)}JBSWY3DP`,
  '10k slashes after steam://': `steam://${'/'.repeat(n)}x`,
};
const parseBench = new Bench({ time: 300, warmup: true, warmupTime: 100 });
for (const [name, input] of Object.entries(PARSE_INPUTS)) {
  parseBench.add(name, () => {
    try {
      parseUri(input);
    } catch (err) {
      if (!(err instanceof OtpError)) throw err;
    }
  });
}
await parseBench.run();
console.log('parseUri, mean time per call');
console.table(
  parseBench.tasks.map((task) => ({
    input: task.name,
    'µs per parse': (task.result.latency.mean * 1000).toFixed(1),
  })),
);

// One machine-readable line of the headline figures (issue 14), for scripts that compare runs.
console.log(
  'RESULT ' +
    JSON.stringify({
      bench: 'otp',
      oneSecret: {
        tesseraPerS: Math.round(rate('tessera SHA1')),
        otpauthPerS: Math.round(rate('otpauth SHA1')),
        ratio: Number((rate('tessera SHA1') / rate('otpauth SHA1')).toFixed(2)),
      },
      manySecrets: {
        secrets: MANY,
        tesseraPerS: Math.round(manyRates.tessera),
        otpauthPerS: Math.round(manyRates.otpauth),
        ratio: Number((manyRates.tessera / manyRates.otpauth).toFixed(2)),
      },
      slowestParseUs: Number(
        Math.max(...parseBench.tasks.map((task) => task.result.latency.mean * 1000)).toFixed(1),
      ),
    }),
);
