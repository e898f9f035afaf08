/**
 * Each request's logger is made only when something is logged at an enabled level
 * (src/logging.ts, `lazyChildLogger`): pino redacts a child's bindings whenever one is made.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger, loggerOptions } from '../src/logging.js';

function counted(level: string) {
  const lines: string[] = [];
  const options = loggerOptions({ level }) as Record<string, unknown>;
  const logger = pino(options, { write: (line: string) => void lines.push(line) });
  let made = 0;
  const parent = Object.create(logger) as typeof logger;
  parent.child = ((...args: Parameters<typeof logger.child>) => {
    made++;
    return logger.child(...args);
  }) as typeof logger.child;
  return { parent, lines, made: () => made };
}

describe('a request logger made lazily', () => {
  it('makes no child while nothing is logged at an enabled level, and a full one when something is', () => {
    const { parent, lines, made } = counted('warn');
    const log = lazyChildLogger(parent, { reqId: 'req-7' }, {}) as pino.Logger;
    log.info({ req: { method: 'GET', url: '/v1/items' } }, 'incoming request');
    log.debug('nothing');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(made()).toBe(0);
    expect(lines).toEqual([]);
    log.warn({ body: { session: 'secret-token' } }, 'something odd');
    expect(made()).toBe(1);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ reqId: 'req-7', msg: 'something odd', body: '[redacted]' });
    log.error('again');
    expect(made()).toBe(1);
    expect(lines).toHaveLength(2);
  });

  it('honours a level set on it, and a route log level gets a real child at once', () => {
    const { parent, lines, made } = counted('warn');
    const log = lazyChildLogger(parent, { reqId: 'req-8' }, {}) as pino.Logger;
    log.level = 'info';
    log.info('now logged');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['now logged']);
    lazyChildLogger(parent, { reqId: 'req-9' }, { level: 'debug' });
    expect(made()).toBe(2);
  });
});
