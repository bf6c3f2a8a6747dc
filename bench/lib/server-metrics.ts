/**
 * What the server saw while it was measured, from its Prometheus listener: per-route request counts and latency
 * (Fastify's elapsed time, from the request's arrival to its answer, so without the accept and read waits a client
 * also sees) and the event loop's delay (prom-client's monitorEventLoopDelay, reset at every scrape).
 */

export interface Scrape {
  /** `METHOD route status` -> cumulative counts per bucket bound (seconds), plus count and sum. */
  routes: Map<string, { buckets: Map<number, number>; count: number; sum: number }>;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}

export interface RouteFigures {
  requests: number;
  mean_ms: number;
  over_1s: number;
  over_2_5s: number;
}

export interface ServerSide {
  /** Largest event-loop delay of any slice: how long the loop was blocked at worst. */
  event_loop_delay_max_ms: number;
  event_loop_delay_p99_ms: number;
  routes: Record<string, RouteFigures>;
}

export async function scrape(url: string): Promise<Scrape> {
  const text = await (await fetch(url)).text();
  const routes: Scrape['routes'] = new Map();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const entry = (key: string) => {
    let e = routes.get(key);
    if (!e) routes.set(key, (e = { buckets: new Map(), count: 0, sum: 0 }));
    return e;
  };
  const line = /^rampart_http_request_duration_seconds_(bucket|count|sum)\{([^}]*)\} ([0-9.e+-]+)$/gm;
  for (const [, kind, labelText, number] of text.matchAll(line)) {
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    const e = entry(`${labels.method} ${labels.route} ${labels.status}`);
    if (kind === 'bucket') e.buckets.set(labels.le === '+Inf' ? Infinity : Number(labels.le), Number(number));
    else if (kind === 'count') e.count = Number(number);
    else e.sum = Number(number);
  }
  return {
    routes,
    loopDelayMaxMs: value('rampart_nodejs_eventloop_lag_max_seconds') * 1000,
    loopDelayP99Ms: value('rampart_nodejs_eventloop_lag_p99_seconds') * 1000,
  };
}

/** The slices' differences (after - before) merged: per-route figures and the worst event-loop delay. */
export function serverSide(slices: { before: Scrape; after: Scrape }[]): ServerSide {
  const routes: Record<string, RouteFigures & { sum_s: number }> = {};
  for (const { before, after } of slices) {
    for (const [key, a] of after.routes) {
      const b = before.routes.get(key);
      const over = (bound: number) => a.count - (a.buckets.get(bound) ?? 0) - (b ? b.count - (b.buckets.get(bound) ?? 0) : 0);
      const r = (routes[key] ??= { requests: 0, mean_ms: 0, over_1s: 0, over_2_5s: 0, sum_s: 0 });
      r.requests += a.count - (b?.count ?? 0);
      r.sum_s += a.sum - (b?.sum ?? 0);
      r.over_1s += over(1);
      r.over_2_5s += over(2.5);
    }
  }
  const figures: Record<string, RouteFigures> = {};
  for (const [key, { sum_s, ...r }] of Object.entries(routes)) {
    if (r.requests > 0) figures[key] = { ...r, mean_ms: Math.round((sum_s / r.requests) * 1000) };
  }
  const max = (pick: (s: Scrape) => number) => Math.round(Math.max(...slices.map((s) => pick(s.after))));
  return { event_loop_delay_max_ms: max((s) => s.loopDelayMaxMs), event_loop_delay_p99_ms: max((s) => s.loopDelayP99Ms), routes: figures };
}
