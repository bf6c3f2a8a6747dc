/** The tenants part's rows (tenants, who administers which, entitlement overrides, alerts, directory sync), typed for Kysely. */
export type TenantStatus = 'active' | 'suspended' | 'deleted';

export interface AccessTenantRow {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  plan: string | null;
  /** JSON {limits?: {users?, devices?, gateways?, pools?}, features?: string[]}: what the licence says, overridden. */
  overrides: unknown;
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  deleted_at: string | null;
}

/** An administrator's tenant: `user:<id>` or `service_account:<id>`. Principals without a row are the default tenant's. */
export interface AccessTenantPrincipalRow {
  principal: string;
  tenant_id: string;
  created_at: string;
}

/** When a metric first crossed a threshold (kept while it stays crossed). */
export interface AccessEntitlementAlertRow {
  tenant_id: string;
  metric: string;
  kind: 'approaching' | 'exceeded';
  since: string;
}

export interface AccessDirsyncRunRow {
  id: string;
  tenant_id: string;
  source: string;
  full_sync: unknown;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  result: 'running' | 'success' | 'failure';
  /** JSON {created, updated, suspended, unchanged, groups_created, groups_updated, memberships}. */
  counts: unknown;
  /** JSON string[]. */
  errors: unknown;
  created_at: string;
}

/** A directory user or group and the identity user or group it became. */
export interface AccessDirsyncLinkRow {
  tenant_id: string;
  source: string;
  kind: 'user' | 'group';
  external_id: string;
  local_id: string;
  updated_at: string;
}

/** The Keycloak realm a tenant pulls from, and its schedule (client_secret sealed). */
export interface AccessDirsyncKeycloakRow {
  tenant_id: string;
  base_url: string;
  realm: string;
  client_id: string;
  client_secret: string;
  ca_pem: string | null;
  full_sync: unknown;
  interval_minutes: number;
  next_run_at: string | null;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_tenants: AccessTenantRow;
    access_tenant_principals: AccessTenantPrincipalRow;
    access_entitlement_alerts: AccessEntitlementAlertRow;
    access_dirsync_runs: AccessDirsyncRunRow;
    access_dirsync_links: AccessDirsyncLinkRow;
    access_dirsync_keycloak: AccessDirsyncKeycloakRow;
  }
}
