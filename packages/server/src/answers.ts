/**
 * The keychain server's HTTP answers: a `ServerResponse` subclass handed to Fastify through its
 * documented `http` option (passed to `http.createServer`, whose `ServerResponse` option is Node's
 * documented way to extend responses). Its `writeHead`, which Node calls for every answer (Fastify's
 * replies and errors, its 503 while closing, hijacked streams like the feed, and `end()` without an
 * explicit `writeHead` through `_implicitHeader`), adds
 *
 * - the security headers (web.ts `securityHeaders`), and `Cache-Control: no-store` on /v1, unless the
 *   answer already set that header: no Fastify hook per request (a hook costs its runner and a
 *   `reply.header` per header; bench/FINDINGS.md, bench:server no-op);
 * - `Connection: close` once the server is closing, so the answers in flight end their keep-alive
 *   connections instead of holding the exit back until the keep-alive timeout. One flag, read per
 *   answer; nothing per connection or per request is tracked for it.
 *
 * Its `end` records the answer's duration, from when Node made the answer (the request's head had
 * arrived) to the end of its body, under the route its handler or the error handler named
 * (`observeAs`). Fastify's `onResponse` hooks did this before; any such hook makes Fastify add two
 * listeners to each answer and run a hook chain when it finishes, which cost the no-op route more
 * than all the rest of the server's own work (bench/FINDINGS.md, bench:server no-op).
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RouteDurations } from './route-histogram.js';

type Pairs = ReadonlyArray<readonly [string, string]>;

export interface Answers {
  /** For Fastify's `http` option: `{ ServerResponse }`. */
  ServerResponse: typeof ServerResponse;
  /** From now on every answer not yet started closes its connection. */
  closing(): void;
}

/** `v1(url)` says which answers also get `v1Headers` (`headers` are on every answer). */
export function answers(options: {
  headers: Pairs;
  v1Headers: Pairs;
  v1: (url: string) => boolean;
}): Answers {
  const { v1 } = options;
  // Names and values apart, walked by index: this runs for every answer.
  const all = { names: options.headers.map(([n]) => n), values: options.headers.map(([, v]) => v) };
  const forV1 = { names: options.v1Headers.map(([n]) => n), values: options.v1Headers.map(([, v]) => v) };
  let closing = false;
  class Answer extends ServerResponse<IncomingMessage> {
    readonly started = performance.now();
    durations: RouteDurations | undefined = undefined;

    override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
      const durations = this.durations;
      if (durations !== undefined) {
        this.durations = undefined;
        durations.observe(this.statusCode, (performance.now() - this.started) / 1000);
      }
      return super.end(chunk as string, encoding as BufferEncoding, callback as () => void);
    }

    // Node's signatures: (status, headers?) and (status, reason, headers?); headers as an object or an
    // array of pairs.
    override writeHead(
      statusCode: number,
      reason?: string | OutgoingHttpHeaders | unknown[],
      obj?: OutgoingHttpHeaders | unknown[],
    ): this {
      const target = typeof reason === 'string' ? obj : reason;
      const { names, values } = v1(this.req.url ?? '') ? forV1 : all;
      if (target !== undefined && target !== null && !Array.isArray(target)) {
        // The common case (every Fastify reply): the headers object, in which the answer's own win. As
        // when a hook set them on the reply, they win over any set earlier with `setHeader` (Node
        // merges this object over those); nothing sets these that way.
        const given = target as OutgoingHttpHeaders;
        for (let i = 0; i < names.length; i++)
          if (given[names[i]!] === undefined) given[names[i]!] = values[i];
      } else {
        for (let i = 0; i < names.length; i++)
          if (!this.hasHeader(names[i]!)) this.setHeader(names[i]!, values[i]!);
      }
      if (closing && !this.headersSent) this.setHeader('connection', 'close');
      return typeof reason === 'string'
        ? super.writeHead(statusCode, reason, obj as OutgoingHttpHeaders)
        : super.writeHead(statusCode, reason as OutgoingHttpHeaders);
    }
  }
  return {
    // Node's type is generic in the request type; this class answers plain IncomingMessages.
    ServerResponse: Answer as unknown as typeof ServerResponse,
    closing: () => {
      closing = true;
    },
  };
}

/**
 * Names the route whose durations an answer counts in; the first name given wins (the route's
 * handler, else the error handler, else the 404 handler). Answers never named (Fastify's 503 while
 * closing) are not counted.
 */
export function observeAs(response: ServerResponse, durations: RouteDurations): void {
  const answer = response as ServerResponse & { durations?: RouteDurations };
  if (answer.durations === undefined) answer.durations = durations;
}
