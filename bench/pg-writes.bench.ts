/**
 * Write rates on PostgreSQL beside SQLite, in the same run: overlay certificate creation
 * (POST /api/certificates/create: IP allocation, a keypair, a signed certificate, the node row, its audit row) and
 * user PATCH (PATCH /api/v1/users/:id). Both Rampart processes run at once, loaded in turn (ABBA); the SQLite one is
 * the baseline. Target: PostgreSQL at least 0.8 of SQLite's certificate creation rate; the PATCH ratio is printed.
 *
 * PostgreSQL: BENCH_POSTGRES_URL (an admin URL), else postgres://postgres@127.0.0.1:5432/postgres when it answers;
 * a fresh database is created next to it for the run and dropped after. Without one this bench reports nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from 'autocannon';
import { comparePair } from './lib/load.js';
import { freshDatabase, postgresAdminUrl } from './lib/postgres.js';
import { startRampart, type RunningRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const TARGET = 0.8;
/** A few writers at once, as an operator's scripts or the console make them; not the 50 of the read benches. */
const CONNECTIONS = Number(process.env.BENCH_PG_WRITES_CONNECTIONS ?? 8);
const PATCHED_USERS = 20;

interface Seeded {
  token: string;
  networkId: string;
  userIds: string[];
}

export const bench: Bench = async (ctx) => {
  const adminUrl = await postgresAdminUrl(ctx);
  if (!adminUrl) return [];
  return ctx.scoped(async (scope) => {
    scope.log('PostgreSQL writes beside SQLite: starting a Rampart on each');
    const sqlite = await startRampart(scope, { insecureHttp: true, logLevel: scope.settings.rampartLogLevel, readyPath: '/api/v1/health' });
    const config = `[database]\nurl = "${await freshDatabase(scope, adminUrl)}"\n`;
    const postgres = await startRampart(scope, { insecureHttp: true, logLevel: scope.settings.rampartLogLevel, readyPath: '/api/v1/health', config });
    const seeded = new Map([
      [sqlite, await seed(sqlite)],
      [postgres, await seed(postgres)],
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

/** Logs in as the first admin, makes a network with its lighthouse, and users to patch. */
async function seed(rampart: RunningRampart): Promise<Seeded> {
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(rampart.origin + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  const { access_token: token } = await call('POST', '/api/v1/auth/login', { username: 'admin', password });
  const network = await call('POST', '/api/networks', { name: 'writes', subnet_cidr: '10.128.0.0/12' }, token);
  await call('POST', '/api/certificates/create', { network_id: network.id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' }, token);
  const userIds: string[] = [];
  for (let i = 0; i < PATCHED_USERS; i++) {
    userIds.push((await call('POST', '/api/v1/users', { username: `patched-${i}`, email: `patched-${i}@example.com`, password: `patched-${i}-correct-horse` }, token)).id);
  }
  return { token, networkId: network.id, userIds };
}
