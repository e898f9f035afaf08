/** The request-duration histogram (route-histogram.ts) is exposed exactly as prom-client's own. */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RouteHistogram } from '../src/route-histogram.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const NAME = 'tessera_http_request_duration_seconds';
const HELP = 'HTTP request duration by route and status';

describe('RouteHistogram', () => {
  it('exposes the same text and JSON as a prom-client Histogram fed the same observations', async () => {
    const mine = new Registry();
    const theirs = new Registry();
    const fast = new RouteHistogram(NAME, HELP, BUCKETS, mine);
    const stock = new Histogram({
      name: NAME,
      help: HELP,
      labelNames: ['route', 'status'] as const,
      buckets: BUCKETS,
      registers: [theirs],
    });
    // Values on the bounds, between them, above the last one, and zero; routes in any order.
    const observations: Array<[string, number, number]> = [
      ['/healthz', 200, 0.0001],
      ['/v1/items', 401, 0.005],
      ['/healthz', 200, 0.0050001],
      ['/v1/items', 200, 0.3],
      ['unmatched', 404, 0],
      ['/v1/items', 200, 7.5],
      ['/healthz', 503, 5],
      ['/v1/items', 401, 1],
      ['/v1/items', 200, 0.25],
    ];
    for (const [route, status, seconds] of observations) {
      fast.route(route).observe(status, seconds);
      stock.observe({ route, status: String(status) }, seconds);
    }
    expect(await mine.metrics()).toBe(await theirs.metrics());
    expect(await mine.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await mine.metrics()).toMatch(
      /^tessera_http_request_duration_seconds_count\{route="\/v1\/items",status="200"\} 3$/m,
    );

    fast.reset();
    stock.reset();
    expect(await mine.metrics()).toBe(await theirs.metrics());
  });
});
