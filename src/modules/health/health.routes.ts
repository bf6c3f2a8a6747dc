import { z } from 'zod';
import { defineRoute, type HttpModule } from '../../http/route.js';
import { versionInfo } from '../../version.js';
import type { HealthService } from './health.service.js';

const statusOk = z.object({ status: z.literal('ok') });
/** Neuwerk's ReadyStatus ({ready, checks}) beside the fields Rampart answered before. */
const readiness = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().nullable() })),
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'unreachable']),
  pending_migrations: z.number().int(),
});

/** Liveness, readiness and version probes of every surface, each in the exact shape its spec gives. */
export function healthRoutes(health: HealthService): HttpModule {
  const readinessBody = async (reply: { status(code: number): void }) => {
    const r = await health.detailedReadiness();
    if (!r.ready) reply.status(503);
    return { ready: r.ready, checks: r.checks, status: r.ready ? 'ready' : 'not_ready', database: r.database, pending_migrations: r.pending_migrations };
  };

  return {
    name: 'health',
    routes: [
      // egress (Neuwerk)
      defineRoute({
        method: 'GET', path: '/health', surface: 'egress', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Liveness check', schema: { response: statusOk },
        handler: () => ({ status: 'ok' }),
      }),
      defineRoute({
        method: 'GET', path: '/ready', surface: 'egress', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Readiness check: {ready, checks[{name, ok, detail}]} (database, migrations, and the egress data plane and DNS proxy while they run); 200, or 503 when any check fails',
        schema: { response: readiness, responses: { 503: { description: 'not ready', schema: readiness } } },
        handler: ({ reply }) => readinessBody(reply),
      }),
      // access (ZTNA control plane)
      defineRoute({
        method: 'GET', path: '/healthz', surface: 'access', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Liveness probe', schema: { response: statusOk },
        handler: () => ({ status: 'ok' }),
      }),
      defineRoute({
        method: 'GET', path: '/readyz', surface: 'access', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Readiness probe (verifies database connectivity)',
        schema: {
          response: z.object({ status: z.literal('ready') }),
          responses: { 503: { description: 'not ready', schema: z.object({ status: z.literal('not_ready'), detail: z.string() }) } },
        },
        handler: async ({ reply }) => {
          const r = await health.readiness();
          if (r.ready) return { status: 'ready' };
          reply.status(503);
          const detail = r.database === 'unreachable' ? 'database unreachable' : `${r.pending_migrations} migration(s) pending`;
          return { status: 'not_ready', detail };
        },
      }),
      // overlay (Nebula Commander)
      defineRoute({
        method: 'GET', path: '/api', surface: 'overlay', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Root response: name, version, status',
        schema: { response: z.object({ name: z.string(), version: z.string(), status: z.string() }) },
        handler: () => ({ name: 'Rampart', version: versionInfo.rampart, status: 'running' }),
      }),
      defineRoute({
        method: 'GET', path: '/api/health', surface: 'overlay', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Health check', schema: { response: z.object({ status: z.literal('healthy') }) },
        handler: () => ({ status: 'healthy' }),
      }),
      // fleet (OpenWatch); shared by every /api/v1 surface
      defineRoute({
        method: 'GET', path: '/api/v1/health', surface: 'fleet', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: 'Service health: healthy or degraded; 503 when the service cannot serve',
        schema: {
          response: z.object({ status: z.enum(['healthy', 'degraded']), db_connected: z.boolean(), version: z.string() }),
          responses: { 503: { description: 'cannot serve' } },
        },
        handler: async ({ reply }) => {
          const dbConnected = await health.dbConnected();
          if (!dbConnected) reply.status(503);
          return { status: dbConnected ? 'healthy' : 'degraded', db_connected: dbConnected, version: versionInfo.rampart };
        },
      }),
      defineRoute({
        method: 'GET', path: '/api/v1/version', surface: 'fleet', permission: 'public', tags: ['health'], accessLog: 'debug',
        summary: "Build metadata: OpenWatch's keys (openwatch, kensa, go, commit, build_time) carrying Rampart's values, and Rampart's own",
        description: "openwatch is Rampart's version, kensa the version of Rampart's built-in compliance engine (the same), go the runtime (Node.js).",
        schema: {
          response: z.object({
            openwatch: z.string(), kensa: z.string(), go: z.string(),
            rampart: z.string(), node: z.string(), commit: z.string(), build_time: z.string(),
          }),
        },
        handler: () => ({ openwatch: versionInfo.rampart, kensa: versionInfo.rampart, go: `node ${versionInfo.node}`, ...versionInfo }),
      }),
    ],
  };
}
