/// <reference types="chrome" />
import { findCodeFields } from './detect.js';
import { fillField } from './fill.js';
import type { Reply, ToContent } from './messages.js';

/**
 * The content script's fill side: started only once the page has a field that may be a code field
 * (`content.ts`), so a page without one runs none of this. It tells the background how many code
 * fields it found, and offers a fill button next to a focused code field. It never reads the
 * page's text and holds no code longer than it takes to fill one.
 */
export function startFill(): { scan(): void } {
  let announced = false;
  /** Whether the background offers codes here (false while Tessera is locked): the button shows only then. */
  let offered = false;
  let lastFocused: HTMLInputElement | null = null;
  // Made on first use: a page without a code field (most pages) pays for no element or shadow root.
  let made: ReturnType<typeof makeChip> | null = null;
  const chip = {
    show: (target: HTMLInputElement) => (made ??= makeChip()).show(target),
    say: (target: HTMLInputElement, note: string, state: string) =>
      (made ??= makeChip()).say(target, note, state),
    hide: (state: string) => (made ??= makeChip()).hide(state),
  };

  function scan(): void {
    const fields = findCodeFields(document);
    if (fields.length === 0) return;
    for (const field of fields) {
      if (field.dataset.tesseraSeen) continue;
      field.dataset.tesseraSeen = '1';
      field.addEventListener('focus', () => {
        lastFocused = field;
        if (offered) return chip.show(field);
        // Tessera may have been unlocked since: ask again, and offer the button only if it says yes.
        void announce(fields.length).then(() => {
          if (offered && document.activeElement === field) chip.show(field);
        });
      });
    }
    if (!announced) {
      announced = true;
      listen();
      void announce(fields.length);
    }
  }

  async function announce(count: number): Promise<void> {
    const reply = (await chrome.runtime.sendMessage({ type: 'fields', count })) as Reply;
    offered = reply.ok;
    if (!offered) chip.hide('locked');
  }

  /** Asks the background for this frame's code and fills `field`; says why not on the button otherwise. */
  async function fillFrom(field: HTMLInputElement | null): Promise<void> {
    const target = field ?? findCodeFields(document)[0] ?? null;
    if (!target) return;
    const reply = (await chrome.runtime.sendMessage({ type: 'code' })) as Reply;
    if (!reply.ok) return chip.say(target, reply.error, 'error');
    if ('code' in reply && reply.code) {
      fillField(target, reply.code);
      chip.hide('filled');
      return;
    }
    if ('reason' in reply) {
      chip.say(
        target,
        reply.reason === 'several'
          ? 'Several codes fit this site: choose one in the Tessera toolbar button.'
          : `No code is bound to ${reply.site ?? 'this page'}: choose one in the Tessera toolbar button.`,
        reply.reason,
      );
    }
  }

  /**
   * Fills the background asks for (the popup's "Use here", the shortcut). Registered only once a code
   * field is found: a page without one never touches the extension APIs, whose bindings cost the page
   * more than the scan itself; with no listener, the background hears "nothing to fill here".
   */
  function listen(): void {
    chrome.runtime.onMessage.addListener(
      (message: ToContent, sender, sendResponse: (done: boolean) => void) => {
        if (sender.id !== chrome.runtime.id) return false;
        if (message.type === 'fill') {
          // The page may have navigated since the background looked: fill only the origin it checked.
          if (location.origin !== message.origin) return (sendResponse(false), false);
          offered = true; // the popup filled, so Tessera is unlocked
          const target = lastFocused ?? findCodeFields(document)[0];
          if (!target) return (sendResponse(false), false);
          fillField(target, message.code);
          sendResponse(true);
          return false;
        }
        if (message.type === 'report') {
          // The vault or the lock changed: the background counts this frame's fields anew.
          void announce(findCodeFields(document).length).then(
            () => sendResponse(true),
            () => sendResponse(false),
          );
          return true;
        }
        if (message.type === 'fill-request') {
          void fillFrom(lastFocused).then(() => sendResponse(true));
          return true;
        }
        return false;
      },
    );
  }

  /**
   * The small button next to a focused code field, in a closed shadow root the page cannot reach.
   * Its host carries only the outcome of the last click (`data-state`), which the page learns anyway
   * from whether the field was filled.
   */
  function makeChip() {
    const host = document.createElement('tessera-fill');
    const root = host.attachShadow({ mode: 'closed' });
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Fill code from Tessera';
    const style = document.createElement('style');
    style.textContent =
      'button{all:initial;font:13px system-ui,sans-serif;background:#2f5bd3;color:#fff;padding:4px 10px;border-radius:6px;cursor:pointer;box-shadow:0 1px 4px #0004}' +
      'button[data-note]{background:#fff;color:#1d2433;border:1px solid #c7ccd6;cursor:default}';
    root.append(style, button);
    host.style.cssText = 'position:absolute;z-index:2147483647;display:none';
    let field: HTMLInputElement | null = null;
    // Only a real click fills: a page's synthetic click (isTrusted false) gets nothing.
    button.addEventListener('mousedown', (event) => event.preventDefault());
    button.addEventListener('click', (event) => {
      if (!event.isTrusted || button.dataset.note) return;
      void fillFrom(field);
    });
    return {
      show(target: HTMLInputElement) {
        field = target;
        delete button.dataset.note;
        button.textContent = 'Fill code from Tessera';
        const box = target.getBoundingClientRect();
        host.style.left = `${box.left + window.scrollX}px`;
        host.style.top = `${box.bottom + window.scrollY + 4}px`;
        host.style.display = 'block';
        if (!host.isConnected) document.documentElement.append(host);
      },
      say(target: HTMLInputElement, note: string, state: string) {
        this.show(target);
        button.dataset.note = '1';
        button.textContent = note;
        host.dataset.state = state;
      },
      hide(state: string) {
        host.style.display = 'none';
        host.dataset.state = state;
        if (!host.isConnected) document.documentElement.append(host);
      },
    };
  }

  return { scan };
}
