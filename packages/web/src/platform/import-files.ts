/**
 * Imports run in a Web Worker with a time budget, so no file can freeze the tab: past the budget the
 * worker is terminated, which stops even a read that never returns (sql.js has no way to interrupt a
 * statement). The readers already refuse the hostile inputs known; the budget covers the unknown.
 */
import { FormatError, type ImportResult, type ImportSource } from '@tessera/formats';

export interface ImportRequest {
  sources: ImportSource[];
  password?: string;
}

export type ImportReply =
  | { ok: true; result: ImportResult }
  | { ok: false; name: string; code?: string; message: string; details?: Record<string, unknown> };

/** Long enough for the costliest legitimate file (KDFs at their caps on a slow phone). */
export const IMPORT_BUDGET_MS = 20_000;

export const TOO_SLOW_MESSAGE = 'This file took too long to read; it may be damaged or hostile.';

/**
 * Reads `sources` in a fresh worker; rejects with the reader's FormatError, or with TOO_SLOW_MESSAGE
 * when the worker has not answered within `budgetMs`.
 */
export function importInWorker({
  sources,
  password,
  budgetMs = IMPORT_BUDGET_MS,
}: ImportRequest & { budgetMs?: number }): Promise<ImportResult> {
  const worker = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ImportResult>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(TOO_SLOW_MESSAGE))), budgetMs);
    function finish(settle: () => void) {
      clearTimeout(timer);
      worker.terminate();
      settle();
    }
    worker.onmessage = (event: MessageEvent<ImportReply>) => {
      const reply = event.data;
      finish(() => {
        if (reply.ok) resolve(reply.result);
        else if (reply.name === 'FormatError')
          reject(new FormatError(reply.code as FormatError['code'], reply.message, reply.details));
        else reject(new Error(reply.message));
      });
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(() => reject(new Error(`The import stopped: ${event.message || 'the reader failed to load'}`)));
    };
    worker.postMessage({ sources, ...(password !== undefined ? { password } : {}) } satisfies ImportRequest);
  });
}
