/**
 * Reads the change feed (`GET /v1/feed`, server-sent events) over fetch streaming, so it can send
 * the Authorization and Tessera-Client headers (EventSource cannot). Parsing follows the WHATWG
 * HTML "server-sent events" interpretation rules: fields `event`, `data`, `id`; `:` comments; a blank
 * line dispatches.
 */
import type { KeychainClient } from './client.js';

export interface FeedEvent {
  type: string;
  data: unknown;
  id: string | null;
}

/**
 * Streams feed events to `onEvent` until `signal` aborts or the server closes the stream; resolves
 * with the last event id (for `Last-Event-ID` on reconnect).
 */
export async function readFeed(options: {
  client: KeychainClient;
  signal: AbortSignal;
  lastEventId?: string | null;
  onOpen?: () => void;
  onEvent: (event: FeedEvent) => void | Promise<void>;
}): Promise<string | null> {
  const response = await options.client.openFeed({
    signal: options.signal,
    lastEventId: options.lastEventId ?? null,
  });
  options.onOpen?.();
  let lastId = options.lastEventId ?? null;
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      while ((newline = buffer.search(/\r\n|\r(?!$)|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) {
            await options.onEvent({ type: type || 'message', data: parseData(data.join('\n')), id: lastId });
          }
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id' && !fieldValue.includes('\0')) lastId = fieldValue;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return lastId;
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
