import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { createRequestMetrics } from './request-metrics.js';
import type { StatementStats } from '../core/db/statement-cache.js';

export interface MetricsSources {
  /** The database's statement cache figures, read at each scrape. */
  statements?: () => StatementStats;
}

// prom-client's index loads its default metrics as it is imported, and with them @opentelemetry/api: about a tenth of
// `serve`'s start-up. The registry and the metric types come from their own files; the default metrics load at the
// first scrape (render), which is when anyone reads them.
const require = createRequire(import.meta.url);
const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;
const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter;
const Gauge = require('prom-client/lib/gauge') as typeof PromClient.Gauge;
const collectDefaultMetrics = () => require('prom-client/lib/defaultMetrics') as typeof PromClient.collectDefaultMetrics;

/** Prometheus metrics for one Rampart instance (its own registry, so several can live in one process). */
export function createMetrics(sources: MetricsSources = {}) {
  const registry = new Registry();
  if (sources.statements) statementMetrics(registry, sources.statements);
  const requests = createRequestMetrics(registry);
  let defaultMetrics = false;
  return {
    registry,
    /** The exposition text; prom-client's process and Node.js metrics are collected from the first one on. */
    render(): Promise<string> {
      if (!defaultMetrics) collectDefaultMetrics()({ register: registry, prefix: 'rampart_' });
      defaultMetrics = true;
      return registry.metrics();
    },
    /** route is the declared pattern (/api/v1/users/:id), never the raw URL, to keep label cardinality bounded. */
    observeRequest: requests.observe,
    /** Requests waiting in the turn gate (http/turn-gate.ts) for an event-loop turn, read at each scrape. */
    watchTurnGate(waiting: () => number) {
      new Gauge({
        name: 'rampart_http_requests_waiting',
        help: 'HTTP requests queued for an event-loop turn by the turn gate (a steady non-zero value: the process is saturated)',
        registers: [registry],
        collect() {
          this.set(waiting());
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Prepares stay flat once the running queries are cached; a climbing counter means the cache is missing. */
function statementMetrics(registry: PromClient.Registry, stats: () => StatementStats) {
  new Counter({
    name: 'rampart_db_statement_prepares_total',
    help: 'SQL statements prepared (statement cache misses)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().prepares);
    },
  });
  new Gauge({
    name: 'rampart_db_statements_cached',
    help: 'Prepared SQL statements held by the statement cache',
    registers: [registry],
    collect() {
      this.set(stats().cached);
    },
  });
}

/** The separate metrics listener: GET /metrics and nothing else. */
export function createMetricsServer(metrics: Metrics): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    try {
      const body = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'metrics unavailable' }));
    }
  });
}
