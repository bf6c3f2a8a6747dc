import { builtinPermissions } from '../../core/rbac/vocabularies.js';
import { defineRoute, type RouteDefinition } from '../../http/route.js';
import type { RampartModule } from '../module.js';
import { apiKeysRoutes } from './routes/api-keys.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { fleetAuthRoutes } from './routes/fleet-auth.routes.js';
import { fleetTokensRoutes } from './routes/fleet-tokens.routes.js';
import { groupsRoutes } from './routes/groups.routes.js';
import { mfaRoutes } from './routes/mfa.routes.js';
import { overlayAuthRoutes } from './routes/overlay-auth.routes.js';
import { rolesRoutes } from './routes/roles.routes.js';
import { serviceAccountsRoutes } from './routes/service-accounts.routes.js';
import { sessionsRoutes } from './routes/sessions.routes.js';
import { settingsRoutes } from './routes/settings.routes.js';
import { ssoRoutes } from './routes/sso.routes.js';
import { usersRoutes } from './routes/users.routes.js';

/**
 * The identity surfaces of all five APIs over the one identity core (core/identity, core/rbac): login and
 * sessions, users, groups, roles, MFA, API keys, service accounts, SSO, auth settings and audit queries. Routes
 * are grouped by concern; each file declares the paths of every spec that serves that concern.
 */
export const identityModule: RampartModule = {
  name: 'identity',
  permissions: builtinPermissions,
  http: (core) => ({
    name: 'identity',
    routes: rejectingUnknownFields([
      ...sessionsRoutes(core),
      ...mfaRoutes(core),
      ...usersRoutes(core),
      ...groupsRoutes(core),
      ...rolesRoutes(core),
      ...auditRoutes(core),
      ...apiKeysRoutes(core),
      ...serviceAccountsRoutes(core),
      ...settingsRoutes(core),
      ...ssoRoutes(core),
      ...fleetAuthRoutes(core),
      ...fleetTokensRoutes(core),
      ...overlayAuthRoutes(core),
    ]),
  }),
};

/**
 * Identity mutations refuse fields they do not know on every surface, the overlay's and egress's too: a field
 * silently dropped (a password sent to a profile update) is a change the caller believes made. Routes that chose
 * otherwise (logins, whose clients may post more than they need) keep their choice.
 */
function rejectingUnknownFields(routes: RouteDefinition<any>[]): RouteDefinition<any>[] {
  return routes.map((route) => (route.unknownFields ? route : defineRoute({ ...route, unknownFields: 'reject' })));
}
