import { paginate, type Page, type PageRequest } from '../../db/paginate.js';
import type { Database } from '../../db/database.js';
import type { GroupRow } from '../identity.tables.js';
import { isUuid } from '../../db/ids.js';

/** The groups table and its members. */
export function createGroupStore(db: Database) {
  return {
    list(page: PageRequest, scope?: string | null): Promise<Page<GroupRow>> {
      let q = db.kysely.selectFrom('groups').selectAll();
      if (scope) q = q.where('tenant_id', '=', scope);
      return paginate(q.orderBy('name').orderBy('id'), page);
    },

    byId: (id: string): Promise<GroupRow | undefined> => db.kysely.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst(),

    byName: (name: string): Promise<GroupRow | undefined> => db.kysely.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst(),

    ofUser: (userId: string): Promise<GroupRow[]> =>
      db.kysely
        .selectFrom('groups')
        .innerJoin('group_members', 'group_members.group_id', 'groups.id')
        .selectAll('groups')
        .where('group_members.user_id', '=', userId)
        .orderBy('groups.name')
        .execute(),

    async insert(row: GroupRow): Promise<void> {
      await db.kysely.insertInto('groups').values(row).execute();
    },

    async update(id: string, changes: Partial<Pick<GroupRow, 'name' | 'description'>>, at: string): Promise<void> {
      await db.kysely.updateTable('groups').set({ ...changes, updated_at: at }).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<void> {
      await db.kysely.deleteFrom('groups').where('id', '=', id).execute();
    },

    /** Member ids of each group, in the order they joined. */
    async membersOf(groupIds: string[]): Promise<Map<string, string[]>> {
      const byGroup = new Map<string, string[]>(groupIds.map((id) => [id, []]));
      if (!groupIds.length) return byGroup;
      const rows = await db.kysely
        .selectFrom('group_members')
        .select(['group_id', 'user_id'])
        .where('group_id', 'in', groupIds)
        .orderBy('added_at')
        .orderBy('user_id')
        .execute();
      for (const row of rows) byGroup.get(row.group_id)?.push(row.user_id);
      return byGroup;
    },

    /** Replaces the members: those staying keep their added_at. */
    async setMembers(groupId: string, userIds: string[], at: string): Promise<void> {
      const current = new Set((await this.membersOf([groupId])).get(groupId));
      const wanted = new Set(userIds);
      const gone = [...current].filter((id) => !wanted.has(id));
      if (gone.length) await db.kysely.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', 'in', gone).execute();
      const added = [...wanted].filter((id) => !current.has(id));
      if (added.length) {
        await db.kysely.insertInto('group_members').values(added.map((user_id) => ({ group_id: groupId, user_id, added_at: at }))).execute();
      }
    },

    /** Which of the ids name no user of the tenant (null: the default tenant). */
    async unknownUsers(userIds: string[], tenant: string | null): Promise<string[]> {
      const candidates = userIds.filter(isUuid);
      if (!candidates.length) return userIds;
      let q = db.kysely.selectFrom('users').select('id').where('id', 'in', candidates);
      q = tenant === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenant);
      const found = await q.execute();
      const known = new Set(found.map((r) => r.id));
      return userIds.filter((id) => !known.has(id));
    },
  };
}

export type GroupStore = ReturnType<typeof createGroupStore>;
