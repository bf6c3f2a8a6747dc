import { z } from 'zod';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { configSchemas, connectivityConfig, discoveryConfig, intelligenceConfig, scanVariables, type ConfigSection } from '../config/system-config.js';

const tags = ['fleet system'];
const surface = 'fleet' as const;

/** What a PUT may carry: any subset of the section's fields (the rest keep their values). */
const looseInt = z.number().int();
const bodies: Record<ConfigSection, z.ZodType> = {
  connectivity: connectivityConfig.partial(),
  intelligence: intelligenceConfig.partial(),
  discovery: discoveryConfig.partial(),
  scan: z
    .object({
      enabled: z.boolean(),
      unknown_mins: looseInt,
      critical_mins: looseInt,
      non_compliant_mins: looseInt,
      partial_mins: looseInt,
      mostly_compliant_mins: looseInt,
      compliant_mins: looseInt,
      rate_limit: looseInt,
      maintenance_global: z.boolean(),
    })
    .partial(),
  compliance: z.object({ default_framework: z.string().max(64), enabled_frameworks: z.array(z.string().max(64)).max(32) }).partial(),
};

const bounds: Record<ConfigSection, string> = {
  connectivity: 'band intervals 60-86400 s, timeout_sec 1-30, unreachable_threshold 1-10, rate_limit 1-200',
  intelligence: 'interval_sec 300-86400, rate_limit 1-200',
  discovery: 'interval_sec 3600-604800, rate_limit 1-500',
  scan: 'intervals are clamped to 5-2880 minutes and rate_limit to 1-100 instead of being rejected',
  compliance: 'at most 32 enabled_frameworks; default_framework "" (all rules) or one of them',
};

/** /api/v1/system/...: the fleet's system configs, connectivity status, scan variables and discovery sweep. */
export function configRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { config, liveness, core, hosts } = fleet;

  const sectionRoutes = (Object.keys(configSchemas) as ConfigSection[]).flatMap((section) => {
    const schema = configSchemas[section];
    const path = `/api/v1/system/${section}/config`;
    return [
      defineRoute({
        method: 'GET', path, surface, permission: 'system:read', tags,
        summary: `The ${section} config and its defaults`,
        schema: { response: z.object({ config: schema, defaults: schema }) },
        handler: async () => ({ config: await config.get(section), defaults: config.defaults(section) }),
      }),
      defineRoute({
        method: 'PUT', path, surface, permission: 'system:config_write', tags, audit: 'system.config.updated',
        summary: `Replace the ${section} config (fields left out keep their values); ${bounds[section]}`,
        schema: { body: bodies[section], response: schema },
        handler: async (ctx) => {
          const stored = await config.put(section, ctx.body as Record<string, unknown>, principalOf(ctx).id);
          ctx.auditResource('system_config', section, { section, config: stored });
          return stored;
        },
      }),
    ];
  });

  return [
    ...sectionRoutes,
    defineRoute({
      method: 'GET', path: '/api/v1/system/connectivity/status', surface, permission: 'system:read', tags,
      summary: 'What the liveness prober has done: probes, successes, failures and state transitions recorded',
      schema: {
        response: z.object({
          last_probe_at: z.string().nullable(),
          probe_count: z.number().int(),
          probe_success_count: z.number().int(),
          probe_failure_count: z.number().int(),
          state_transition_count: z.number().int(),
          maintenance_active: z.boolean(),
        }),
      },
      handler: async () => ({ ...(await liveness.store.historyStats()), maintenance_active: (await config.get('connectivity')).maintenance_global }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/system/scan/variables', surface, permission: 'system:read', tags,
      summary: 'Site variables rules read as {{ name }}',
      schema: { response: z.object({ variables: z.record(z.string(), z.string()) }) },
      handler: async () => ({ variables: await config.variables() }),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/system/scan/variables', surface, permission: 'system:config_write', tags, audit: 'system.scan_variables.updated',
      summary: 'Replace the site variables (names lower-case letters, digits and "_"; values up to 1024 characters; at most 256)',
      schema: { body: z.object({ variables: scanVariables }), response: z.object({ variables: z.record(z.string(), z.string()) }) },
      handler: async (ctx) => {
        const variables = await config.putVariables(ctx.body.variables, principalOf(ctx).id);
        ctx.auditResource('system_config', 'scan_variables', { names: Object.keys(variables) });
        return { variables };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/system/scan/schedule-preview', surface, permission: 'system:read', tags,
      summary: 'How often hosts are rescanned in each compliance band, from the scan config',
      schema: {
        response: z.object({
          enabled: z.boolean(),
          maintenance_global: z.boolean(),
          rate_limit: z.number().int(),
          bands: z.array(z.object({ band: z.string(), interval_mins: z.number().int(), score_range: z.string() })),
        }),
      },
      handler: async () => {
        const scan = await config.get('scan');
        return {
          enabled: scan.enabled,
          maintenance_global: scan.maintenance_global,
          rate_limit: scan.rate_limit,
          bands: [
            { band: 'unknown', interval_mins: scan.unknown_mins, score_range: 'never scanned' },
            { band: 'critical', interval_mins: scan.critical_mins, score_range: '< 20' },
            { band: 'non_compliant', interval_mins: scan.non_compliant_mins, score_range: '20-49' },
            { band: 'partial', interval_mins: scan.partial_mins, score_range: '50-69' },
            { band: 'mostly_compliant', interval_mins: scan.mostly_compliant_mins, score_range: '70-89' },
            { band: 'compliant', interval_mins: scan.compliant_mins, score_range: '>= 90' },
          ],
        };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/system/discovery/sweep', surface, permission: 'system:config_write', tags,
      audit: 'system.discovery.sweep', idempotency: 'required', status: 202,
      summary: 'Queue discovery of every host not in maintenance (job fleet.discovery); needs an Idempotency-Key',
      schema: { response: z.object({ enqueued: z.number().int() }) },
      handler: async (ctx) => {
        const discovery = await config.get('discovery');
        if (discovery.maintenance_global) return { enqueued: 0 };
        const targets = (await hosts.list()).filter((h) => !h.maintenance_mode);
        for (const host of targets) await core.jobs.queue.enqueue('fleet.discovery', { host_id: host.id });
        ctx.auditResource('system', 'discovery', { enqueued: targets.length });
        return { enqueued: targets.length };
      },
    }),
  ];
}
