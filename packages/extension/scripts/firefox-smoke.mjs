/**
 * A smoke check of the Firefox build (dist/firefox) in a real, headless Firefox (Debian's
 * `firefox-esr`), driven over Marionette, Firefox's own remote protocol (Playwright's Firefox is a
 * patched build and cannot drive it; WebDriver BiDi refuses to navigate to a moz-extension:// page,
 * so the popup's tab is opened from the browser's chrome). It installs the extension as a temporary
 * add-on, then checks that the popup opens and adds a code (module scripts, the IndexedDB vault,
 * WebCrypto), and that on a page with a one-time-code field the content script finds the field and
 * the background (an event page in Firefox) answers it, so the fill button is offered.
 *
 * Usage: npm run smoke:firefox -w @tessera/extension   (after the build; FIREFOX=path to override)
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const firefox = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const extension = fileURLToPath(new URL('../dist/firefox', import.meta.url));
const ID = 'extension@tessera.invalid';
if (!existsSync(firefox))
  fail(`${firefox} is missing (Debian: apt-get install firefox-esr; or set FIREFOX).`);
if (!existsSync(join(extension, 'manifest.json')))
  fail(`${extension} is missing: build the extension first.`);

// The extension's moz-extension:// host is a random UUID per profile; this profile names it.
const uuid = randomUUID();
const profile = mkdtempSync(join(tmpdir(), 'tessera-firefox-'));
writeFileSync(
  join(profile, 'user.js'),
  [
    `user_pref("extensions.webextensions.uuids", ${JSON.stringify(JSON.stringify({ [ID]: uuid }))});`,
    'user_pref("browser.shell.checkDefaultBrowser", false);',
    'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
    // Marionette on a port of its own choosing (written to the profile's MarionetteActivePort).
    'user_pref("marionette.port", 0);',
  ].join('\n'),
);

const site = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(
    '<!doctype html><title>Bank</title><label>Code <input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="6"></label>',
  );
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));

const browser = spawn(
  firefox,
  ['--headless', '--no-remote', '--profile', profile, '--marionette', '-remote-allow-system-access'],
  { stdio: 'ignore' },
);
const checks = [];
let marionette = null;
try {
  marionette = await marionetteClient();
  const run = (name, params = {}) => marionette.command(name, params);
  await run('WebDriver:NewSession', { capabilities: {} });
  const installed = await run('Addon:Install', { path: extension, temporary: true });
  checks.push(`installed ${installed.value ?? installed.id ?? ID} from dist/firefox as a temporary add-on`);

  /** Evaluates `script` (a function body) in the current tab until it returns something truthy. */
  const until = async (what, script) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { value } = await run('WebDriver:ExecuteScript', { script, args: [] });
      if (value) return value;
      if (Date.now() > deadline) {
        const { value: shown } = await run('WebDriver:ExecuteScript', {
          script: `return document.body?.innerText.slice(0, 400);`,
          args: [],
        });
        throw new Error(`Firefox: ${what} did not happen; the page shows: ${JSON.stringify(shown)}`);
      }
      await sleep(250);
    }
  };

  // The popup's tab, opened from the browser's chrome (system principal).
  const handlesOf = (result) => (Array.isArray(result) ? result : result.value);
  const [first] = handlesOf(await run('WebDriver:GetWindowHandles'));
  await run('Marionette:SetContext', { value: 'chrome' });
  await run('WebDriver:ExecuteScript', {
    script: `const win = Services.wm.getMostRecentWindow('navigator:browser');
      win.gBrowser.selectedTab = win.gBrowser.addTab(arguments[0], {
        triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal(),
      });`,
    args: [`moz-extension://${uuid}/popup.html`],
  });
  await run('Marionette:SetContext', { value: 'content' });
  const handles = handlesOf(await run('WebDriver:GetWindowHandles'));
  await run('WebDriver:SwitchToWindow', { handle: handles.find((h) => h !== first) });
  await until('the popup', `return document.querySelector('h1')?.textContent === 'Tessera';`);
  // The add form, typed into as a person would (WebDriver's key and click actions).
  const element = async (css) => {
    const found = await run('WebDriver:FindElement', { using: 'css selector', value: css });
    return Object.values(found.value ?? found)[0];
  };
  const type = async (css, text) => run('WebDriver:ElementSendKeys', { id: await element(css), text });
  await run('WebDriver:ElementClick', { id: await element('details.add summary') });
  await type('details.add textarea', 'JBSWY3DPEHPK3PXP');
  await type('details.add label:nth-of-type(2) input', 'Bank');
  await type('details.add label:nth-of-type(3) input', 'alice');
  await run('WebDriver:ElementClick', { id: await element('details.add button[type=submit]') });
  const code = await until(
    'the added code',
    `return document.querySelector('[aria-label="Code for Bank (alice)"]')?.textContent;`,
  );
  if (!/^\d{3} \d{3}$/.test(code)) throw new Error(`the popup shows "${code}", not a code`);
  checks.push(`popup: added a code and shows it (${code})`);

  await run('WebDriver:SwitchToWindow', { handle: first });
  await run('WebDriver:Navigate', { url: `http://127.0.0.1:${site.address().port}/2fa` });
  await until('the content script', `return document.querySelector('#otp')?.dataset.tesseraSeen === '1';`);
  checks.push('content script: found the one-time-code field');
  // The button is offered only after the background answered (the vault opened there).
  await until(
    'the fill button',
    `document.querySelector('#otp').focus();
     return document.querySelector('tessera-fill')?.style.display === 'block';`,
  );
  checks.push('background (event page): answered the content script; fill button offered');
  console.log(checks.map((c) => `ok  ${c}`).join('\n'));
  console.log('Firefox smoke check passed.');
} catch (err) {
  console.log(checks.map((c) => `ok  ${c}`).join('\n'));
  console.error(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  marionette?.close();
  browser.kill();
  site.close();
  await new Promise((resolve) => (browser.exitCode !== null ? resolve() : browser.once('exit', resolve)));
  rmSync(profile, { recursive: true, force: true });
}

/** A Marionette connection to this Firefox (its port is written to the profile once it listens). */
async function marionetteClient() {
  const portFile = join(profile, 'MarionetteActivePort');
  const deadline = Date.now() + 60_000;
  while (!existsSync(portFile)) {
    if (browser.exitCode !== null) throw new Error(`Firefox exited (${browser.exitCode})`);
    if (Date.now() > deadline) throw new Error('Marionette did not start');
    await sleep(100);
  }
  const conn = connect(Number(readFileSync(portFile, 'utf8')), '127.0.0.1');
  let buffer = '';
  const replies = [];
  let wake = () => {};
  conn.on('data', (chunk) => {
    buffer += chunk;
    for (;;) {
      const colon = buffer.indexOf(':');
      if (colon < 0) break;
      const length = Number(buffer.slice(0, colon));
      if (Buffer.byteLength(buffer.slice(colon + 1)) < length) break;
      const body = Buffer.from(buffer.slice(colon + 1))
        .subarray(0, length)
        .toString();
      replies.push(JSON.parse(body));
      buffer = buffer.slice(colon + 1 + body.length);
      wake();
    }
  });
  const reply = async () => {
    while (replies.length === 0) await new Promise((resolve) => (wake = resolve));
    return replies.shift();
  };
  await reply(); // the server's hello
  let id = 0;
  return {
    async command(name, params) {
      const body = JSON.stringify([0, ++id, name, params]);
      conn.write(`${Buffer.byteLength(body)}:${body}`);
      const [, , error, result] = await reply();
      if (error) throw new Error(`Marionette ${name}: ${error.message ?? JSON.stringify(error)}`);
      return result;
    },
    close: () => conn.end(),
  };
}

function fail(message) {
  console.error(`smoke:firefox: ${message}`);
  process.exit(1);
}
