import type { Core } from '../../../core/index.js';
import { accessErrors } from '../common/access-errors.js';
import type { LicenseService, LicenseStatus } from './license.service.js';
import { LIMIT_METRICS, type LimitMetric, type TenantService } from './tenant.service.js';
import type { AccessTenantRow } from './tenants.tables.js';

export const APPROACHING_RATIO = 0.8;

export interface Entitlement {
  tenant_id: string;
  plan: string;
  limits: Record<LimitMetric, number | null>;
  features: string[];
  /** license: as the licence says; override: a per-tenant override changed something; default: no licence on disk. */
  source: 'license' | 'override' | 'default';
  license_state: LicenseStatus['state'];
  valid_until: string | null;
}

export interface MetricStatus {
  metric: LimitMetric;
  value: number;
  limit: number | null;
  percent: number | null;
  state: 'ok' | 'approaching' | 'exceeded';
}

/** When a licence is expired past its grace, or invalid, nothing new may be created (what runs keeps running). */
const BLOCKING: LicenseStatus['state'][] = ['expired', 'invalid'];

/**
 * Entitlements: the licence's plan, limits and features, per tenant, with the tenant's overrides on top (and
 * access.max_devices as an install-wide cap). Creations past a limit are refused with 409 entitlement_exceeded;
 * nothing already running is ever cut by a limit.
 */
export function createEntitlementService(core: Core, tenants: TenantService, license: LicenseService) {
  const k = () => core.db.kysely;

  async function resolve(row: AccessTenantRow): Promise<Entitlement> {
    const { license: lic, status } = await license.inForce();
    const o = tenants.overridesOf(row);
    const limits = Object.fromEntries(LIMIT_METRICS.map((m) => [m, lic?.limits[m] ?? null])) as Record<LimitMetric, number | null>;
    const cap = core.config.access.max_devices;
    if (cap > 0) limits.devices = limits.devices === null ? cap : Math.min(limits.devices, cap);
    let overridden = false;
    for (const m of LIMIT_METRICS) {
      if (o.limits && m in o.limits) {
        limits[m] = o.limits[m] ?? null;
        overridden = true;
      }
    }
    if (o.plan || o.features) overridden = true;
    return {
      tenant_id: row.id,
      plan: o.plan ?? row.plan ?? lic?.plan ?? 'community',
      limits,
      features: o.features ?? lic?.features ?? [],
      source: overridden ? 'override' : lic ? 'license' : 'default',
      license_state: status.state,
      valid_until: status.grace_until,
    };
  }

  /** What each limit counts now: users owning live devices, live devices, gateways, pools. */
  async function usageNow(tenantId: string): Promise<Record<LimitMetric, number>> {
    const count = (q: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => q.executeTakeFirstOrThrow().then((r) => Number(r.n));
    const [users, devices, gateways, pools] = await Promise.all([
      count(k().selectFrom('access_devices').select((eb) => eb.fn.count('user_id').distinct().as('n')).where('tenant_id', '=', tenantId).where('status', '<>', 'revoked')),
      count(k().selectFrom('access_devices').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenantId).where('status', '<>', 'revoked')),
      count(k().selectFrom('access_gateways').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenantId)),
      count(k().selectFrom('access_gateway_pools').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenantId)),
    ]);
    return { users, devices, gateways, pools };
  }

  function metricStatus(metric: LimitMetric, value: number, limit: number | null): MetricStatus {
    if (limit === null) return { metric, value, limit, percent: null, state: 'ok' };
    const percent = limit === 0 ? 100 : Math.round((value / limit) * 1000) / 10;
    return { metric, value, limit, percent, state: value >= limit ? 'exceeded' : value >= limit * APPROACHING_RATIO ? 'approaching' : 'ok' };
  }

  async function metrics(row: AccessTenantRow) {
    const [ent, usage] = await Promise.all([resolve(row), usageNow(row.id)]);
    return { ent, usage, metrics: LIMIT_METRICS.map((m) => metricStatus(m, usage[m], ent.limits[m])) };
  }

  return {
    resolve,

    async status(row: AccessTenantRow) {
      const { ent, usage, metrics: ms } = await metrics(row);
      const state =
        BLOCKING.includes(ent.license_state) ? 'expired'
        : ms.some((m) => m.state === 'exceeded') ? 'exceeded'
        : ent.license_state === 'grace' ? 'grace'
        : ms.some((m) => m.state === 'approaching') ? 'warning'
        : 'ok';
      return { tenant_id: row.id, state, license_state: ent.license_state, plan: ent.plan, usage, limits: ent.limits, metrics: ms, grace_until: ent.license_state === 'grace' ? ent.valid_until : null };
    },

    /**
     * Open alerts: a metric at 80% of its limit (approaching) or at it (exceeded: the next creation is refused), and
     * the licence in grace or expired. `since` is when the alert first opened; it closes when the metric drops back.
     */
    async alerts(row: AccessTenantRow) {
      const { ent, metrics: ms } = await metrics(row);
      const now = core.now().toISOString();
      const open: { metric: string; kind: 'approaching' | 'exceeded'; value: number | null; limit: number | null; detail: string }[] = [];
      for (const m of ms) {
        if (m.state !== 'ok') open.push({ metric: m.metric, kind: m.state, value: m.value, limit: m.limit, detail: `${m.metric}: ${m.value} of ${m.limit}` });
      }
      if (ent.license_state === 'grace') open.push({ metric: 'license', kind: 'approaching', value: null, limit: null, detail: `the licence has expired; grace until ${ent.valid_until}` });
      if (BLOCKING.includes(ent.license_state)) open.push({ metric: 'license', kind: 'exceeded', value: null, limit: null, detail: `the licence is ${ent.license_state}: new devices, gateways and pools are refused` });
      const known = await k().selectFrom('access_entitlement_alerts').selectAll().where('tenant_id', '=', row.id).execute();
      const key = (a: { metric: string; kind: string }) => `${a.metric}|${a.kind}`;
      const openKeys = new Set(open.map(key));
      const stale = known.filter((a) => !openKeys.has(key(a)));
      for (const a of stale) await k().deleteFrom('access_entitlement_alerts').where('tenant_id', '=', row.id).where('metric', '=', a.metric).where('kind', '=', a.kind).execute();
      const since = new Map(known.map((a) => [key(a), a.since]));
      for (const a of open) {
        if (!since.has(key(a))) {
          await k().insertInto('access_entitlement_alerts').values({ tenant_id: row.id, metric: a.metric, kind: a.kind, since: now }).onConflict((oc) => oc.doNothing()).execute();
          since.set(key(a), now);
        }
      }
      return { tenant_id: row.id, items: open.map((a) => ({ ...a, since: since.get(key(a))! })) };
    },

    /**
     * Refuses a creation past a limit (409 entitlement_exceeded), or any creation while the licence is expired past
     * its grace or invalid. `userId`: the device's user, who counts against `users` only when new to the tenant.
     */
    async check(tenantId: string, metric: 'devices' | 'gateways' | 'pools', userId?: string | null): Promise<void> {
      const row = await k().selectFrom('access_tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
      if (!row) throw accessErrors.notFound('tenant');
      const ent = await resolve(row);
      if (BLOCKING.includes(ent.license_state)) throw accessErrors.entitlementExceeded(`the licence is ${ent.license_state}: nothing new can be created until a valid licence is loaded`);
      const usage = await usageNow(tenantId);
      const limit = ent.limits[metric];
      if (limit !== null && usage[metric] + 1 > limit) throw accessErrors.entitlementExceeded(`the ${metric.replace(/s$/, '')} limit (${limit}) is reached; remove one or raise the entitlement`);
      if (metric === 'devices' && userId && ent.limits.users !== null) {
        const has = await k().selectFrom('access_devices').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('status', '<>', 'revoked').executeTakeFirst();
        if (!has && usage.users + 1 > ent.limits.users) throw accessErrors.entitlementExceeded(`the user limit (${ent.limits.users}) is reached`);
      }
    },

    /**
     * Metered usage in a period (a UTC calendar month, YYYY-MM): sessions overlapping it from gateway metering, their
     * users and devices, telemetry's mean round trip, enrollments in it; devices, gateways and pools as now. Bytes are
     * those metered in the month (each window's in the month it ended), so a session spanning months is split
     * between them rather than counted whole in each.
     */
    async usage(row: AccessTenantRow, period: string) {
      const [y, m] = period.split('-').map(Number);
      const from = new Date(Date.UTC(y, m - 1, 1)).toISOString();
      const to = new Date(Date.UTC(y, m, 1)).toISOString();
      const sessions = await k().selectFrom('access_sessions')
        .select(['device_id', 'user_id', 'rtt_ms', 'state'])
        .where('tenant_id', '=', row.id).where('started_at', '<', to)
        .where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>=', from)]))
        .execute();
      const bytes = await k().selectFrom('access_session_usage')
        .select((eb) => [eb.fn.sum<number | string | null>('bytes_rx').as('rx'), eb.fn.sum<number | string | null>('bytes_tx').as('tx')])
        .where('tenant_id', '=', row.id).where('period', '=', period)
        .executeTakeFirstOrThrow();
      const enrolled = await k().selectFrom('access_devices').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', row.id).where('created_at', '>=', from).where('created_at', '<', to).executeTakeFirstOrThrow();
      const now = await usageNow(row.id);
      const rtts = sessions.map((s) => s.rtt_ms).filter((r): r is number => typeof r === 'number');
      return {
        tenant_id: row.id, period, from, to,
        active_users: new Set(sessions.map((s) => s.user_id).filter(Boolean)).size,
        active_devices: new Set(sessions.map((s) => s.device_id)).size,
        sessions: sessions.length,
        bytes_rx: Number(bytes.rx ?? 0),
        bytes_tx: Number(bytes.tx ?? 0),
        mean_rtt_ms: rtts.length ? Math.round((rtts.reduce((a, r) => a + r, 0) / rtts.length) * 10) / 10 : null,
        devices_enrolled: Number(enrolled.n),
        devices: now.devices, users: now.users, gateways: now.gateways, pools: now.pools,
      };
    },
  };
}

export type EntitlementService = ReturnType<typeof createEntitlementService>;
