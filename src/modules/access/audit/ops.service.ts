import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { redactConfig } from '../../../core/config/load.js';
import { versionInfo } from '../../../version.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from '../access.types.js';
import type { SiemService } from './siem.service.js';
import { tenantScoped } from './audit-pipeline.service.js';
import { identityTenant } from '../common/tenant-scope.js';

const DAY_MS = 86_400_000;
/** Days left at which an item turns warning, then critical. */
const WARNING_DAYS = 30;
const CRITICAL_DAYS = 7;

const count = z.number().int();
export const dashboardView = z.object({
  generated_at: z.string(),
  /** The identity core's users (provider-wide): the default tenant's administrators only, null for another tenant's. */
  users: z.object({ total: count, active: count, suspended: count }).nullable(),
  devices: z.object({ pending: count, active: count, suspended: count, revoked: count }),
  gateways: z.object({ total: count, online: count, degraded: count, offline: count }),
  pools: z.object({ total: count, below_min_healthy: count }),
  sessions: z.object({ active: count, revoked_but_connected: count, ghost: count }),
  bundles: z.object({
    stable: z.object({ serial: z.number(), digest: z.string() }).nullable(),
    canary: z.object({ serial: z.number(), digest: z.string() }).nullable(),
  }),
  audit: z.object({ events_24h: count, siem_enabled: z.boolean(), siem_last_error: z.string().nullable() }),
  /** Open alerts: revoked devices still connected, pools below their minimum, expiring material, a failing SIEM. */
  alerts: z.array(z.object({ kind: z.string(), detail: z.string() })),
});

export const expiryItem = z.object({
  kind: z.enum(['signer', 'anchor', 'gateway', 'tls']),
  id: z.string(),
  state: z.string().nullable(),
  not_after: z.string().nullable(),
  days_left: z.number().nullable(),
  /** none: the material does not expire (a gateway's credential, an active signer until rotated). */
  severity: z.enum(['none', 'ok', 'warning', 'critical', 'expired']),
  note: z.string().nullable(),
});
export const expiryView = z.object({ generated_at: z.string(), items: z.array(expiryItem) });
type ExpiryItem = z.infer<typeof expiryItem>;

/** GET /v1/admin/dashboard/overview and GET /v1/admin/certs/expiry, over the parts' hooks and core services. */
export function createOpsService(core: Core, hooks: AccessHooks, siem: SiemService) {

  function expiry(kind: ExpiryItem['kind'], id: string, state: string | null, notAfter: string | null, note: string | null = null): ExpiryItem {
    if (!notAfter) return { kind, id, state, not_after: null, days_left: null, severity: 'none', note };
    const days = Math.floor((Date.parse(notAfter) - core.now().getTime()) / DAY_MS);
    const severity = days < 0 ? 'expired' : days < CRITICAL_DAYS ? 'critical' : days < WARNING_DAYS ? 'warning' : 'ok';
    return { kind, id, state, not_after: notAfter, days_left: days, severity, note };
  }

  /** The listener's certificate: tls.cert_file, else the one Rampart generated in its data directory. */
  function tlsItem(): ExpiryItem | null {
    const file = core.config.tls.cert_file || join(core.config.data_dir, 'tls', 'cert.pem');
    if (!existsSync(file)) return null;
    try {
      const cert = new X509Certificate(readFileSync(file));
      return expiry('tls', cert.fingerprint256, null, new Date(cert.validTo).toISOString(), `${cert.subject.replace(/\n/g, ', ')} (${file})`);
    } catch (err) {
      return { kind: 'tls', id: file, state: null, not_after: null, days_left: null, severity: 'critical', note: `unreadable: ${(err as Error).message}` };
    }
  }

  async function certsExpiry(tenant: string) {
    const anchors = ((await hooks.trustAnchors(tenant)).anchors ?? []) as { kid: string; state: string; not_after: string | null }[];
    const items: ExpiryItem[] = [];
    for (const a of anchors) {
      if (a.state === 'active' || a.state === 'next') items.push(expiry('signer', a.kid, a.state, a.not_after, a.state === 'active' ? 'signs until the next rotation' : 'becomes active at the next rotation'));
      items.push(expiry('anchor', a.kid, a.state, a.not_after, a.state === 'retiring' ? 'verifies until not_after, then leaves the trust set' : null));
    }
    for (const g of (await hooks.gatewayHealth(tenant)).gateways) {
      items.push(expiry('gateway', g.id, g.status, null, 'bearer credential and WireGuard key: no expiry; delete the gateway to revoke'));
    }
    const tls = tlsItem();
    if (tls) items.push(tls);
    const rank = { expired: 0, critical: 1, warning: 2, ok: 3, none: 4 } as const;
    items.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.days_left ?? Infinity) - (b.days_left ?? Infinity));
    return { generated_at: core.now().toISOString(), items };
  }

  /** The identity core's user counts as the tenant's administrators see its users: every user for the default tenant. */
  async function userCounts(tenant: string) {
    const users = core.identity.users;
    const scope = identityTenant(tenant);
    const [total, active, suspended] = await Promise.all([
      users.list({ limit: 1, offset: 0, scope }), users.list({ limit: 1, offset: 0, status: 'active', scope }), users.list({ limit: 1, offset: 0, status: 'suspended', scope }),
    ]);
    return { total: total.total, active: active.total, suspended: suspended.total };
  }

  async function dashboard(tenant: string) {
    const devices = await hooks.deviceCounts(tenant);
    const health = await hooks.gatewayHealth(tenant);
    const truth = await hooks.connectionTruthSummary(tenant);
    const bundleOf = async (channel: 'stable' | 'canary') => {
      const b = (await hooks.channelBundle(tenant, channel)) as { serial: number; digest: string; channel?: string } | undefined;
      return b ? { serial: b.serial, digest: b.digest } : null;
    };
    const since = new Date(core.now().getTime() - DAY_MS).toISOString();
    const events = (await core.audit.list(tenantScoped(tenant, { since }), { limit: 1, offset: 0 })).total ?? 0;
    const connector = await siem.get(tenant);
    const byStatus = (s: string) => health.gateways.filter((g) => g.status === s).length;
    const alerts: { kind: string; detail: string }[] = [];
    if (truth.revoked_but_connected) alerts.push({ kind: 'revoked_but_connected', detail: `${truth.revoked_but_connected} session(s) of denied devices still reported connected` });
    for (const p of health.pools.filter((x) => !x.ok)) alerts.push({ kind: 'pool_below_min_healthy', detail: `pool ${p.name}: ${p.healthy} healthy of ${p.min_healthy} required` });
    // A retiring anchor ending is the rotation's plan, not an alert.
    for (const c of (await certsExpiry(tenant)).items.filter((i) => (i.severity === 'critical' || i.severity === 'expired') && i.state !== 'retiring')) alerts.push({ kind: `${c.kind}_expiry`, detail: `${c.kind} ${c.id}: ${c.severity} (${c.not_after})` });
    if (connector.enabled && connector.last_error) alerts.push({ kind: 'siem_failing', detail: connector.last_error });
    return {
      generated_at: core.now().toISOString(),
      users: await userCounts(tenant),
      devices,
      gateways: { total: health.gateways.length, online: byStatus('online'), degraded: byStatus('degraded'), offline: byStatus('offline') },
      pools: { total: health.pools.length, below_min_healthy: health.pools.filter((p) => !p.ok).length },
      sessions: { active: truth.consistent + truth.missing_session + truth.revoked_but_connected, revoked_but_connected: truth.revoked_but_connected, ghost: truth.ghost_session },
      bundles: { stable: await bundleOf('stable'), canary: await bundleOf('canary') },
      audit: { events_24h: events, siem_enabled: connector.enabled, siem_last_error: connector.last_error },
      alerts,
    };
  }

  /**
   * GET /v1/admin/ops/export: what support needs, in one JSON document: version, the configuration with every
   * secret redacted, the dashboard, gateway health, certificate expiry, connection truth, the SIEM connector (never
   * its secret) and delivery log, and the latest access jobs and audit events. No secret, token or key material:
   * the parts' answers here are the admin views, which never carry them.
   */
  async function supportBundle(tenant: string) {
    const provider = tenant === DEFAULT_TENANT_ID;
    const jobs = await core.jobs.queue.list({}, { limit: 100 });
    const audit = await core.audit.list(tenantScoped(tenant, {}), { limit: 200 });
    return {
      generated_at: core.now().toISOString(),
      version: versionInfo,
      tenant_id: tenant,
      // The process's configuration and job queue are the provider's: in the default tenant's bundle alone.
      config: provider ? redactConfig(core.config) : null,
      dashboard: await dashboard(tenant),
      gateway_health: await hooks.gatewayHealth(tenant),
      certs_expiry: await certsExpiry(tenant),
      connection_truth: await hooks.connectionTruthSummary(tenant),
      siem: { connector: await siem.get(tenant), deliveries: await siem.deliveries(tenant, 50) },
      jobs: !provider ? [] : jobs.items.filter((j) => j.type.startsWith('access.')).map(({ payload: _p, ...j }) => j),
      audit_events: audit.items.filter((e) => e.action.startsWith('access.')).map((e) => ({ id: e.id, time: e.occurred_at, action: e.action, actor_type: e.actor_type, actor_id: e.actor_id, result: e.result, target_type: e.resource_type, target_id: e.resource_id })),
    };
  }

  return { dashboard, certsExpiry, supportBundle };
}
