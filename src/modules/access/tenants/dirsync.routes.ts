import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { callerTenant } from '../common/tenant-scope.js';
import { DIRSYNC_SOURCES } from './dirsync.service.js';

const tags = ['access directory sync'];
const surface = 'access' as const;
const MAX_USERS = 10_000;

const snapshotBody = z.object({
  source: z.enum(DIRSYNC_SOURCES),
  full: z.boolean().default(false),
  users: z.array(z.object({
    external_id: z.string().min(1).max(256),
    email: z.string().email().max(320).nullish(),
    username: z.string().min(1).max(64).nullish(),
    name: z.string().max(256).nullish(),
    active: z.boolean().optional(),
  })).max(MAX_USERS),
  groups: z.array(z.object({ external_id: z.string().min(1).max(256), name: z.string().trim().min(1).max(128), member_ids: z.array(z.string().max(256)).max(MAX_USERS).optional() })).max(5_000).optional(),
});
const counts = z.object({
  created: z.number(), updated: z.number(), suspended: z.number(), reactivated: z.number(), unchanged: z.number(), devices_revoked: z.number(),
  groups_created: z.number(), groups_updated: z.number(),
});
const runView = z.object({
  id: z.string(), tenant_id: z.string(), source: z.string(), full: z.boolean(), trigger: z.string(), started_at: z.string(), finished_at: z.string().nullable(),
  result: z.enum(['running', 'success', 'failure']), counts, errors: z.array(z.string()), created_at: z.string(),
});
const keycloakView = z.object({
  base_url: z.string(), realm: z.string(), client_id: z.string(), client_secret_configured: z.boolean(), ca_pem: z.string().nullable(), full: z.boolean(),
  interval_minutes: z.number(), next_run_at: z.string().nullable(), updated_at: z.string(),
});
const keycloakBody = z.object({
  base_url: z.string().url().max(2048).refine((u) => u.startsWith('https://'), 'base_url must be https').optional(),
  realm: z.string().min(1).max(255).optional(),
  client_id: z.string().min(1).max(255).optional(),
  client_secret: z.string().min(1).max(1024).optional().describe('write-only: stored sealed, never shown'),
  ca_pem: z.string().max(65_536).refine((p) => p.includes('-----BEGIN CERTIFICATE-----'), 'ca_pem must be PEM certificates').nullable().optional(),
  full: z.boolean().optional(),
  interval_minutes: z.number().int().min(0).max(7 * 24 * 60).optional().describe('0: no schedule'),
}).default({});

/** /v1/admin/directory-sync: snapshots from any directory, a Keycloak pull, and what the last runs did. */
export function dirsyncRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { dirsync, keycloak } = access.tenants;
  const tenant = (ctx: Parameters<typeof callerTenant>[1]) => callerTenant(access.hooks, ctx);
  return [
    defineRoute({
      method: 'POST', path: '/v1/admin/directory-sync/snapshot', surface, tags, permission: 'access_dirsync:write', audit: 'access.dirsync.snapshot',
      summary: 'Apply a directory snapshot: users and groups upserted; a full one suspends users it no longer lists and revokes their devices',
      schema: { body: snapshotBody, response: runView },
      handler: async (ctx) => {
        const run = await dirsync.apply(await tenant(ctx), ctx.body, 'api');
        ctx.auditResource('access_dirsync_run', run.id, { source: run.source, full: run.full, counts: run.counts });
        return run;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/directory-sync/status', surface, tags, permission: 'access_dirsync:read',
      summary: 'The last directory sync runs (newest first) and the Keycloak settings and schedule (no secret)',
      schema: { response: z.object({ tenant_id: z.string(), last_run: runView.nullable(), runs: z.array(runView), keycloak: keycloakView.nullable() }) },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        const runs = await dirsync.runs(t);
        return { tenant_id: t, last_run: runs[0] ?? null, runs, keycloak: await keycloak.settings(t) };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/directory-sync/keycloak/run', surface, tags, permission: 'access_dirsync:write',
      summary: "Pull users and groups from Keycloak's admin REST API and apply them (settings given here are saved first; client_secret is write-only); 502 when Keycloak fails",
      schema: { body: keycloakBody, response: runView },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        if (Object.keys(ctx.body).length) {
          const saved = await access.core.db.transaction(() => keycloak.save(t, ctx.body));
          await ctx.recordAudit({ action: 'access.dirsync.keycloak.settings', resource: { type: 'access_dirsync_keycloak', id: t }, result: 'success', details: { base_url: saved.base_url, realm: saved.realm, client_id: saved.client_id, interval_minutes: saved.interval_minutes, client_secret_changed: ctx.body.client_secret !== undefined } });
        }
        try {
          const run = await keycloak.run(t, 'api');
          await ctx.recordAudit({ action: 'access.dirsync.keycloak.run', resource: { type: 'access_dirsync_run', id: run.id }, result: 'success', details: { counts: run.counts } });
          return run;
        } catch (err) {
          await ctx.recordAudit({ action: 'access.dirsync.keycloak.run', resource: { type: 'access_dirsync_keycloak', id: t }, result: 'failure', details: { error: (err as Error).message.slice(0, 300) } });
          throw err;
        }
      },
    }),
  ];
}
