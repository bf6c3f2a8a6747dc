import type { Registry } from 'prom-client';

const LABEL_NAMES = ['method', 'route', 'status'] as const;
export const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<(typeof LABEL_NAMES)[number], string>;

interface Series {
  labels: Labels;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot counts those above the largest bound. */
  perBucket: Float64Array;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * rampart_http_requests_total and rampart_http_request_duration_seconds, counted in plain numbers per series and
 * handed to prom-client's registry only when it is scraped. prom-client's own Counter and Histogram hash the label
 * set and walk their maps on every observation (even through a labels() child), which was a twentieth of a
 * health probe's CPU; a request here costs one map lookup and three additions. The registry formats these series
 * exactly as it formats its own counters and histograms (same names, labels, bucket bounds and order).
 */
export function createRequestMetrics(registry: Registry) {
  const series = new Map<string, Series>();

  const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]) => ({
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset: () => series.clear(),
  });

  const counter = metric('rampart_http_requests_total', 'HTTP requests served', 'counter', () =>
    [...series.values()].map((s) => ({ labels: s.labels, value: s.count })),
  );
  const histogram = metric('rampart_http_request_duration_seconds', 'HTTP request latency', 'histogram', () => {
    const bucket = 'rampart_http_request_duration_seconds_bucket';
    const out: MetricValue[] = [];
    for (const s of series.values()) {
      let cumulative = 0;
      REQUEST_BUCKETS.forEach((le, i) => {
        cumulative += s.perBucket[i];
        out.push({ labels: { le, ...s.labels }, value: cumulative, metricName: bucket });
      });
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      out.push({ labels: s.labels, value: s.sum, metricName: 'rampart_http_request_duration_seconds_sum' });
      out.push({ labels: s.labels, value: s.count, metricName: 'rampart_http_request_duration_seconds_count' });
    }
    return out;
  });
  // The registry takes any object with a name and get(); the cast is for its Metric type, which lists more methods.
  registry.registerMetric(counter as never);
  registry.registerMetric(histogram as never);

  return {
    /** route is the declared pattern (/api/v1/users/:id), never the raw URL, to keep label cardinality bounded. */
    observe(method: string, route: string, status: number, seconds: number) {
      const key = `${method} ${status} ${route}`;
      let one = series.get(key);
      if (!one) {
        one = { labels: { method, route, status: String(status) }, count: 0, sum: 0, perBucket: new Float64Array(REQUEST_BUCKETS.length + 1) };
        series.set(key, one);
      }
      one.count++;
      one.sum += seconds;
      let i = 0;
      while (i < REQUEST_BUCKETS.length && seconds > REQUEST_BUCKETS[i]) i++;
      one.perBucket[i]++;
    },
  };
}
