import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { createRequestMetrics, REQUEST_BUCKETS } from '../../src/http/request-metrics.js';

/** What a scraper read before: prom-client's own Counter and Histogram with the same names, labels and buckets. */
function promClientReference() {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'];
  const requests = new Counter({ name: 'rampart_http_requests_total', help: 'HTTP requests served', labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'rampart_http_request_duration_seconds', help: 'HTTP request latency', labelNames, buckets: REQUEST_BUCKETS, registers: [registry] });
  return {
    registry,
    observe(method: string, route: string, status: number, seconds: number) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}

test('request counts and latencies scrape exactly as prom-client\'s counter and histogram wrote them', async () => {
  const reference = promClientReference();
  const registry = new Registry();
  const metrics = createRequestMetrics(registry);
  const observations: [string, string, number, number][] = [
    ['GET', '/api/v1/health', 200, 0.0004],
    ['GET', '/api/v1/health', 200, 0.005], // on a bound: counted in that bucket (le is inclusive)
    ['GET', '/api/v1/health', 200, 0.0051],
    ['GET', '/api/v1/users/:id', 404, 12], // above the largest bound: +Inf only
    ['POST', 'unmatched', 404, 0.3],
    ['GET', '/api/v1/health', 503, 2.5],
    ['GET', '/api/v1/health', 200, 0],
  ];
  for (const [method, route, status, seconds] of observations) {
    reference.observe(method, route, status, seconds);
    metrics.observe(method, route, status, seconds);
  }
  const text = await registry.metrics();
  assert.equal(text, await reference.registry.metrics());
  assert.match(text, /^rampart_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} 4$/m);
  assert.match(text, /^rampart_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/health",status="200"\} 3$/m);
  // A label value with a quote or backslash is escaped as prom-client escapes it.
  reference.observe('GET', '/a"b\\c', 200, 0.01);
  metrics.observe('GET', '/a"b\\c', 200, 0.01);
  assert.equal(await registry.metrics(), await reference.registry.metrics());
});
