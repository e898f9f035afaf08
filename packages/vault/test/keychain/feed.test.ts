import { describe, expect, it } from 'vitest';
import { KeychainClient, readFeed, type FeedEvent } from '../../src/keychain/index.js';

/** A client whose transport answers with `chunks` as a server-sent event stream, split where given. */
function clientStreaming(chunks: string[], seen: { headers?: Headers } = {}): KeychainClient {
  return new KeychainClient({
    server: 'http://127.0.0.1:1',
    client: 'tessera-cli/0.2.0',
    session: 'S'.repeat(43),
    fetch: async (_url, init) => {
      seen.headers = new Headers(init?.headers);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    },
  });
}

async function events(chunks: string[], lastEventId?: string) {
  const seen: { headers?: Headers } = {};
  const got: FeedEvent[] = [];
  const last = await readFeed({
    client: clientStreaming(chunks, seen),
    signal: new AbortController().signal,
    lastEventId,
    onEvent: (e) => void got.push(e),
  });
  return { got, last, headers: seen.headers! };
}

describe('change feed reader (server-sent events)', () => {
  it('parses events split across chunks, CRLF and CR line ends, comments and multi-line data', async () => {
    const { got, last } = await events([
      ': ping\n\nevent: ite',
      'ms\nid: 7\ndata: {"head":',
      '12}\n\r\nevent: notice\r\ndata: {"notice":\r',
      '\ndata: {"id":3}}\r\n\r\n',
      'event: devices\rdata: {}\r\r',
      'data: not json\n\n',
      'event: circle\ndata: {"head":null}\n', // no blank line: never dispatched
    ]);
    expect(got).toEqual([
      { type: 'items', data: { head: 12 }, id: '7' },
      { type: 'notice', data: { notice: { id: 3 } }, id: '7' },
      { type: 'devices', data: {}, id: '7' },
      { type: 'message', data: 'not json', id: '7' },
    ]);
    expect(last).toBe('7');
  });

  it('sends the session, the client version and Last-Event-ID', async () => {
    const { headers } = await events([], '41');
    expect(headers.get('authorization')).toBe(`Bearer ${'S'.repeat(43)}`);
    expect(headers.get('tessera-client')).toBe('tessera-cli/0.2.0');
    expect(headers.get('last-event-id')).toBe('41');
    expect(headers.get('accept')).toBe('text/event-stream');
  });
});

describe('reconnecting after the server went away', () => {
  it('waits at most 5 s between attempts, doubling from 0.5 s, jittered so devices spread out', async () => {
    const { nextBackoff, MAX_BACKOFF_MS } = await import('../../src/keychain/follow.js');
    expect(MAX_BACKOFF_MS).toBe(5_000);
    const waits: number[] = [];
    for (let w = 500, n = 0; n < 12; n++) waits.push((w = nextBackoff(w, () => 1)));
    expect(waits.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(Math.max(...waits)).toBe(5_000);
    // The jitter only shortens a wait, by up to a fifth.
    expect(nextBackoff(4_000, () => 0)).toBe(4_000);
    expect(nextBackoff(500, () => 0.5)).toBe(900);
  });
});
