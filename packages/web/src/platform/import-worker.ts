/**
 * The Web Worker that reads imported files. A hostile file may make a reader run for a long time (a
 * SQLite schema, a deep archive, a KDF at its cap); here it cannot freeze the tab, and the page can
 * terminate it (see import-files.ts).
 */
/// <reference lib="webworker" />
import { importFiles } from './formats.js';
import type { ImportRequest, ImportReply } from './import-files.js';

self.onmessage = async (event: MessageEvent<ImportRequest>) => {
  let reply: ImportReply;
  try {
    reply = { ok: true, result: await importFiles(event.data) };
  } catch (err) {
    const e = err as Error & { code?: string; details?: Record<string, unknown> };
    reply = { ok: false, name: e.name, code: e.code, message: e.message, details: e.details };
  }
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply);
};
