/** Prometheus metrics of one server (its own registry, so several servers can share a process). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RouteHistogram } from './route-histogram.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_process_' });
  const registers = [registry];
  return {
    registry,
    signIns: new Counter({
      name: 'tessera_sign_ins_total',
      help: 'Sign-in attempts by outcome (started, succeeded, failed, rate-limited)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    restores: new Counter({
      name: 'tessera_restores_total',
      help: 'Devices restored by path (add-device links by via) and outcome',
      labelNames: ['path', 'outcome'] as const,
      registers,
    }),
    escrowAttempts: new Counter({
      name: 'tessera_escrow_attempts_total',
      help: 'Escrow PIN attempts by outcome (started, succeeded, failed, destroyed, refused)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    pushes: new Counter({
      name: 'tessera_item_pushes_total',
      help: 'Item pushes by outcome (ok, conflict, refused)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    itemsPushed: new Counter({
      name: 'tessera_items_pushed_total',
      help: 'Items written by pushes',
      registers,
    }),
    conflicts: new Counter({
      name: 'tessera_item_conflicts_total',
      help: 'Items refused for a stale base version',
      registers,
    }),
    pullsJoined: new Counter({
      name: 'tessera_item_pulls_joined_total',
      help: 'Pulls answered by an identical read that had not started when they arrived (read-coalescer.ts)',
      registers,
    }),
    pullsFromMemory: new Counter({
      name: 'tessera_item_pulls_from_memory_total',
      help: 'Pulls answered from the recent item changes announced to this process, without a read (item-tail.ts)',
      registers,
    }),
    feedReads: new Counter({
      name: 'tessera_feed_reads_total',
      help: 'Reads of the event log by feeds (one per wake and account, shared by its feeds here)',
      registers,
    }),
    feedEventsAnnounced: new Counter({
      name: 'tessera_feed_events_announced_total',
      help: 'Events feeds took from their notification instead of reading the log (PostgreSQL)',
      registers,
    }),
    circleLinks: new Counter({
      name: 'tessera_circle_links_total',
      help: 'Circle links accepted by op',
      labelNames: ['op'] as const,
      registers,
    }),
    feedConnections: new Gauge({
      name: 'tessera_feed_connections',
      help: 'Open feed connections',
      registers,
    }),
    joinWaiting: new Gauge({
      name: 'tessera_join_waiting',
      help: 'Reads of the approval relay held for news (long polling)',
      registers,
    }),
    /** Labels `route` and `status`; observed through `requestDuration.route(url)` (route-histogram.ts). */
    requestDuration: new RouteHistogram(
      'tessera_http_request_duration_seconds',
      'HTTP request duration by route and status',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registry,
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
