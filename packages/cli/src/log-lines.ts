/**
 * The server's log as one short line per request for a person at a terminal
 * (`12:03:04 GET /v1/items 200 4 ms`), from the JSON lines pino writes. Anything that is not a
 * request (start-up, warnings, errors) keeps its level and message. Machines get the JSON as is.
 */
interface LogLine {
  time?: number;
  level?: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string };
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A writable for Fastify's `logger.stream` that prints human lines to `out`. */
export function textLogStream(out: { write(text: string): unknown }): { write(line: string): void } {
  const pending = new Map<string, { method: string; url: string }>();
  return {
    write(line: string) {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        out.write(line);
        return;
      }
      const clock = new Date(entry.time ?? Date.now()).toTimeString().slice(0, 8);
      if (entry.req && entry.reqId) {
        pending.set(entry.reqId, {
          method: entry.req.method ?? '?',
          url: (entry.req.url ?? '?').split('?')[0]!,
        });
        return;
      }
      if (entry.res && entry.reqId) {
        const req = pending.get(entry.reqId) ?? { method: '?', url: '?' };
        pending.delete(entry.reqId);
        const ms = entry.responseTime === undefined ? '' : ` ${Math.round(entry.responseTime)} ms`;
        out.write(`${clock} ${req.method} ${req.url} ${entry.res.statusCode ?? '?'}${ms}\n`);
        return;
      }
      const level = LEVELS[entry.level ?? 30] ?? 'info';
      const detail = entry.err?.message ? `: ${entry.err.message}` : '';
      out.write(`${clock} ${level === 'info' ? '' : `${level}: `}${entry.msg ?? ''}${detail}\n`);
    },
  };
}
