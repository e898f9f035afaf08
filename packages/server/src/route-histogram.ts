/**
 * The request-duration histogram by route and status, exposed exactly as a prom-client `Histogram`
 * with labels `route` and `status` would be, but observed without building and hashing a label
 * object per request: each route holds its series by status code, found with one Map look-up.
 * prom-client's `observe` was 1.1 µs of a 24 µs no-op request (bench/FINDINGS.md).
 */
import type { Registry } from 'prom-client';

interface Series {
  labels: { route: string; status: string };
  /** Observations per bucket (not cumulative), the last one for values above every bound (+Inf). */
  counts: number[];
  sum: number;
  count: number;
}

/** One route's series, handed out once when the route is registered. */
export interface RouteDurations {
  observe(status: number, seconds: number): void;
}

interface ValuePair {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class RouteHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** In order of first observation, as prom-client lists its label sets. */
  private readonly series: Series[] = [];
  private readonly routes = new Map<string, Map<number, Series>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The observer of one route (the same one for the same route). */
  route(route: string): RouteDurations {
    let byStatus = this.routes.get(route);
    if (!byStatus) this.routes.set(route, (byStatus = new Map()));
    const statuses = byStatus;
    return {
      observe: (status, seconds) => {
        let s = statuses.get(status);
        if (s === undefined) {
          s = {
            labels: { route, status: String(status) },
            counts: new Array<number>(this.upperBounds.length + 1).fill(0),
            sum: 0,
            count: 0,
          };
          statuses.set(status, s);
          this.series.push(s);
        }
        const bounds = this.upperBounds;
        let i = 0;
        while (i < bounds.length && seconds > bounds[i]!) i++;
        s.counts[i]!++;
        s.sum += seconds;
        s.count++;
      },
    };
  }

  /** Forgets every observation (prom-client's `reset`). */
  reset(): void {
    this.series.length = 0;
    this.routes.clear();
  }

  /** What prom-client's registry formats (the shape of `Histogram.getForPromString`). */
  getForPromString(): { name: string; help: string; type: string; values: ValuePair[]; aggregator: string } {
    const bucket = `${this.name}_bucket`;
    const values: ValuePair[] = [];
    for (const s of this.series) {
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({
          labels: { le },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: s.labels,
          value: s.count,
          metricName: bucket,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.sum,
          metricName: `${this.name}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (`Registry.getMetricsAsJSON`): shared labels folded into each value's labels. */
  get() {
    const data = this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}
