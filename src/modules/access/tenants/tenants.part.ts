import type { Core } from '../../../core/index.js';
import type { AccessHooks } from '../access.types.js';
import { createEntitlementService } from './entitlement.service.js';
import { createLicenseService } from './license.service.js';
import { createTenantService } from './tenant.service.js';

/** The tenants part, built once per core; fills the hooks it provides (callerTenant, tenantActive, checkEntitlement). */
export function createTenantsPart(core: Core, hooks: AccessHooks) {
  const tenants = createTenantService(core);
  const license = createLicenseService(core);
  const entitlements = createEntitlementService(core, tenants, license);
  hooks.callerTenant = (principal) => tenants.tenantOf(principal);
  hooks.tenantActive = (tenantId) => tenants.active(tenantId);
  hooks.checkEntitlement = (tenantId, metric, userId) => entitlements.check(tenantId, metric, userId);
  return { tenants, license, entitlements };
}

export type TenantsPart = ReturnType<typeof createTenantsPart>;
