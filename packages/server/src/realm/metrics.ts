/** Prometheus metrics of one realm (its own registry). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RealmEvent } from './core.js';

export function createRealmMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_realm_process_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'tessera_realm_events_total',
      help: 'Realm record events (registered, guess, wrong, released, destroyed)',
      labelNames: ['event'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'tessera_realm_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

export type RealmMetrics = ReturnType<typeof createRealmMetrics>;

export const countEvent = (metrics: RealmMetrics) => (event: RealmEvent) => metrics.events.inc({ event });
