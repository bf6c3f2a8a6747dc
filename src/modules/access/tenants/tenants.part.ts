import type { Core } from '../../../core/index.js';
import type { AccessHooks } from '../access.types.js';
import { createDirsyncService } from './dirsync.service.js';
import { createEntitlementService } from './entitlement.service.js';
import { createKeycloakSync } from './keycloak-sync.service.js';
import { createLicenseService } from './license.service.js';
import { createTenantService } from './tenant.service.js';
import { identityTenant } from '../common/tenant-scope.js';

/**
 * The tenants part (tenants, licence, entitlements, directory sync), built once per core; fills the hooks it provides
 * (callerTenant, tenantActive, checkEntitlement) and the core's tenant scope.
 */
export function createTenantsPart(core: Core, hooks: AccessHooks) {
  const tenants = createTenantService(core);
  const license = createLicenseService(core);
  const entitlements = createEntitlementService(core, tenants, license);
  hooks.callerTenant = (principal) => tenants.tenantOf(principal);
  // The identity core's users, groups and API keys are confined to the same tenant (core/tenancy): the default
  // tenant's administrators see every tenant's, another tenant's see their own.
  core.tenancy.provideScope(async (principal) => identityTenant(await tenants.tenantOf(principal)));
  hooks.tenantActive = (tenantId) => tenants.active(tenantId);
  hooks.tenantIds = () => tenants.liveIds();
  hooks.checkEntitlement = (tenantId, metric, userId) => entitlements.check(tenantId, metric, userId);
  const dirsync = createDirsyncService(core, hooks);
  const keycloak = createKeycloakSync(core, dirsync);
  return { tenants, license, entitlements, dirsync, keycloak };
}

export type TenantsPart = ReturnType<typeof createTenantsPart>;
