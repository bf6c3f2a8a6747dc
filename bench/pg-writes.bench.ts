/**
 * Write rates on PostgreSQL beside SQLite, in the same run: overlay certificate creation
 * (POST /api/certificates/create: IP allocation, a keypair, a signed certificate, the node row, its audit row) and
 * user PATCH (PATCH /api/v1/users/:id). Both Rampart processes run at once, loaded in turn (ABBA); the SQLite one is
 * the baseline. Target: PostgreSQL at least 0.8 of SQLite's certificate creation rate; the PATCH ratio is printed.
 *
 * PostgreSQL: BENCH_POSTGRES_URL (an admin URL), else postgres://postgres@127.0.0.1:5432/postgres when it answers;
 * a fresh database is created next to it for the run and dropped after. Without one this bench reports nothing.
 */
import type { Request } from 'autocannon';
import { comparePair } from './lib/load.js';
import { freshDatabase, postgresAdminUrl } from './lib/postgres.js';
import { startRampart, type RunningRampart } from './lib/rampart.js';
import { seedWrites, type Seeded } from './lib/seed.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const TARGET = 0.8;
/** A few writers at once, as an operator's scripts or the console make them; not the 50 of the read benches. */
const CONNECTIONS = Number(process.env.BENCH_PG_WRITES_CONNECTIONS ?? 8);
const PATCHED_USERS = 20;


export const bench: Bench = async (ctx) => {
  const adminUrl = await postgresAdminUrl(ctx);
  if (!adminUrl) return [];
  return ctx.scoped(async (scope) => {
    scope.log('PostgreSQL writes beside SQLite: starting a Rampart on each');
    const sqlite = await startRampart(scope, { insecureHttp: true, logLevel: scope.settings.rampartLogLevel, readyPath: '/api/v1/health' });
    const config = `[database]\nurl = "${await freshDatabase(scope, adminUrl)}"\n`;
    const postgres = await startRampart(scope, { insecureHttp: true, logLevel: scope.settings.rampartLogLevel, readyPath: '/api/v1/health', config });
    const seeded = new Map([
      [sqlite, await seedWrites(sqlite, { users: PATCHED_USERS, prefix: 'patched' })],
      [postgres, await seedWrites(postgres, { users: PATCHED_USERS, prefix: 'patched' })],
    ]);
    let n = 0;
    const certificateCreate = (s: Seeded) => ({ method: 'POST', path: '/api/certificates/create', body: { network_id: s.networkId, name: `bench-node-${n++}` } });
    const userPatch = (s: Seeded) => ({ method: 'PATCH', path: `/api/v1/users/${s.userIds[n % PATCHED_USERS]}`, body: { display_name: `patched ${n++}` } });
    return [
      await compare(scope, 'POST /api/certificates/create', sqlite, postgres, seeded, certificateCreate, true),
      await compare(scope, 'PATCH /api/v1/users/:id', sqlite, postgres, seeded, userPatch, false),
    ];
  });
};

async function compare(
  ctx: BenchContext,
  name: string,
  sqlite: RunningRampart,
  postgres: RunningRampart,
  seeded: Map<RunningRampart, Seeded>,
  pick: (s: Seeded) => { method: string; path: string; body: unknown },
  headline: boolean,
): Promise<BenchmarkResult> {
  ctx.log(`${name} at ${CONNECTIONS} connections: PostgreSQL vs SQLite`);
  // autocannon runs one origin at a time, so each target's request finds its own seeded ids by origin.
  const requestFor = (rampart: RunningRampart): Request => {
    const s = seeded.get(rampart)!;
    return {
      setupRequest: () => {
        const { method, path, body } = pick(s);
        return { method, path, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      },
    } as Request;
  };
  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'rampart on SQLite', url: sqlite.origin, pid: sqlite.child.pid, metricsUrl: sqlite.metricsUrl },
      rampart: { server: 'rampart on PostgreSQL', url: postgres.origin, pid: postgres.child.pid, metricsUrl: postgres.metricsUrl },
    },
    { connections: CONNECTIONS, requestsFor: (target) => [requestFor(target.url === sqlite.origin ? sqlite : postgres)] },
  );
  for (const side of [pair.baseline, pair.rampart]) {
    if (side.non2xx > 0 || side.errors > 0) throw new Error(`${side.server}: ${side.non2xx} non-2xx, ${side.errors} errors for ${name}: ${JSON.stringify(side.status_codes)}`);
  }
  ctx.log(`  => PostgreSQL ${pair.rampart.requests_per_s} req/s vs SQLite ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio}`);
  return {
    name: `${name}, PostgreSQL vs SQLite, ${CONNECTIONS} connections`,
    unit: 'requests/s',
    headline,
    rampart: pair.rampart,
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    ...(headline ? { target: TARGET, meets_target: pair.ratio >= TARGET } : { target_note: `printed beside the certificate target of ${TARGET}` }),
  };
}
