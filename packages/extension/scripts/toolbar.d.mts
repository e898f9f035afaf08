import type { BrowserContext, Page } from 'playwright-core';

/** The toolbar popup opened by `pressToolbarButton`, driven over the DevTools protocol. */
export interface ActionPopup {
  /** Evaluates `expression` (an async function's source, called with no argument) in the popup. */
  run<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

export declare const TOOLBAR_BUTTON_ARG: string;
export declare function pressToolbarButton(
  context: BrowserContext,
  extensionId: string,
  page: Page,
): Promise<ActionPopup>;
export declare function grantActiveTab(
  context: BrowserContext,
  extensionId: string,
  page: Page,
): Promise<number>;
