/**
 * The extension's toolbar button pressed as a person's click would press it, for the end-to-end
 * tests and the screenshots: the DevTools protocol's `Extensions.triggerAction`, which Chromium
 * offers only with `--enable-unsafe-extension-debugging` (over the pipe Playwright uses). The
 * browser then grants the extension `activeTab` for that tab and opens the popup over it; that
 * grant is the only way the extension reads a tab's address or captures it (it has no `tabs`
 * permission, README "Permissions").
 */

/** The switch Chromium needs before a test may press the toolbar button. */
export const TOOLBAR_BUTTON_ARG = '--enable-unsafe-extension-debugging';

/**
 * Presses the toolbar button of extension `extensionId` on `page`'s tab and returns the popup it
 * opens. The popup is not a page Playwright lists, so it is driven over its own DevTools session:
 * `run(expression)` evaluates an async function's source in it.
 */
export async function pressToolbarButton(context, extensionId, page) {
  await page.bringToFront();
  const browser = context.browser();
  if (!browser) throw new Error('no browser to open a DevTools session on');
  const cdp = await browser.newBrowserCDPSession();
  const targets = async (type) => (await cdp.send('Target.getTargets', { filter: [{ type }] })).targetInfos;
  const tabs = (await targets('tab')).filter((t) => t.url === page.url());
  if (tabs.length !== 1) throw new Error(`expected one tab at ${page.url()}, found ${tabs.length}`);
  const popupUrl = `chrome-extension://${extensionId}/popup.html`;
  const opened = new Promise((resolve) => {
    const seen = (event) => {
      if (event.targetInfo.type === 'page' && event.targetInfo.url === popupUrl) resolve(event.targetInfo);
    };
    cdp.on('Target.targetCreated', seen);
    cdp.on('Target.targetInfoChanged', seen);
  });
  await cdp.send('Target.setDiscoverTargets', { discover: true });
  await cdp.send('Extensions.triggerAction', { id: extensionId, targetId: tabs[0].targetId });
  const popup = await opened;
  // One session in the popup; its replies come back as events of the browser's session.
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: popup.targetId, flatten: false });
  let next = 0;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const reply = JSON.parse(event.message);
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  });
  const send = (method, params) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, (reply) =>
        reply.error ? reject(new Error(reply.error.message)) : resolve(reply.result),
      );
      void cdp.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  return {
    async run(expression) {
      const { result, exceptionDetails } = await send('Runtime.evaluate', {
        expression: `(${expression})()`,
        awaitPromise: true,
        returnByValue: true,
      });
      if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? 'the popup threw');
      return result.value;
    },
    async close() {
      await cdp.send('Target.closeTarget', { targetId: popup.targetId }).catch(() => undefined);
      await cdp.detach();
    },
  };
}

/**
 * Grants the extension `activeTab` on `page`'s tab the way a person does (the toolbar button), and
 * returns that tab's id as the popup sees it: the active tab of its window, whose address it may
 * read under the grant (checked against the page's). The toolbar popup is closed again; the grant
 * stays until the tab navigates or closes, so a popup opened as a page of its own
 * (`popup.html?tab=ID`) acts on the tab with the same rights as the toolbar's.
 */
export async function grantActiveTab(context, extensionId, page) {
  const action = await pressToolbarButton(context, extensionId, page);
  try {
    const seen = await action.run(
      'async () => { const [tab] = await chrome.tabs.query({ active: true, currentWindow: true }); return { id: tab?.id, url: tab?.url ?? null }; }',
    );
    if (seen.id === undefined || seen.url !== page.url())
      throw new Error(`the toolbar button's popup sees ${seen.url ?? 'no address'}, not ${page.url()}`);
    return seen.id;
  } finally {
    await action.close();
  }
}
