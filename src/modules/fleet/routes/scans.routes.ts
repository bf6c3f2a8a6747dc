import { z } from 'zod';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { ComplianceRule } from '../compliance/rule.types.js';
import { frameworkTitle } from '../compliance/frameworks.js';
import { matchesFramework } from '../compliance-state/frameworks.js';
import type { ScanRun } from '../scans/scan-runs.store.js';
import { scanOscal } from '../oscal/scan-oscal.js';
import { scanErrors } from '../scans/scan-errors.js';
import type { ScanResultView } from '../scans/scan.service.js';
import type { Scanning } from '../scans/scanning.js';
import { clampedInt, frameworkParam, idParam, uuidOrNothing } from './query-params.js';

const tags = ['fleet: scans'];
const refs = z.record(z.string(), z.array(z.string()));

const queued = z.object({ scan_id: z.string(), status: z.literal('queued'), queued_at: z.string() });

const scanSummary = z.object({
  scan_id: z.string(),
  host_id: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  trigger_source: z.enum(['on_demand', 'scheduled']),
  queued_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  policy_version: z.string(),
  rules_pass: z.number().int(),
  rules_fail: z.number().int(),
  rules_skipped: z.number().int(),
  rules_error: z.number().int(),
  score: z.number().nullable(),
  framework: z.string().nullable(),
  attempts: z.number().int(),
  failure_reason: z.string().nullable(),
});

const ruleResult = z.object({
  rule_id: z.string(),
  title: z.string(),
  category: z.string(),
  status: z.string(),
  severity: z.string(),
  description: z.string(),
  framework_refs: refs,
  skip_reason: z.string(),
  has_evidence: z.boolean(),
});

const check = z.object({
  method: z.string(),
  command: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  exit_code: z.number().int().nullable(),
  expected: z.string(),
  actual: z.string(),
  truncated: z.boolean(),
});

const ruleEvidence = z.object({
  rule_id: z.string(),
  status: z.string(),
  severity: z.string(),
  detail: z.string(),
  error: z.string().optional(),
  checks: z.array(check),
  framework_refs: refs,
  skip_reason: z.string(),
});

const ruleItem = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  severity: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  framework_refs: refs,
  transactional: z.boolean(),
  remediation: z.object({
    available: z.boolean(),
    mechanisms: z.array(z.string()),
    restarts_services: z.array(z.string()),
    reboot_behavior: z.string(),
  }),
});

export function summaryOf(run: ScanRun): z.infer<typeof scanSummary> {
  return {
    scan_id: run.id,
    host_id: run.host_id,
    status: run.status,
    trigger_source: run.trigger_source,
    queued_at: run.queued_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    policy_version: run.policy_version,
    rules_pass: run.rules_pass,
    rules_fail: run.rules_fail,
    rules_skipped: run.rules_skipped,
    rules_error: run.rules_error,
    score: run.score,
    framework: run.framework,
    attempts: run.attempts,
    failure_reason: run.failure_reason,
  };
}

function evidenceOf(r: ScanResultView & { evidence: z.infer<typeof check> | null }): z.infer<typeof ruleEvidence> {
  const e = r.evidence;
  const detail = e ? `expected ${e.expected || '(nothing)'}; found ${e.actual || '(nothing)'}` : r.skip_reason ?? '';
  return {
    rule_id: r.rule_id,
    status: r.status,
    severity: r.severity,
    detail,
    ...(r.status === 'error' ? { error: e?.stderr || e?.actual || 'the check could not be evaluated' } : {}),
    checks: e ? [e] : [],
    framework_refs: r.framework_refs,
    skip_reason: r.skip_reason ?? '',
  };
}

/** The first sentence of a rule's description: what the library and result lists show. */
const firstSentence = (text: string | undefined) => (text ?? '').trim().split(/(?<=\.)\s/)[0] ?? '';

function ruleItemOf(rule: ComplianceRule): z.infer<typeof ruleItem> {
  const remediations = rule.implementations.map((i) => i.remediation).filter((r) => r !== undefined);
  const mechanisms = [...new Set(remediations.map((r) => r.mechanism))];
  const restarts = remediations.flatMap((r) => (typeof r.restart === 'string' ? [r.restart] : []));
  return {
    id: rule.id,
    title: rule.title,
    description: firstSentence(rule.description),
    severity: rule.severity,
    category: rule.category,
    tags: [],
    framework_refs: rule.frameworkRefs,
    transactional: false,
    remediation: {
      available: mechanisms.some((m) => m !== 'manual'),
      mechanisms,
      restarts_services: [...new Set(restarts)],
      reboot_behavior: mechanisms.includes('grub_parameter_set') ? 'boot-param' : 'none',
    },
  };
}

/** On-demand scans, scan history with per-rule results and evidence, and the rule library. */
export function scansRoutes(scanning: Scanning): RouteDefinition<any>[] {
  const { scans, engine } = scanning;
  const catalog = scanning.ruleCatalog;
  const scanOr404 = async (id: string) => {
    if (!uuidOrNothing(id)) throw scanErrors.scanNotFound(id);
    return scans.get(id);
  };

  /** Rampart's POST /api/v1/scans/{id}:cancel, and the archived Python API's /stop and /cancel that OpenWatch's scan pages called. */
  function cancelRoutes(): RouteDefinition<any>[] {
    const forms = [
      { path: '/api/v1/scans/:id(^[^:]+)::cancel', param: 'id', summary: 'Cancel a queued or running scan' },
      // Outside /api/v1 these would land in the overlay surface's OpenAPI document (its /api prefix): left out of it.
      { path: '/api/scans/:scan_id/stop', param: 'scan_id', summary: 'Stop a queued or running scan (the archived OpenWatch API; what :cancel does)', hidden: true },
      { path: '/api/scans/:scan_id/cancel', param: 'scan_id', summary: 'Cancel a queued or running scan (the archived OpenWatch API; what :cancel does)', hidden: true },
    ];
    return forms.map((form) =>
      defineRoute({
        method: 'POST', path: form.path, surface: 'fleet', permission: 'scan:cancel', tags, audit: 'compliance.scan.cancelled',
        summary: form.summary, hidden: 'hidden' in form,
        description:
          'The scan ends as failed with failure_reason "cancelled by <who>". A queued scan never runs; a running one finishes the ' +
          'checks in flight and records none of its results. 409 conflict.scan_not_active once the scan has completed or failed.',
        schema: {
          params: z.object({ [form.param]: z.string().max(64) }),
          response: z.object({ scan: scanSummary }),
          responses: { 404: { description: 'scans.not_found' }, 409: { description: 'conflict.scan_not_active: the scan has finished' } },
        },
        handler: async (ctx) => {
          const id = (ctx.params as Record<string, string>)[form.param]!;
          const run = await scanOr404(id);
          const cancelled = await scans.cancel(run.id, principalOf(ctx).name);
          ctx.auditResource('scan', run.id, { host_id: run.host_id, was: run.status });
          return { scan: summaryOf(cancelled) };
        },
      }),
    );
  }

  return [
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:id/scans', surface: 'fleet', permission: 'host:write', tags, status: 202,
      audit: 'compliance.scan.requested', idempotency: 'required',
      summary: 'Queue an on-demand compliance scan of a host',
      description:
        'Creates the scan run and its fleet.scan job; the scan itself runs in a worker. Idempotency-Key is required. ' +
        '409 conflict.scan_active names the scan already queued or running for the host. Optional body {framework} ' +
        'limits the scan to the rules mapped to that framework.',
      schema: {
        params: idParam,
        body: z.object({ framework: frameworkParam.optional() }).optional(),
        response: queued,
        responses: { 404: { description: 'host not found' }, 409: { description: 'a scan of this host is already queued or running' } },
      },
      handler: async (ctx) => {
        if (!uuidOrNothing(ctx.params.id)) throw scanErrors.hostNotFound(ctx.params.id);
        const run = await scans.request(ctx.params.id, {
          trigger: 'on_demand',
          requestedBy: principalOf(ctx).type === 'user' ? principalOf(ctx).id : null,
          correlationId: ctx.correlationId,
          framework: ctx.body?.framework ?? null,
        });
        ctx.auditResource('scan', run.id, { host_id: run.host_id, framework: run.framework });
        return { scan_id: run.id, status: 'queued' as const, queued_at: run.queued_at };
      },
    }),

    ...cancelRoutes(),

    defineRoute({
      method: 'GET', path: '/api/v1/scans', surface: 'fleet', permission: 'scan:read', tags,
      summary: 'List scans, newest first',
      description: 'Filters host_id and status; keyset pages of limit (1-100, default 20) with an opaque next_cursor (an RFC 3339 queued_at also works as a cursor).',
      schema: {
        query: z.object({
          host_id: z.string().max(64).optional(),
          status: z.enum(['queued', 'running', 'completed', 'failed']).optional(),
          cursor: z.string().min(1).max(512).optional(),
          limit: clampedInt('limit', 1, 100, 20),
        }),
        response: z.object({ scans: z.array(scanSummary), next_cursor: z.string().nullable() }),
      },
      handler: async ({ query }) => {
        if (query.host_id !== undefined) {
          if (!uuidOrNothing(query.host_id)) throw scanErrors.hostNotFound(query.host_id);
          await scans.liveHost(query.host_id);
        }
        const page = await scans.list({ host_id: query.host_id, status: query.status, cursor: query.cursor, limit: query.limit });
        return { scans: page.items.map(summaryOf), next_cursor: page.next_cursor };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/scans/:id', surface: 'fleet', permission: 'scan:read', tags,
      summary: "One scan's metadata and per-rule results (without evidence)",
      schema: { params: idParam, response: z.object({ scan: scanSummary, results: z.array(ruleResult), framework_labels: z.record(z.string(), z.string()) }) },
      handler: async ({ params }) => {
        const run = await scanOr404(params.id);
        const [results, rules] = await Promise.all([scans.results(run.id), catalog()]);
        return {
          framework_labels: frameworkLabels(results),
          scan: summaryOf(run),
          results: results.map((r) => ({
            rule_id: r.rule_id,
            title: r.title || r.rule_id,
            category: r.category || 'uncategorized',
            status: r.status,
            severity: r.severity,
            description: firstSentence(rules.get(r.rule_id)?.description),
            framework_refs: r.framework_refs,
            skip_reason: r.skip_reason ?? '',
            has_evidence: r.evidence_sha256 !== null,
          })),
        };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/scans/:id/evidence', surface: 'fleet', permission: 'scan:read', tags,
      summary: "Every rule's evidence for a scan (command, output, expected and actual)",
      schema: { params: idParam, response: z.object({ scan_id: z.string(), items: z.array(ruleEvidence) }) },
      handler: async ({ params }) => {
        const run = await scanOr404(params.id);
        return { scan_id: run.id, items: (await scans.evidence(run.id)).map(evidenceOf) };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/scans/:id/rules/:ruleId/evidence', surface: 'fleet', permission: 'scan:read', tags,
      summary: "One rule's evidence for a scan",
      schema: { params: ruleParams, response: ruleEvidence },
      handler: async ({ params }) => {
        const run = await scanOr404(params.id);
        const [only] = await scans.evidence(run.id, params.ruleId);
        return evidenceOf(only);
      },
    }),

    ...oscalRoutes(scanOr404, scanning),

    defineRoute({
      method: 'GET', path: '/api/v1/rules', surface: 'fleet', permission: 'scan:read', tags, merge: true, // shared with the edge's rules
      summary: 'The rule library scans evaluate',
      schema: { query: z.object({ framework: frameworkParam.optional() }), response: z.object({ rules: z.array(ruleItem), total: z.number().int() }) },
      handler: async ({ query }) => {
        const all = await engine.rules();
        const items = all.filter((r) => !query.framework || matchesFramework(r.frameworkRefs, query.framework)).map(ruleItemOf);
        return { rules: items, total: all.length };
      },
    }),
  ];
}

const oscalDocument = z.object({ 'assessment-results': z.record(z.string(), z.unknown()) }).describe('OSCAL 1.1 assessment-results JSON');
const ruleParams = z.object({ id: z.string().max(64), ruleId: z.string().min(1).max(256) });

/** OSCAL exports of a stored scan, whole or one rule's, as the downloads OpenWatch's scan page offers. */
function oscalRoutes(scanOr404: (id: string) => Promise<ScanRun>, scanning: Scanning): RouteDefinition<any>[] {
  const download = async (ctx: { reply: { header(name: string, value: string): void } }, scanId: string, ruleId?: string) => {
    const { document, fileName } = await scanOscal(scanning, scanId, ruleId);
    ctx.reply.header('content-disposition', `attachment; filename="${fileName}"`);
    return document;
  };
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/scans/:id/oscal', surface: 'fleet', permission: 'scan:read', tags,
      summary: 'The scan as an OSCAL 1.1 assessment-results document (an attachment)',
      description: 'One observation per rule with its evidence (command, expected, actual; stdout as a base64 back-matter resource), one finding per judged rule; NIST SP 800-53 references are the reviewed controls.',
      schema: { params: idParam, response: oscalDocument, responses: { 404: { description: 'scan not found (scans.not_found)' } } },
      handler: async (ctx) => download(ctx, (await scanOr404(ctx.params.id)).id),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/scans/:id/rules/:ruleId/oscal', surface: 'fleet', permission: 'scan:read', tags,
      summary: "One rule's result in the scan as an OSCAL 1.1 assessment-results document (an attachment)",
      schema: { params: ruleParams, response: oscalDocument, responses: { 404: { description: 'scan not found, or the scan did not evaluate the rule (scans.rule_not_found)' } } },
      handler: async (ctx) => download(ctx, (await scanOr404(ctx.params.id)).id, ctx.params.ruleId),
    }),
  ];
}

/** The readable name of every framework the results reference: OpenWatch's scan page titles its tags with them. */
function frameworkLabels(results: ScanResultView[]): Record<string, string> {
  const keys = new Set(results.flatMap((r) => Object.keys(r.framework_refs ?? {})));
  return Object.fromEntries([...keys].sort().map((key) => [key, frameworkTitle(key)]));
}
