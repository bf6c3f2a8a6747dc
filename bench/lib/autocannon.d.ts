// The subset of autocannon 9 the harness uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Requests each connection sends in turn; setupRequest may rewrite one just before it goes out. */
    requests?: Request[];
    servername?: string;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    /** Return the raw per-run result (encoded histograms) for autocannon.aggregateResult. */
    skipAggregateResult?: boolean;
  }

  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?(req: Request, context: Record<string, unknown>): Request;
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9?: number;
    [key: string]: number | undefined;
  }

  export interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    statusCodeStats: Record<string, { count: number }>;
  }

  /** What a run with skipAggregateResult resolves to. */
  export interface RawResult {
    totalCompletedRequests: number;
    totalRequests: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    /** Seconds, with two decimals. */
    duration: number;
    [key: string]: unknown;
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  interface Autocannon {
    (opts: Options & { skipAggregateResult: true }): EventEmitter & PromiseLike<RawResult> & { stop(): void };
    (opts: Options): Instance;
    aggregateResult(results: RawResult[], opts: Pick<Options, 'url' | 'connections'>): Result;
  }

  const autocannon: Autocannon;
  export default autocannon;
}
