// The content script's own main-thread events on a page without a code field, from a DevTools
// trace of each page load (the events that name content.js: its compile and its run), medians over
// N loads (default 17, the first 2 dropped). For comparing two builds of the content script, run
// alternately: node bench/extension-content-trace.mjs <dist/chromium of build A>, then of build B.
// npm run bench:extension measures the whole page's script time instead.
/* global requestIdleCallback, setTimeout -- used inside page.evaluate callbacks, which run in the browser */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../packages/web/scripts/chromium.mjs';

const extension = resolve(process.argv[2] ?? 'packages/extension/dist/chromium');
const N = Number(process.env.N ?? 17);
const html = `<!doctype html><title>Shop</title><body>${Array.from({ length: 40 }, (_, i) => `<p>Item ${i} <input name="qty${i}" type="number"> <a href="#${i}">more</a></p>`).join('')}${'<div><span>text</span></div>'.repeat(140)}</body>`;
const site = createServer((req, res) => res.end(html));
await new Promise((done) => site.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${site.address().port}/`;
const profile = mkdtempSync(join(tmpdir(), 'tessera-content-trace-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: false,
  args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extension}`, `--load-extension=${extension}`],
});
await (context.serviceWorkers()[0] ?? context.waitForEvent('serviceworker'));
const per = {};
for (let i = 0; i < N; i++) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((done) => cdp.once('Tracing.tracingComplete', done));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8', transferMode: 'ReportEvents' });
  await page.goto(url, { waitUntil: 'load' });
  // The content script runs at document_idle; wait until the page has been idle for a moment.
  await page.evaluate(() => new Promise((done) => requestIdleCallback(() => setTimeout(done, 200))));
  await cdp.send('Tracing.end');
  await complete;
  await page.close();
  if (i < 2) continue; // warm-up
  const sums = {};
  for (const e of events)
    if (e.ph === 'X' && JSON.stringify(e.args ?? {}).includes('content.js'))
      sums[e.name] = (sums[e.name] ?? 0) + e.dur / 1000;
  for (const [name, ms] of Object.entries(sums)) (per[name] ??= []).push(ms);
}
await context.close();
site.close();
rmSync(profile, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `content.js on a page without a code field (${extension}), median ms of ${N - 2} loads: ` +
    Object.entries(per)
      .map(([name, xs]) => `${name} ${median(xs).toFixed(3)}`)
      .join(', '),
);
