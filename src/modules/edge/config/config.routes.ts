import { z } from 'zod';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition, type RequestAuditEvent } from '../../../http/route.js';
import { errors, isRampartError } from '../../../core/errors.js';
import { CONFIRM_TIMEOUT_DEFAULT, CONFIRM_TIMEOUT_MAX, CONFIRM_TIMEOUT_MIN } from './commit-confirm.js';
import type { EdgeConfig } from './config.service.js';
import { RETENTION_MAX, RETENTION_MIN } from './versions.js';

const tags = ['config'];
const READ = 'backup:read';
const WRITE = 'backup:write';
/** config.xml files are 50-500 KiB; the request body limit (2 MiB) bounds them first. */
const XML_MAX = 2 * 1024 * 1024;

const versionNumber = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ifaceName = z.string().min(1).max(64);
const interfaceMap = z.record(ifaceName, ifaceName.nullable()).default({});
const opnInterfaceMap = z.record(ifaceName, z.string().max(64)).default({});
/** A configuration document: checked section by section by the service (validateSnapshot). */
const configDoc = z.record(z.string().max(64), z.unknown());
const message = z.object({ message: z.string() });
/** A file as config/export writes it, plus interface_map: import and import-preview take it as it is. */
const exportFile = z.object({
  config: configDoc, interface_map: interfaceMap, static_routes: z.array(z.unknown()).optional(),
  version: z.string().max(64).optional(), exported_at: z.string().max(64).optional(),
});
const data = <T extends z.ZodType>(schema: T) => z.object({ data: schema });

const versionView = z.object({
  version: z.number(), hash: z.string(), applied: z.boolean(), applied_at: z.string().nullable(), rolled_back: z.boolean(),
  created_by: z.string(), created_at: z.string(), comment: z.string().nullable(), resource_count: z.number(),
});
const countDiff = z.object({ added: z.number(), removed: z.number(), changed: z.number(), v1_count: z.number(), v2_count: z.number() });
const previewSchema = z.object({
  interfaces_found: z.array(z.string()), interfaces_missing: z.array(z.string()),
  interfaces_present: z.array(z.object({ name: z.string(), mac: z.string().nullable(), ipv4: z.string().nullable(), ipv6: z.string().nullable(), ipv4_mode: z.string().nullable(), status: z.string() })),
  suggestions: z.record(z.string(), z.string()), drop_summary_if_unmapped: z.record(z.string(), z.union([z.number(), z.boolean()])),
  secrets: z.object({ state: z.string() }), unresolved_secrets: z.array(z.string()),
});
const confirmStatus = z.object({ active: z.boolean(), expires_at: z.string(), seconds_remaining: z.number(), description: z.string(), status: z.string(), outcome: z.string().nullable() });
const retention = z.object({ max_versions: z.number(), current_count: z.number() });
const s3View = z.object({
  enabled: z.boolean(), bucket: z.string(), region: z.string(), endpoint: z.string().nullable(), prefix: z.string(), path_style: z.boolean(),
  access_key_id: z.string().nullable(), has_secret: z.boolean(),
});
const s3Input = z.object({
  enabled: z.boolean(), bucket: z.string().max(63), region: z.string().max(64).optional(),
  endpoint: z.string().url().max(2048).refine((u) => /^https?:\/\//.test(u), 'endpoint must be an http(s) URL').nullish(),
  prefix: z.string().max(512).optional(), path_style: z.boolean().optional(), access_key_id: z.string().max(256).nullish(),
  secret_access_key: z.string().max(512).nullish(),
});
const s3Test = z.object({ ok: z.boolean(), message: z.string(), write: z.boolean(), read: z.boolean(), delete: z.boolean() });
const opnPreview = z.object({ valid: z.boolean(), kind: z.string(), version: z.string().nullable() }).passthrough();

/**
 * Runs a route's work outside a transaction (it imports, applies to the host or calls S3, and must commit or roll
 * back by itself) and records its audit row, success or failure, with the request's client and correlation id.
 */
async function audited<T>(ctx: RouteContext<any>, event: Omit<RequestAuditEvent, 'result'>, work: () => Promise<T>, details?: (out: T) => Record<string, unknown>): Promise<T> {
  try {
    const out = await work();
    await ctx.recordAudit({ ...event, result: 'success', details: { ...event.details, ...details?.(out) } });
    return out;
  } catch (err) {
    const status = isRampartError(err) ? err.status : 500;
    await ctx.recordAudit({ ...event, result: 'failure', details: { ...event.details, status, error: err instanceof Error ? err.message.slice(0, 300) : String(err) } });
    throw err;
  }
}

/** AiFw's config/* and backup/s3/* (aifw-api backup.rs, config_io.rs, opnsense/, backup_s3.rs): backup:read and backup:write. */
export function configRoutes(config: EdgeConfig): RouteDefinition<any>[] {
  const { versions, commitConfirm, s3 } = config;
  const who = (ctx: RouteContext<any>) => principalOf(ctx).name;

  return [
    // ---- history, versions, diff, check
    defineRoute({
      method: 'GET', path: '/api/v1/config/history', surface: 'edge', permission: READ, tags,
      summary: 'Configuration versions, newest first (limit, default 50)',
      schema: { query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(50) }), response: data(z.array(versionView)) },
      handler: async (ctx) => ({ data: await versions.history(ctx.query.limit) }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/version', surface: 'edge', permission: READ, tags,
      summary: 'One version\'s configuration (schema_version and every section), unwrapped',
      schema: { query: z.object({ version: versionNumber }), response: configDoc },
      handler: (ctx) => versions.get(ctx.query.version),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/diff', surface: 'edge', permission: READ, tags,
      summary: 'Compare two versions: counts per section (rules_diff, nat_diff, sections) and both documents',
      schema: {
        query: z.object({ v1: versionNumber, v2: versionNumber }),
        response: data(z.object({
          v1: z.number(), v2: z.number(), v1_hash: z.string(), v2_hash: z.string(), rules_diff: countDiff, nat_diff: countDiff,
          sections: z.record(z.string(), countDiff), total_v1: z.number(), total_v2: z.number(), identical: z.boolean(), v1_json: configDoc, v2_json: configDoc,
        })),
      },
      handler: async (ctx) => ({ data: await versions.diff(ctx.query.v1, ctx.query.v2) }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/check', surface: 'edge', permission: READ, tags,
      summary: 'Validate the running configuration: errors, warnings, info',
      schema: { response: data(z.object({ valid: z.boolean(), errors: z.array(z.string()), warnings: z.array(z.string()), info: z.array(z.string()) })) },
      handler: async () => ({ data: await config.check() }),
    }),

    // ---- export, import
    defineRoute({
      method: 'GET', path: '/api/v1/config/export', surface: 'edge', permission: READ, tags,
      summary: 'Export the configuration as JSON: {version, exported_at, config, static_routes}',
      schema: { response: z.object({ version: z.string(), exported_at: z.string(), config: configDoc, static_routes: z.array(z.unknown()) }) },
      handler: async () => {
        const snapshot = await versions.snapshot();
        const { versionInfo } = await import('../../../version.js');
        return {
          version: versionInfo.rampart, exported_at: new Date().toISOString(), config: snapshot,
          static_routes: Array.isArray(snapshot.static_routes) ? snapshot.static_routes : [],
        };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/import', surface: 'edge', permission: WRITE, tags,
      summary: 'Import an exported configuration: every section in the file replaced (all or nothing) and applied',
      description: 'Sections absent from the file are left as they are; AiFw sections this box has no part for yet (system, vpn ...) are reported, not imported.',
      schema: { body: exportFile, response: message },
      handler: (ctx) => audited(ctx, { action: 'edge.config.import', resource: { type: 'config' } },
        async () => {
          const { message: text } = await config.importConfig(ctx.body.config, ctx.body.interface_map, ctx.body.static_routes, who(ctx));
          return { message: text };
        }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/import-preview', surface: 'edge', permission: READ, tags,
      summary: 'Dry-run an import: interfaces the file names, those this box lacks, suggestions, what would be dropped',
      schema: { body: exportFile, response: previewSchema },
      handler: async (ctx) => config.preview(versions.validate(ctx.body.config).snapshot, ctx.body.interface_map),
    }),

    // ---- save, restore, retention
    defineRoute({
      method: 'POST', path: '/api/v1/config/save', surface: 'edge', permission: WRITE, tags, audit: 'edge.config.save',
      summary: 'Save the current configuration as a version (marked applied)',
      schema: { body: z.object({ comment: z.string().max(1024).nullish() }).optional(), response: message },
      handler: async (ctx) => {
        const version = await versions.save(await versions.snapshot(), { createdBy: who(ctx), comment: ctx.body?.comment ?? null, applied: true });
        ctx.auditResource('config_version', String(version));
        return { message: `Config saved as version ${version}` };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/restore', surface: 'edge', permission: WRITE, tags,
      summary: 'Restore a version: every section replaced (all or nothing), applied, the version marked applied',
      schema: { body: z.object({ version: versionNumber, interface_map: interfaceMap }), response: message },
      handler: (ctx) => audited(ctx, { action: 'edge.config.restore', resource: { type: 'config_version', id: String(ctx.body.version) } },
        async () => {
          await versions.restore(ctx.body.version, ctx.body.interface_map);
          return { message: `Restored to version ${ctx.body.version}` };
        }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/restore-preview', surface: 'edge', permission: READ, tags,
      summary: 'Preview restoring a version: interfaces it names that this box lacks, suggestions, what would be dropped',
      schema: { query: z.object({ version: versionNumber }), response: previewSchema },
      handler: async (ctx) => config.preview(await versions.get(ctx.query.version)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/restore-preview', surface: 'edge', permission: READ, tags,
      summary: 'Preview restoring a version with an interface map (the spec\'s verb)',
      schema: { body: z.object({ version: versionNumber, interface_map: interfaceMap }), response: previewSchema },
      handler: async (ctx) => config.preview(await versions.get(ctx.body.version), ctx.body.interface_map),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/retention', surface: 'edge', permission: READ, tags,
      summary: 'How many versions are kept (default 200) and how many there are',
      schema: { response: retention },
      handler: async () => ({ max_versions: await versions.retentionLimit(), current_count: await versions.count() }),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/config/retention', surface: 'edge', permission: WRITE, tags, audit: 'edge.config.retention',
      summary: `Set how many versions are kept (${RETENTION_MIN}..${RETENTION_MAX}); older ones are pruned now, never the applied one`,
      schema: { body: z.object({ max_versions: z.number().int().min(RETENTION_MIN).max(RETENTION_MAX) }), response: retention },
      handler: async (ctx) => {
        await versions.setRetention(ctx.body.max_versions);
        return { max_versions: await versions.retentionLimit(), current_count: await versions.count() };
      },
    }),

    // ---- commit-confirm
    defineRoute({
      method: 'POST', path: '/api/v1/config/commit-confirm', surface: 'edge', permission: WRITE, tags, audit: 'edge.config.commit_confirm.arm',
      summary: `Open a commit-confirm window: the configuration now is restored and applied unless confirmed within timeout_secs (${CONFIRM_TIMEOUT_DEFAULT}; ${CONFIRM_TIMEOUT_MIN}..${CONFIRM_TIMEOUT_MAX})`,
      description: 'The window is stored: it survives a restart (an expired one reverts on start) and any node of a cluster reverts it, once. 409 while one is open.',
      schema: {
        body: z.object({
          timeout_secs: z.number().int().min(CONFIRM_TIMEOUT_MIN).max(CONFIRM_TIMEOUT_MAX).default(CONFIRM_TIMEOUT_DEFAULT),
          description: z.string().max(512).default('Config change'),
        }).optional(),
        response: message,
        responses: { 409: { description: 'a window is already open' } },
      },
      handler: async (ctx) => {
        const timeoutSecs = ctx.body?.timeout_secs ?? CONFIRM_TIMEOUT_DEFAULT;
        const description = ctx.body?.description ?? 'Config change';
        const { expiresAt } = await commitConfirm.arm({ timeoutSecs, description, armedBy: who(ctx) });
        ctx.auditResource('commit_confirm', null, { timeout_secs: timeoutSecs, description, expires_at: expiresAt });
        return {
          message: `Commit confirm started. You have ${timeoutSecs} seconds to confirm. If you do not log in and confirm, the configuration will automatically revert.`,
        };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/commit-confirm/confirm', surface: 'edge', permission: WRITE, tags, audit: 'edge.config.commit_confirm.confirm',
      summary: 'Confirm the configuration: the open window closes and nothing reverts',
      schema: { response: message },
      handler: async (ctx) => {
        const confirmed = await commitConfirm.confirm();
        ctx.auditResource('commit_confirm', null, { confirmed });
        return { message: confirmed ? 'Configuration confirmed and accepted permanently.' : 'No pending commit confirm to accept.' };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/config/commit-confirm/status', surface: 'edge', permission: READ, tags,
      summary: 'The commit-confirm window: active, expires_at, seconds_remaining, description (unwrapped); status and outcome of the last one',
      schema: { response: confirmStatus },
      handler: () => commitConfirm.status(),
    }),

    // ---- OPNsense
    defineRoute({
      method: 'POST', path: '/api/v1/config/preview-opnsense', surface: 'edge', permission: READ, tags,
      summary: 'Analyse an OPNsense/pfSense config.xml: counts, the dry-run plan item by item, what cannot be translated',
      schema: { body: z.object({ xml: z.string().min(1).max(XML_MAX), interface_map: opnInterfaceMap }), response: opnPreview },
      handler: (ctx) => config.previewOpnsense(ctx.body.xml, ctx.body.interface_map),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/config/import-opnsense', surface: 'edge', permission: WRITE, tags,
      summary: 'Import an OPNsense/pfSense config.xml: aliases, rules, NAT, routes, VLANs, interfaces added (all or nothing) and applied',
      description: 'A pre-import version is saved first; unless commit_confirm is false a 600 s commit-confirm window reverts the import if not confirmed. 409 while another window is open.',
      schema: {
        body: z.object({
          xml: z.string().min(1).max(XML_MAX), interface_map: opnInterfaceMap, commit_confirm: z.boolean().default(true), import_system_settings: z.boolean().default(false),
        }),
        response: z.object({
          message: z.string(), applied: z.record(z.string(), z.union([z.number(), z.boolean()])), skipped: z.array(z.string()),
          pre_import_version: z.number().nullable(), commit_confirm_started: z.boolean(),
        }),
      },
      handler: (ctx) => audited(ctx, { action: 'edge.config.import_opnsense', resource: { type: 'config' } },
        () => config.importOpnsense({
          xml: ctx.body.xml, interfaceMap: ctx.body.interface_map, commitConfirm: ctx.body.commit_confirm,
          importSystemSettings: ctx.body.import_system_settings, actor: who(ctx),
        }),
        (out) => ({ applied: out.applied, skipped: out.skipped.length, pre_import_version: out.pre_import_version, commit_confirm_started: out.commit_confirm_started })),
    }),

    // ---- S3 backups
    defineRoute({
      method: 'GET', path: '/api/v1/backup/s3/config', surface: 'edge', permission: READ, tags,
      summary: 'The S3 backup destination (the secret key is never answered: has_secret)',
      schema: { response: s3View },
      handler: () => s3.get(),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/backup/s3/config', surface: 'edge', permission: WRITE, tags, audit: 'edge.backup.s3.config',
      summary: 'Set the S3 backup destination; secret_access_key absent keeps the stored one, "" clears it',
      schema: { body: s3Input, response: s3View },
      handler: async (ctx) => {
        const out = await s3.put(ctx.body);
        ctx.auditResource('s3_backup', 's3', { enabled: out.enabled, bucket: out.bucket, endpoint: out.endpoint, secret_changed: ctx.body.secret_access_key != null });
        return out;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/backup/s3/test', surface: 'edge', permission: WRITE, tags,
      summary: 'Test the destination (the stored one, or a draft in the body): write, read back and delete an object',
      schema: { body: s3Input.nullable().optional(), response: s3Test },
      handler: (ctx) => audited(ctx, { action: 'edge.backup.s3.test', resource: { type: 's3_backup', id: 's3' } }, () => s3.test(ctx.body), (out) => ({ ok: out.ok })),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/backup/s3/list', surface: 'edge', permission: READ, tags,
      summary: 'This box\'s archived versions in the bucket, newest first (max, default 500, at most 5000)',
      schema: {
        query: z.object({ max: z.coerce.number().int().min(1).max(5000).default(500) }),
        response: z.array(z.object({ key: z.string(), size: z.number(), last_modified: z.string().nullable() })),
        responses: { 502: { description: 'the S3 store failed' } },
      },
      handler: (ctx) => s3.list(ctx.query.max),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/backup/s3/import', surface: 'edge', permission: WRITE, tags,
      summary: 'Fetch an archived version from S3 and save it as a new local version (not applied: restore it with config/restore)',
      schema: {
        body: z.object({ key: z.string().min(1).max(1024), comment: z.string().max(1024).nullish() }),
        response: z.object({ version: z.number(), message: z.string() }),
        responses: { 502: { description: 'the S3 store failed' } },
      },
      handler: (ctx) => audited(ctx, { action: 'edge.backup.s3.import', resource: { type: 's3_object', id: ctx.body.key } }, async () => {
        const { bucket, value } = await s3.fetch(ctx.body.key);
        const doc = value && typeof value === 'object' && 'config' in (value as object) ? (value as { config: unknown }).config : value;
        const { snapshot } = versions.validate(doc);
        const version = await versions.save(snapshot, { createdBy: 's3-import', comment: ctx.body.comment ?? `imported from s3://${bucket}/${ctx.body.key}` });
        return { version, message: `Imported as version ${version}. Review via /backup then restore if desired.` };
      }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/backup/s3/upload', surface: 'edge', permission: WRITE, tags,
      summary: 'Back up now (Rampart): upload a version (default the newest, saving the configuration first if it changed)',
      schema: {
        body: z.object({ version: z.number().int().min(1).optional() }).optional(),
        response: z.object({ version: z.number(), key: z.string(), message: z.string() }),
        responses: { 502: { description: 'the S3 store failed' } },
      },
      handler: (ctx) => audited(ctx, { action: 'edge.backup.s3.upload', resource: { type: 's3_backup', id: 's3' } }, async () => {
        if (!(await s3.get()).enabled) throw errors.badRequest('S3 backup is not enabled');
        const version = ctx.body?.version
          ?? (await versions.saveIfChanged({ createdBy: who(ctx), comment: 'POST /api/v1/backup/s3/upload' }))
          ?? (await versions.latest())?.version
          ?? (await versions.save(await versions.snapshot(), { createdBy: who(ctx), comment: 'POST /api/v1/backup/s3/upload' }));
        const snapshot = await versions.get(version);
        const row = await versions.info(version);
        const { key, bucket } = await s3.uploadNow(version, row?.created_at ?? new Date().toISOString(), snapshot);
        return { version, key, message: `Version ${version} uploaded to s3://${bucket}/${key}` };
      }, (out) => ({ version: out.version, key: out.key })),
    }),
  ];
}
