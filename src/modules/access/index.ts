import type { RampartModule } from '../module.js';
import { accessPermissions } from './access.permissions.js';
import { accessServices } from './access.services.js';
import { gatewayAdminRoutes } from './gateways/admin.routes.js';
import { gatewayClientRoutes } from './gateways/client.routes.js';
import { gatewayRoutes } from './gateways/gateway.routes.js';
import { gatewayMigrations } from './gateways/gateways.migrations.js';
import { policyMigrations } from './policy/policy.migrations.js';
import { policyRoutes } from './policy/policy.routes.js';
import { policySealedColumns } from './policy/policy.sealed.js';
import { startPolicySweeper } from './policy/policy.sweeper.js';
import './policy/policy.tables.js';
import { enrollmentMigrations } from './enrollment/enrollment.migrations.js';
import { tokenRoutes } from './enrollment/tokens.routes.js';
import { deviceRoutes } from './enrollment/devices.routes.js';
import { enrollRoutes } from './enrollment/enroll.routes.js';
import { samlRoutes } from './enrollment/saml.routes.js';
import { tenantMigrations } from './tenants/tenants.migrations.js';
import { tenantRoutes } from './tenants/tenants.routes.js';
import { licenseRoutes } from './tenants/license.routes.js';
import { dirsyncRoutes } from './tenants/dirsync.routes.js';
import { KEYCLOAK_SYNC_JOB } from './tenants/keycloak-sync.service.js';
import { tenantSealedColumns } from './tenants/tenants.sealed.js';
import { startIntervalSweeper } from '../../core/jobs/interval-sweeper.js';
import './tenants/tenants.tables.js';
import { auditPartMigrations } from './audit/audit.migrations.js';
import { auditRoutes } from './audit/audit.routes.js';
import { updateMigrations, updateSealedColumn } from './updates/updates.migrations.js';
import { updateRoutes } from './updates/updates.routes.js';

/**
 * The zero-trust access control plane (../../../docs/access.md): devices enrol with tokens or SSO, get a signed
 * short-lived credential (SPC) and their channel's policy bundle, and reach resources through WireGuard gateways
 * that admit them on grants and drop them at once on revocation. Paths /v1/*, errors {"error","detail"}.
 */
export const accessModule: RampartModule = {
  name: 'access',
  // enrollment/ 0001-0009, policy/ 0010-0019, gateways/ 0020-0029 and 0052, tenants/ 0030-0039 and 0051, audit/ 0040-0049, updates/ 0050: names never
  // collide between the parts.
  migrations: [...enrollmentMigrations, ...policyMigrations, ...gatewayMigrations, ...tenantMigrations, ...auditPartMigrations, ...updateMigrations],
  sealedColumns: [
    ...Object.values(policySealedColumns), ...Object.values(tenantSealedColumns),
    { table: 'access_siem_connectors', idColumn: 'tenant_id', column: 'secret_sealed' }, updateSealedColumn,
  ],
  permissions: accessPermissions,
  http: (core) => {
    const access = accessServices(core);
    return {
      name: 'access',
      routes: [
        ...tokenRoutes(access), ...deviceRoutes(access), ...enrollRoutes(access), ...samlRoutes(access),
        ...policyRoutes(core),
        ...gatewayAdminRoutes(core), ...gatewayRoutes(core), ...gatewayClientRoutes(core),
        ...tenantRoutes(access), ...licenseRoutes(access), ...dirsyncRoutes(access),
        ...auditRoutes(core), ...updateRoutes(access),
      ],
    };
  },
  jobs: (core) => ({
    [KEYCLOAK_SYNC_JOB]: async (job: { payload: { tenant_id: string } }) => void (await accessServices(core).tenants.keycloak.run(job.payload.tenant_id, 'schedule')),
    ...accessServices(core).audit.jobs(),
  }),
  start: async (core) => {
    const access = accessServices(core);
    const sweepers = [
      startPolicySweeper(core, access.policy),
      // Scheduled directory syncs: due Keycloak pulls become jobs (any worker runs them).
      startIntervalSweeper(core, 'access directory sync schedule', () => access.tenants.keycloak.sweepDue(), 60_000),
      access.audit.start(),
    ];
    return { stop: async () => void (await Promise.all(sweepers.map((s) => s.stop()))) };
  },
};
