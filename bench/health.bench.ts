/**
 * GET /api/v1/health on Rampart beside a bare node server answering the same bytes, over plain HTTP
 * (Rampart --insecure-http vs node:http: the headline, target 50%) and over HTTPS (Rampart's default, with its
 * self-signed certificate, vs node:https with that same certificate).
 */
import { startBare } from './lib/bare.js';
import { comparePair } from './lib/load.js';
import { fetchOnce } from './lib/processes.js';
import { startRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const PATH = '/api/v1/health';
const TARGET = 0.5;

export const bench: Bench = async (ctx) => [
  await ctx.scoped((scope) => healthPair(scope, 'http')),
  await ctx.scoped((scope) => healthPair(scope, 'https')),
];

async function healthPair(ctx: BenchContext, transport: 'http' | 'https'): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log(`GET ${PATH} over ${transport}: starting Rampart (log level ${logLevel}) and the bare node:${transport} server`);
  const rampart = await startRampart(ctx, { insecureHttp: transport === 'http', logLevel, readyPath: PATH });
  const response = { contentType: rampart.ready.contentType, body: rampart.ready.body };
  const bare = await startBare(ctx, { path: PATH, response, tls: rampart.tls });
  await assertSameAnswer(rampart.origin + PATH, bare.origin + PATH);

  const { baseline, rampart: measured, ratio, cpu_ratio } = await comparePair(ctx, {
    baseline: { server: `bare node:${transport}`, url: bare.origin + PATH, pid: bare.child.pid },
    rampart: { server: 'rampart', url: rampart.origin + PATH, pid: rampart.child.pid },
  });
  ctx.log(`  => rampart ${measured.requests_per_s} req/s vs bare ${baseline.requests_per_s} req/s: ratio ${ratio} (CPU ratio ${cpu_ratio})`);
  return {
    name: `GET ${PATH} (${transport === 'http' ? 'plain HTTP' : 'HTTPS'})`,
    unit: 'requests/s',
    headline: transport === 'http',
    transport,
    response: { content_type: response.contentType, body: response.body },
    rampart: { ...measured, log_level: logLevel, command: `rampart serve${transport === 'http' ? ' --insecure-http' : ''}` },
    baseline,
    ratio,
    cpu_ratio,
    target: TARGET,
    meets_target: ratio >= TARGET,
  };
}

/** Both servers must answer with the same status, content type and body, or the comparison means nothing. */
async function assertSameAnswer(rampartUrl: string, bareUrl: string): Promise<void> {
  const [a, b] = await Promise.all([fetchOnce(rampartUrl), fetchOnce(bareUrl)]);
  if (a.status !== b.status || a.contentType !== b.contentType || a.body !== b.body) {
    throw new Error(`baseline answers differently from Rampart: ${JSON.stringify({ rampart: a, bare: b })}`);
  }
}
