import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import { ACCESS_CHANGED, DEFAULT_TENANT_ID, type AccessChange } from '../access.types.js';
import { accessErrors } from '../common/access-errors.js';
import { accessTenant, identityTenant } from '../common/tenant-scope.js';
import type { AccessTenantRow, TenantStatus } from './tenants.tables.js';

export const TENANT_ACTIONS = ['create', 'update', 'suspend', 'reactivate', 'delete', 'assign_admin', 'remove_admin', 'set_overrides'] as const;
export type TenantAction = (typeof TENANT_ACTIONS)[number];
export const LIMIT_METRICS = ['users', 'devices', 'gateways', 'pools'] as const;
export type LimitMetric = (typeof LIMIT_METRICS)[number];

export interface Overrides {
  plan?: string | null;
  limits?: Partial<Record<LimitMetric, number | null>>;
  features?: string[];
}

export interface TenantView {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  plan: string | null;
  overrides: Overrides;
  admin_count: number;
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  deleted_at: string | null;
}

export interface TenantLifecycleInput {
  action: TenantAction;
  tenant_id?: string;
  name?: string;
  slug?: string;
  plan?: string | null;
  user_id?: string;
  service_account_id?: string;
  overrides?: Overrides;
}

const STATUS_TTL_MS = 5_000;
const slugOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);

/**
 * Tenants: every access row carries tenant_id; the default tenant is the provider's (single-tenant installs live
 * there alone). An administrator belongs to one tenant (access_tenant_principals; none listed: the default one)
 * and sees only its rows; administrators of the default tenant also manage the other tenants.
 */
export function createTenantService(core: Core) {
  const { db } = core;
  const k = () => db.kysely;
  const statuses = new Map<string, { status: TenantStatus | undefined; until: number }>();
  core.events.subscribe(ACCESS_CHANGED, (event) => {
    const change = event.payload as AccessChange;
    if (change.reason === 'tenant') statuses.clear();
  });

  async function view(row: AccessTenantRow): Promise<TenantView> {
    const admins = await k().selectFrom('access_tenant_principals').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', row.id).executeTakeFirstOrThrow();
    return { ...row, overrides: db.dialect.fromJson<Overrides>(row.overrides) ?? {}, admin_count: Number(admins.n) };
  }

  async function rowOf(id: string): Promise<AccessTenantRow> {
    const row = await k().selectFrom('access_tenants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw accessErrors.notFound('tenant');
    return row;
  }

  /** The user a principal acts as: itself, or for an API key the user who made it (a key follows its owner). */
  async function userOf(p: Principal): Promise<string | null> {
    if (p.type === 'user') return p.id;
    if (p.type === 'api_key') {
      const key = await k().selectFrom('api_keys').select('created_by').where('id', '=', p.id).executeTakeFirst();
      return key?.created_by ?? null;
    }
    return null;
  }

  /** The principal key an administrator's tenant is recorded under: an API key counts as the user who made it. */
  function principalKey(p: Principal, userId: string | null): string | null {
    if (userId) return `user:${userId}`;
    if (p.type === 'service_account') return `service_account:${p.serviceAccountId ?? p.id}`;
    return null;
  }

  /**
   * The tenant a principal acts in: the one assign_admin put it in, else (a user, or a user's API key) the tenant
   * the user belongs to in the identity core, else the default. So a tenant's user stays in it when an administrator
   * assignment is removed, never falling back to the provider's tenant.
   */
  async function actingTenant(p: Principal): Promise<string> {
    const userId = await userOf(p);
    const key = principalKey(p, userId);
    const row = key ? await k().selectFrom('access_tenant_principals').select('tenant_id').where('principal', '=', key).executeTakeFirst() : undefined;
    if (row) return row.tenant_id;
    if (!userId) return DEFAULT_TENANT_ID;
    return accessTenant(await core.identity.users.tenantOf(userId).catch(() => null));
  }

  async function status(tenantId: string): Promise<TenantStatus | undefined> {
    const now = Date.now();
    const hit = statuses.get(tenantId);
    if (hit && now < hit.until) return hit.status;
    const row = await k().selectFrom('access_tenants').select('status').where('id', '=', tenantId).executeTakeFirst();
    if (statuses.size > 10_000) statuses.clear();
    statuses.set(tenantId, { status: row?.status, until: now + STATUS_TTL_MS });
    return row?.status;
  }

  const changed = (tenantId: string) => {
    db.afterCommit(() => statuses.clear());
    return core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: tenantId, reason: 'tenant' });
  };

  /** Only the default (provider) tenant's administrators manage tenants. */
  function requireProvider(callerTenant: string) {
    if (callerTenant !== DEFAULT_TENANT_ID) throw errors.forbidden("a tenant's administrators cannot manage tenants");
  }

  function validOverrides(o: Overrides | undefined): Overrides {
    const out: Overrides = {};
    if (!o) return out;
    if (o.plan !== undefined) out.plan = o.plan;
    if (o.limits) out.limits = Object.fromEntries(Object.entries(o.limits).filter(([m]) => (LIMIT_METRICS as readonly string[]).includes(m)));
    if (o.features) out.features = [...new Set(o.features)];
    return out;
  }

  return {
    status,

    /** The tenant an administrator acts in; 403 when it is suspended or deleted. */
    async tenantOf(p: Principal): Promise<string> {
      const tenantId = await actingTenant(p);
      const s = await status(tenantId);
      if (s !== 'active') throw errors.forbidden(`tenant is ${s ?? 'gone'}`);
      return tenantId;
    },

    /** Ids of the tenants not deleted, the default first (per-tenant background work: retention). */
    async liveIds(): Promise<string[]> {
      const rows = await k().selectFrom('access_tenants').select('id').where('status', '<>', 'deleted').orderBy('created_at').orderBy('id').execute();
      const ids = rows.map((r) => r.id).filter((id) => id !== DEFAULT_TENANT_ID);
      return [DEFAULT_TENANT_ID, ...ids];
    },

    /** Whether devices and gateways of the tenant may act now. */
    async active(tenantId: string): Promise<boolean> {
      return (await status(tenantId)) === 'active';
    },

    async list(callerTenant: string, filter: { status?: TenantStatus }): Promise<{ items: TenantView[] }> {
      let q = k().selectFrom('access_tenants').selectAll().orderBy('created_at').orderBy('id');
      if (callerTenant !== DEFAULT_TENANT_ID) q = q.where('id', '=', callerTenant);
      if (filter.status) q = q.where('status', '=', filter.status);
      return { items: await Promise.all((await q.execute()).map(view)) };
    },

    /** A tenant the caller may see (its own, or any for the provider's administrators); 404 otherwise. */
    async visible(callerTenant: string, id: string): Promise<AccessTenantRow> {
      if (callerTenant !== DEFAULT_TENANT_ID && id !== callerTenant) throw accessErrors.notFound('tenant');
      return rowOf(id);
    },

    async get(callerTenant: string, id: string): Promise<TenantView> {
      return view(await this.visible(callerTenant, id));
    },

    overridesOf(row: AccessTenantRow): Overrides {
      return db.dialect.fromJson<Overrides>(row.overrides) ?? {};
    },

    /** One lifecycle step (inside a transaction). active <-> suspended -> deleted (terminal); the default tenant stays active. */
    async lifecycle(callerTenant: string, input: TenantLifecycleInput): Promise<TenantView> {
      requireProvider(callerTenant);
      const at = core.now().toISOString();
      if (input.action === 'create') {
        if (!input.name) throw accessErrors.invalid('create needs name');
        const slug = input.slug ?? slugOf(input.name);
        if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(slug)) throw accessErrors.invalid('slug: lower-case letters, digits and dashes, 1-63 characters');
        const clash = await k().selectFrom('access_tenants').select('id').where('slug', '=', slug).executeTakeFirst();
        if (clash) throw accessErrors.conflict(`a tenant with slug ${slug} exists`);
        const row: AccessTenantRow = {
          id: randomUUID(), name: input.name, slug, status: 'active', plan: input.plan ?? null, overrides: db.dialect.toJson(validOverrides(input.overrides)),
          created_at: at, updated_at: at, suspended_at: null, deleted_at: null,
        };
        await k().insertInto('access_tenants').values(row).execute();
        await changed(row.id);
        return view(row);
      }
      if (!input.tenant_id) throw accessErrors.invalid(`${input.action} needs tenant_id`);
      const row = await rowOf(input.tenant_id);
      if (row.status === 'deleted') throw accessErrors.conflict('tenant is deleted; a delete is final');
      const isDefault = row.id === DEFAULT_TENANT_ID;
      let next: AccessTenantRow = { ...row, updated_at: at };
      switch (input.action) {
        case 'update':
          if (input.slug !== undefined && input.slug !== row.slug) throw accessErrors.invalid('slug cannot change');
          next = { ...next, name: input.name ?? row.name, plan: input.plan === undefined ? row.plan : input.plan };
          break;
        case 'set_overrides':
          next = { ...next, overrides: db.dialect.toJson(validOverrides(input.overrides)) };
          break;
        case 'suspend':
          if (isDefault) throw accessErrors.conflict('the default tenant cannot be suspended');
          if (row.status !== 'active') throw accessErrors.conflict(`cannot suspend a tenant that is ${row.status}`);
          next = { ...next, status: 'suspended', suspended_at: at };
          break;
        case 'reactivate':
          if (row.status !== 'suspended') throw accessErrors.conflict(`cannot reactivate a tenant that is ${row.status}`);
          next = { ...next, status: 'active', suspended_at: null };
          break;
        case 'delete':
          if (isDefault) throw accessErrors.conflict('the default tenant cannot be deleted');
          if (row.status !== 'suspended') throw accessErrors.conflict('suspend a tenant before deleting it');
          next = { ...next, status: 'deleted', deleted_at: at };
          await k().deleteFrom('access_tenant_principals').where('tenant_id', '=', row.id).execute();
          break;
        case 'assign_admin':
        case 'remove_admin': {
          const principal = input.user_id ? `user:${input.user_id}` : input.service_account_id ? `service_account:${input.service_account_id}` : null;
          if (!principal || (input.user_id && input.service_account_id)) throw accessErrors.invalid(`${input.action} needs user_id or service_account_id`);
          if (input.user_id && !(await k().selectFrom('users').select('id').where('id', '=', input.user_id).executeTakeFirst())) throw accessErrors.invalid('user_id does not name a user');
          if (input.service_account_id && !(await k().selectFrom('service_accounts').select('id').where('id', '=', input.service_account_id).executeTakeFirst())) {
            throw accessErrors.invalid('service_account_id does not name a service account');
          }
          await k().deleteFrom('access_tenant_principals').where('principal', '=', principal).execute();
          // The default tenant is where principals without a row live: assigning to it is removing the row.
          if (input.action === 'assign_admin' && !isDefault) await k().insertInto('access_tenant_principals').values({ principal, tenant_id: row.id, created_at: at }).execute();
          // A tenant's administrator is one of its users (its lists show them, other tenants' never); removing the
          // assignment leaves the user where it is.
          if (input.action === 'assign_admin' && input.user_id) await core.identity.users.setTenant(input.user_id, identityTenant(row.id));
          break;
        }
        default:
          throw accessErrors.invalid(`unknown action ${input.action as string}`);
      }
      await k().updateTable('access_tenants').set({
        name: next.name, plan: next.plan, status: next.status, overrides: next.overrides, updated_at: at, suspended_at: next.suspended_at, deleted_at: next.deleted_at,
      }).where('id', '=', row.id).execute();
      await changed(row.id);
      return view(next);
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
