import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { RoleRow } from '../identity/identity.tables.js';
import { isUuid } from '../db/ids.js';

/** The roles table and users' role assignments. Permissions are stored as JSON text (jsonb on PostgreSQL). */
export function createRoleStore(db: Database) {
  const bool = db.dialect.toBool;

  return {
    list(): Promise<RoleRow[]> {
      return db.kysely.selectFrom('roles').selectAll().execute();
    },

    /** By id (a UUID, so PostgreSQL never sees a malformed uuid) or by name. */
    find(idOrName: string): Promise<RoleRow | undefined> {
      const column = isUuid(idOrName) ? 'id' : 'name';
      return db.kysely.selectFrom('roles').selectAll().where(column, '=', idOrName).executeTakeFirst();
    },

    byNames(names: string[]): Promise<RoleRow[]> {
      if (!names.length) return Promise.resolve([]);
      return db.kysely.selectFrom('roles').selectAll().where('name', 'in', names).execute();
    },

    async insert(input: { name: string; description: string | null; builtin: boolean; permissions: string[] }, at: string): Promise<RoleRow> {
      const row = { id: randomUUID(), ...input, builtin: bool(input.builtin), permissions: db.dialect.toJson(input.permissions), created_at: at, updated_at: at };
      await db.kysely.insertInto('roles').values(row).execute();
      return row;
    },

    /** Inserts a role unless one of that name exists: nodes starting together both run this. */
    async insertMissing(input: { name: string; description: string; builtin: boolean }, at: string): Promise<void> {
      const row = { id: randomUUID(), ...input, builtin: bool(input.builtin), permissions: '[]', created_at: at, updated_at: at };
      await db.kysely.insertInto('roles').values(row).onConflict((oc) => oc.column('name').doNothing()).execute();
    },

    async update(id: string, patch: { name?: string; description?: string | null; permissions?: string[] }, at: string): Promise<void> {
      const { permissions, ...rest } = patch;
      await db.kysely
        .updateTable('roles')
        .set({ ...rest, ...(permissions ? { permissions: db.dialect.toJson(permissions) } : {}), updated_at: at })
        .where('id', '=', id)
        .execute();
    },

    /** Assignments go with it (ON DELETE CASCADE). Returns the ids of the users who held it. */
    async delete(id: string): Promise<string[]> {
      const holders = await db.kysely.selectFrom('user_roles').select('user_id').where('role_id', '=', id).execute();
      await db.kysely.deleteFrom('roles').where('id', '=', id).execute();
      return holders.map((h) => h.user_id);
    },

    /** The names of every role each user holds. */
    async namesByUser(userIds: string[]): Promise<Map<string, string[]>> {
      const byUser = new Map<string, string[]>(userIds.map((id) => [id, []]));
      if (!userIds.length) return byUser;
      const rows = await db.kysely
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .select(['user_roles.user_id', 'roles.name'])
        .where('user_roles.user_id', 'in', userIds)
        .execute();
      for (const row of rows) byUser.get(row.user_id)?.push(row.name);
      return byUser;
    },

    async rolesOfUser(userId: string): Promise<RoleRow[]> {
      return db.kysely
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .selectAll('roles')
        .where('user_roles.user_id', '=', userId)
        .execute();
    },

    /** Idempotent: granting a role the user holds changes nothing. */
    async assign(userId: string, roleId: string, grantedBy: string | null, at: string): Promise<void> {
      await db.kysely
        .insertInto('user_roles')
        .values({ user_id: userId, role_id: roleId, granted_at: at, granted_by: grantedBy })
        .onConflict((oc) => oc.columns(['user_id', 'role_id']).doNothing())
        .execute();
    },

    async unassign(userId: string, roleId: string): Promise<void> {
      await db.kysely.deleteFrom('user_roles').where('user_id', '=', userId).where('role_id', '=', roleId).execute();
    },

    async unassignAll(userId: string): Promise<void> {
      await db.kysely.deleteFrom('user_roles').where('user_id', '=', userId).execute();
    },

    async isActiveHolder(roleName: string, userId: string): Promise<boolean> {
      const row = await db.kysely
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .innerJoin('users', 'users.id', 'user_roles.user_id')
        .select('users.id')
        .where('roles.name', '=', roleName)
        .where('users.status', '=', 'active')
        .where('users.id', '=', userId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Active users holding the named role, other than the one given. */
    async countActiveHolders(roleName: string, exceptUserId: string): Promise<number> {
      const row = await db.kysely
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .innerJoin('users', 'users.id', 'user_roles.user_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('roles.name', '=', roleName)
        .where('users.status', '=', 'active')
        .where('users.id', '!=', exceptUserId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type RoleStore = ReturnType<typeof createRoleStore>;
