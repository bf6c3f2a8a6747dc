import type { Principal } from '../principal.js';

/**
 * The tenant a caller's reads and writes are confined to: a tenant id, or null for a caller who sees every tenant
 * (the provider's administrators, and everyone when no module runs tenants).
 */
export type TenantScope = string | null;

/** How a module that runs tenants (access) scopes a principal; it throws (403) for a principal whose tenant may not act. */
export type TenantScopeResolver = (principal: Principal) => Promise<TenantScope>;

/**
 * Tenancy: which tenant a caller is confined to. The core keeps the tenant of the rows it owns (users and groups carry
 * tenant_id, null being the default tenant; API keys follow their owner) and filters by it; what a tenant is, and
 * which tenant a principal acts in, belong to the module that runs tenants, which provides the resolver.
 */
export interface Tenancy {
  /** Set by the module that runs tenants, once per core; a second provider is a wiring error. */
  provideScope(resolver: TenantScopeResolver): void;
  scopeOf(principal: Principal): Promise<TenantScope>;
}

export function createTenancy(): Tenancy {
  let resolver: TenantScopeResolver | undefined;
  return {
    provideScope(r) {
      if (resolver && resolver !== r) throw new Error('a tenant scope resolver is provided already');
      resolver = r;
    },
    scopeOf: (principal) => (resolver ? resolver(principal) : Promise.resolve(null)),
  };
}

/** Whether a row of `rowTenant` (null: the default tenant) is visible in `scope`. */
export const inScope = (scope: TenantScope, rowTenant: string | null): boolean => scope === null || scope === rowTenant;
