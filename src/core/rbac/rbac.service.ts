import { errors } from '../errors.js';
import type { IdentityDeps } from '../identity/index.js';
import type { RoleRow } from '../identity/identity.tables.js';
import { IDENTITY_CHANGED, type Actor, type IdentityChange, type PermissionRegistry, type RbacService } from '../identity/identity.types.js';
import { isUuid } from '../db/ids.js';
import { builtinRoleNames, builtinRoles } from './builtin-roles.js';
import { assertNotLastAdmin } from './last-admin.js';
import { createPermissionRegistry } from './permission-registry.js';
import type { Role, RoleInput } from './rbac.types.js';
import { byPrecedence } from './role-order.js';
import { createRoleStore } from './role.store.js';

const ROLE_NAME = /^[a-z0-9_-]{1,64}$/;

/** Roles (built-in and custom) and who holds them; the permission registry they are defined over. */
export function createRbac(deps: IdentityDeps): RbacService {
  const registry = createPermissionRegistry();
  const store = createRoleStore(deps.db);
  const builtinGrants = builtinGrantsOver(registry);
  const now = () => deps.now().toISOString();
  const publish = (change: IdentityChange) => deps.events.publish(IDENTITY_CHANGED, change);

  const permissionsOf = (row: RoleRow): string[] =>
    builtinRoleNames.has(row.name) && deps.db.dialect.fromBool(row.builtin) ? builtinGrants(row.name) : deps.db.dialect.fromJson<string[]>(row.permissions);

  const view = (row: RoleRow): Role => ({
    id: row.id,
    name: row.name,
    description: row.description,
    builtin: deps.db.dialect.fromBool(row.builtin),
    permissions: permissionsOf(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });

  async function findRole(idOrName: string): Promise<RoleRow> {
    const row = await store.find(idOrName);
    if (!row) throw errors.notFound(`role ${idOrName} not found`);
    return row;
  }

  async function customRole(idOrName: string): Promise<RoleRow> {
    const row = await findRole(idOrName);
    if (deps.db.dialect.fromBool(row.builtin)) throw errors.badRequest(`role ${row.name} is built in and cannot be changed`);
    return row;
  }

  async function assertNameFree(name: string): Promise<void> {
    if (!ROLE_NAME.test(name)) throw errors.validation('role name must be 1-64 of a-z, 0-9, _ and -');
    if (builtinRoleNames.has(name) || (await store.find(name))) throw errors.conflict(`role ${name} already exists`);
  }

  async function assertUser(userId: string): Promise<void> {
    const row = isUuid(userId) ? await deps.db.kysely.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst() : undefined;
    if (!row) throw errors.notFound(`user ${userId} not found`);
  }

  return {
    registry,

    async ensureBuiltinRoles() {
      const at = now();
      for (const role of builtinRoles) await store.insertMissing({ name: role.name, description: role.description, builtin: true }, at);
    },

    async listRoles() {
      const rows = await store.list();
      const order = byPrecedence(rows.map((r) => r.name));
      return rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name)).map(view);
    },

    getRole: async (idOrName) => view(await findRole(idOrName)),

    async createRole(input: RoleInput) {
      await assertNameFree(input.name);
      const permissions = registry.validGrants(input.permissions);
      const row = await store.insert({ name: input.name, description: input.description ?? null, builtin: false, permissions }, now());
      return view(row);
    },

    async updateRole(idOrName, patch) {
      const row = await customRole(idOrName);
      if (patch.name !== undefined && patch.name !== row.name) await assertNameFree(patch.name);
      await store.update(
        row.id,
        {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.permissions !== undefined ? { permissions: registry.validGrants(patch.permissions) } : {}),
        },
        now(),
      );
      await publish({ all: true });
      return view(await findRole(row.id));
    },

    async deleteRole(idOrName) {
      const row = await customRole(idOrName);
      await store.delete(row.id);
      await publish({ all: true });
    },

    async assign(userId, roleIdOrName, grantedBy?: Actor) {
      const role = await findRole(roleIdOrName);
      await assertUser(userId);
      await store.assign(userId, role.id, grantedBy?.id ?? null, now());
      await publish({ user_id: userId });
    },

    async unassign(userId, roleIdOrName) {
      const role = await findRole(roleIdOrName);
      await assertUser(userId);
      if (role.name === 'admin') await assertNotLastAdmin(store, userId);
      await store.unassign(userId, role.id);
      await publish({ user_id: userId });
    },

    async setRoles(userId, roleIdsOrNames, grantedBy?: Actor) {
      const roles = await Promise.all(roleIdsOrNames.map(findRole));
      await assertUser(userId);
      if (!roles.some((r) => r.name === 'admin')) await assertNotLastAdmin(store, userId);
      await store.unassignAll(userId);
      const at = now();
      for (const role of roles) await store.assign(userId, role.id, grantedBy?.id ?? null, at);
      await publish({ user_id: userId });
    },

    async userAccess(userId) {
      const rows = await store.rolesOfUser(userId);
      return { roles: byPrecedence(rows.map((r) => r.name)), permissions: new Set(rows.flatMap(permissionsOf)) };
    },

    async rolePermissions(roleNames) {
      const rows = await store.byNames([...new Set(roleNames)]);
      return new Set(rows.flatMap(permissionsOf));
    },
  };
}

/** What each built-in role grants over the registry as it is now; modules register permissions at startup. */
function builtinGrantsOver(registry: PermissionRegistry): (name: string) => string[] {
  let cache = new Map<string, string[]>();
  let cachedSize = -1;
  return (name) => {
    const defs = registry.list();
    if (defs.length !== cachedSize) {
      cache = new Map(builtinRoles.map((r) => [r.name, [...new Set(r.grants(defs))]]));
      cachedSize = defs.length;
    }
    return cache.get(name) ?? [];
  };
}
