// The web app's start: gzipped JavaScript loaded before the codes show, and the time from navigation
// to codes visible on a reload with 1,000 entries in Chromium, against two peers measured in the same
// run (alternating): the same app with 10 entries, and a blank page (a static file) from the same
// server. Usage: npm run bench:web   Aims: under 60 KB gzipped; under 300 ms.
/* global navigator, performance, document -- used inside page.evaluate callbacks, which run in the browser */
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../packages/web/scripts/chromium.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;
const CODES_VISIBLE = 'tessera:codes-visible';
const root = fileURLToPath(new URL('..', import.meta.url));
const webRoot = join(root, 'packages/web/dist');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', 'packages/server'], { cwd: root, stdio: 'inherit' });
execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
  cwd: join(root, 'packages/web'),
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});
const { startServer } = await import('../packages/server/dist/index.js');

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-web-'));
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, webRoot, logger: false });
const browser = await launchChromium();

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const secret = (n) =>
  `JBSWY3DPEHPK${[3, 2, 1, 0].map((i) => alphabet[Math.floor(n / 32 ** i) % 32]).join('')}`;
const list = (count) =>
  Array.from(
    { length: count },
    (_, n) =>
      `otpauth://totp/Service%20${n}:user${n}%40example.com?secret=${secret(n)}&issuer=Service%20${n}`,
  ).join('\n');

/** A browser profile with `count` entries imported through the app's own Files screen. */
async function device(count) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, baseURL: server.url });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByRole('button', { name: /Use on this device only/ }).click();
  await page.goto('/#/files');
  await page
    .getByLabel(/^Export file/)
    .setInputFiles({ name: 'codes.txt', mimeType: 'text/plain', buffer: Buffer.from(list(count)) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Imported ${count} codes` })
    .waitFor({ timeout: 60_000 });
  await page.goto('/#/');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  return page;
}

/** Reloads and returns ms from navigation start to the codes-visible mark, checking rows are there. */
async function codesVisible(page) {
  await page.reload();
  await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, CODES_VISIBLE);
  const { at, rows } = await page.evaluate(
    (name) => ({
      at: performance.getEntriesByName(name)[0].startTime,
      rows: document.querySelectorAll('.row').length,
    }),
    CODES_VISIBLE,
  );
  if (rows === 0) throw new Error('no code rows rendered');
  return { at, rows };
}

async function blankLoad(page) {
  await page.goto('/icon.svg');
  return page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const big = await device(1000);
  const small = await device(10);
  const blank = await (await browser.newContext({ baseURL: server.url })).newPage();

  // JavaScript fetched before the codes showed (service worker or network alike), gzipped at level 9.
  const { at } = await codesVisible(big);
  const scripts = await big.evaluate(
    ([mark]) =>
      performance
        .getEntriesByType('resource')
        .filter((r) => r.startTime < mark && new URL(r.name).pathname.endsWith('.js'))
        .map((r) => new URL(r.name).pathname),
    [at],
  );
  const sizes = scripts.map((path) => {
    const bytes = readFileSync(join(webRoot, path));
    return { file: path, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const totalGzip = sizes.reduce((sum, s) => sum + s.gzip, 0);

  const times = { '1,000 entries': [], '10 entries': [], 'blank page': [] };
  let rendered = 0;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const a = await codesVisible(big);
    const b = await codesVisible(small);
    const c = await blankLoad(blank);
    rendered = a.rows;
    if (i < WARMUP) continue;
    times['1,000 entries'].push(a.at);
    times['10 entries'].push(b.at);
    times['blank page'].push(c);
  }

  console.log(`\nJavaScript loaded before the codes show (${scripts.length} files):`);
  console.table(sizes.map((s) => ({ file: s.file, bytes: s.bytes, 'gzip bytes': s.gzip })));
  console.log(
    `total gzipped: ${(totalGzip / 1024).toFixed(1)} KB   aim: under 60 KB   (${((totalGzip / 1024 / 60) * 100).toFixed(0)}% of the budget)`,
  );

  console.log(
    `\nNavigation to codes visible on reload, ${RUNS} alternating runs (after ${WARMUP} warm-up), Chromium ${browser.version()}`,
  );
  console.table(
    Object.entries(times).map(([name, xs]) => ({
      page: name,
      'median ms': median(xs).toFixed(1),
      'min ms': Math.min(...xs).toFixed(1),
      'max ms': Math.max(...xs).toFixed(1),
    })),
  );
  const m = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
  console.log(
    `1,000 entries: ${m['1,000 entries'].toFixed(0)} ms median   aim: under 300 ms   rows in the DOM: ${rendered} of 1,000`,
  );
  console.log(
    `ratio 1,000 / 10 entries: ${(m['1,000 entries'] / m['10 entries']).toFixed(2)}x   ratio 1,000 entries / blank page: ${(m['1,000 entries'] / m['blank page']).toFixed(2)}x`,
  );
  console.log(
    'RESULT ' +
      JSON.stringify({
        bench: 'web',
        runs: RUNS,
        firstLoadGzipKb: Number((totalGzip / 1024).toFixed(1)),
        reload1000Ms: Number(m['1,000 entries'].toFixed(0)),
        reload10Ms: Number(m['10 entries'].toFixed(0)),
        blankMs: Number(m['blank page'].toFixed(0)),
        ratioVsBlank: Number((m['1,000 entries'] / m['blank page']).toFixed(2)),
      }),
  );
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
