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
import { auditPartMigrations } from './audit/audit.migrations.js';
import { auditRoutes } from './audit/audit.routes.js';

/**
 * The zero-trust access control plane (../../../docs/access.md): devices enrol with tokens or SSO, get a signed
 * short-lived credential (SPC) and their channel's policy bundle, and reach resources through WireGuard gateways
 * that admit them on grants and drop them at once on revocation. Paths /v1/*, errors {"error","detail"}.
 */
export const accessModule: RampartModule = {
  name: 'access',
  // enrollment/ 0001-0009, policy/ 0010-0019, gateways/ 0020-0029, audit/ 0040-0049: names never collide between the parts.
  migrations: [...enrollmentMigrations, ...policyMigrations, ...gatewayMigrations, ...auditPartMigrations],
  sealedColumns: [...Object.values(policySealedColumns), { table: 'access_siem_connectors', idColumn: 'tenant_id', column: 'secret_sealed' }],
  permissions: accessPermissions,
  http: (core) => {
    const access = accessServices(core);
    return {
      name: 'access',
      routes: [
        ...tokenRoutes(access), ...deviceRoutes(access), ...enrollRoutes(access), ...samlRoutes(access),
        ...policyRoutes(core),
        ...gatewayAdminRoutes(core), ...gatewayRoutes(core), ...gatewayClientRoutes(core),
        ...auditRoutes(core),
      ],
    };
  },
  jobs: (core) => accessServices(core).audit.jobs(),
  start: async (core) => {
    const sweepers = [startPolicySweeper(core, accessServices(core).policy), accessServices(core).audit.start()];
    return { stop: async () => void (await Promise.all(sweepers.map((s) => s.stop()))) };
  },
};
