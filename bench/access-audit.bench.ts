/**
 * The access audit pipeline, in process on SQLite and on PostgreSQL (when one answers: BENCH_POSTGRES_URL or the
 * local default), each figure beside a baseline measured in the same run on the same database:
 *
 * - ingest: POST /v1/audit/ingest's service path (validation, id derivation, sanitising, insert skipping known ids,
 *   in one transaction per batch as the route runs it) in batches of 1,000, against raw INSERTs of the same rows
 *   in transactions of 1,000 (no conflict clause, no sanitising). Events/s.
 * - export: BENCH_AUDIT_EXPORT_EVENTS events (1,000,000) streamed as CSV through the export's Readable into a
 *   counting sink, against a raw keyset read of the same rows a page at a time with no formatting. Events/s, with
 *   this process's RSS before and its peak during each (sampled every 20 ms): flat memory means the peak stays
 *   near the start however many rows there are.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/core/config/load.js';
import { prepareDatabase } from '../src/core/index.js';
import { accessServices } from '../src/modules/access/access.services.js';
import { DEFAULT_TENANT_ID } from '../src/modules/access/access.types.js';
import { createRampart } from '../src/server.js';
import { freshDatabase, postgresAdminUrl } from './lib/postgres.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const BATCH = 1_000;
const INGEST_BATCHES = Number(process.env.BENCH_AUDIT_BATCHES ?? 20);
const EXPORT_EVENTS = Number(process.env.BENCH_AUDIT_EXPORT_EVENTS ?? 1_000_000);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const mb = (bytes: number) => round(bytes / 1_048_576, 1);

export const bench: Bench = async (ctx) => {
  const results: BenchmarkResult[] = [];
  results.push(...(await ctx.scoped((scope) => onDatabase(scope, 'SQLite', undefined))));
  const adminUrl = await postgresAdminUrl(ctx);
  if (adminUrl) results.push(...(await ctx.scoped(async (scope) => onDatabase(scope, 'PostgreSQL', await freshDatabase(scope, adminUrl)))));
  return results;
};

async function onDatabase(ctx: BenchContext, label: string, url: string | undefined): Promise<BenchmarkResult[]> {
  const dir = ctx.tmpDir('rampart-bench-audit-');
  const config = loadConfig({ env: {}, cwd: dir, overrides: { data_dir: dir, 'log.level': 'silent', ...(url ? { 'database.url': url } : {}) } });
  const rampart = await createRampart(config, { logger: pino({ level: 'silent' }) });
  ctx.defer(() => rampart.close());
  await prepareDatabase(rampart.core);
  const core = rampart.core;
  const { pipeline } = accessServices(core).audit;
  const gateway = { kind: 'gateway' as const, gateway_id: randomUUID(), pool_id: randomUUID(), tenant_id: DEFAULT_TENANT_ID };
  const batchOf = () => Array.from({ length: BATCH }, (_, i) => ({
    id: randomUUID(), time: new Date(Date.now() - 60_000 + i).toISOString(), actor: { type: 'device' as const, id: randomUUID() }, action: 'session.open',
    target: { type: 'access_device', id: randomUUID() }, result: 'success' as const, source_ip: '10.243.0.9', details: { bytes_rx: 1234, bytes_tx: 5678 },
  }));
  const rawRows = (batch: ReturnType<typeof batchOf>) => batch.map((e) => ({
    id: randomUUID(), occurred_at: e.time, actor_type: 'device' as const, actor_id: e.actor.id, actor_name: null, action: `access.gateway.${e.action}`,
    resource_type: e.target.type, resource_id: e.target.id, result: e.result, client_ip: e.source_ip, user_agent: null, correlation_id: null,
    details: core.db.dialect.toJson(e.details),
  }));

  // ---- ingest, ABBA ----
  ctx.log(`audit ingest on ${label}: ${INGEST_BATCHES} batches of ${BATCH}, raw INSERT baseline`);
  const timed = { rampart: 0, baseline: 0 };
  const rounds = [['baseline', 'rampart'], ['rampart', 'baseline']] as const;
  for (const order of rounds) {
    for (const side of order) {
      const batches = Array.from({ length: INGEST_BATCHES / 2 }, batchOf);
      const start = performance.now();
      for (const batch of batches) {
        if (side === 'rampart') {
          const r = await core.db.transaction(() => pipeline.ingest(gateway, batch));
          if (r.accepted !== BATCH) throw new Error(`ingest accepted ${r.accepted} of ${BATCH}`);
        } else {
          const rows = rawRows(batch);
          await core.db.transaction(async () => {
            for (let i = 0; i < rows.length; i += 500) await core.db.kysely.insertInto('audit_events').values(rows.slice(i, i + 500)).execute();
          });
        }
      }
      timed[side] += performance.now() - start;
    }
  }
  const events = INGEST_BATCHES * BATCH;
  const ingestRate = events / (timed.rampart / 1000);
  const rawRate = events / (timed.baseline / 1000);
  ctx.log(`  => ingest ${round(ingestRate, 0)} events/s vs raw INSERT ${round(rawRate, 0)} events/s`);

  // ---- export of EXPORT_EVENTS ----
  ctx.log(`audit export on ${label}: seeding ${EXPORT_EVENTS} events`);
  const existing = Number((await core.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  await seed(core, url !== undefined, EXPORT_EVENTS);
  const total = existing + EXPORT_EVENTS;

  const measure = async (what: string, run: () => Promise<number>) => {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const start = performance.now();
    const rows = await run();
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (rows !== total) throw new Error(`${what} read ${rows} rows of ${total}`);
    ctx.log(`  => ${what}: ${round(rows / seconds, 0)} events/s, RSS ${mb(before)} MB before, peak ${mb(peak)} MB`);
    return { what, operations: rows, measured_s: round(seconds, 2), per_s: round(rows / seconds, 0), rss_before_mb: mb(before), rss_peak_mb: mb(peak), rss_growth_mb: mb(peak - before) };
  };
  const raw = await measure('raw keyset read, pages of 1,000, no formatting', async () => {
    let n = 0;
    let after: { t: string; id: string } | null = null;
    for (;;) {
      let q = core.db.kysely.selectFrom('audit_events').selectAll().orderBy('occurred_at').orderBy('id').limit(1_000);
      if (after) {
        const a: { t: string; id: string } = after;
        q = q.where(sql<boolean>`(occurred_at, id) > (${a.t}, ${a.id})`);
      }
      const page = await q.execute();
      n += page.length;
      if (page.length < 1_000) return n;
      after = { t: page[page.length - 1].occurred_at, id: page[page.length - 1].id };
    }
  });
  let bytes = 0;
  const streamed = await measure('CSV export stream (GET /v1/admin/audit/export)', async () => {
    let lines = 0;
    await pipe(pipeline.stream('csv', {}), new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        const text = chunk.toString();
        bytes += text.length;
        for (let i = text.indexOf('\r\n'); i >= 0; i = text.indexOf('\r\n', i + 2)) lines++;
        cb();
      },
    }));
    return lines - 1; // the header
  });
  ctx.log(`  => ${mb(bytes)} MB of CSV`);
  return [
    {
      name: `access audit ingest, batches of ${BATCH}, ${label}`,
      unit: 'events/s',
      headline: true,
      rampart: { what: 'audit pipeline ingest (one transaction per batch)', operations: events, measured_s: round(timed.rampart / 1000, 2), per_s: round(ingestRate, 0) },
      baseline: { what: 'raw INSERT of the same rows, transactions of 1,000', operations: events, measured_s: round(timed.baseline / 1000, 2), per_s: round(rawRate, 0) },
      ratio: round(ingestRate / rawRate, 3),
    },
    {
      name: `access audit CSV export of ${total.toLocaleString('en')} events, streamed, ${label}`,
      unit: 'events/s',
      headline: true,
      rampart: { ...streamed, csv_mb: mb(bytes) },
      baseline: raw,
      ratio: round(streamed.per_s / raw.per_s, 3),
    },
  ];
}

/** Rows generated by the database itself, one statement per 100,000: seeding is not what is measured. */
async function seed(core: Awaited<ReturnType<typeof createRampart>>['core'], postgres: boolean, count: number) {
  const step = 100_000;
  for (let from = 1; from <= count; from += step) {
    const to = Math.min(from + step - 1, count);
    if (postgres) {
      await sql`insert into audit_events (id, occurred_at, actor_type, actor_id, actor_name, action, resource_type, resource_id, result, client_ip, user_agent, correlation_id, details)
        select md5('bench' || i)::uuid, timestamptz '2026-01-01T00:00:00Z' + i * interval '1 millisecond', 'device', 'dev-' || (i % 5000), null,
          'access.gateway.session.open', 'access_device', 'd-' || (i % 5000), 'success', '10.243.0.9', null, null, jsonb_build_object('bytes_rx', i)
        from generate_series(${from}::int, ${to}::int) as i`.execute(core.db.kysely);
    } else {
      await sql`with recursive n(i) as (select ${from} union all select i + 1 from n where i < ${to})
        insert into audit_events (id, occurred_at, actor_type, actor_id, actor_name, action, resource_type, resource_id, result, client_ip, user_agent, correlation_id, details)
        select printf('%08x-0000-4000-8000-%012x', i, i), strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + i / 1000.0, 'unixepoch'), 'device', 'dev-' || (i % 5000), null,
          'access.gateway.session.open', 'access_device', 'd-' || (i % 5000), 'success', '10.243.0.9', null, null, json_object('bytes_rx', i)
        from n`.execute(core.db.kysely);
    }
  }
}
