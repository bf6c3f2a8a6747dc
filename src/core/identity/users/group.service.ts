import { randomUUID } from 'node:crypto';
import { errors } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import type { GroupRow } from '../identity.tables.js';
import type { Group, GroupService } from '../identity.types.js';
import { createGroupStore } from './group.store.js';
import { isUuid } from '../../db/ids.js';

const NAME_MAX = 128;

/** Groups of users (the access surface's groups; SSO group claims map to roles, not to these). */
export function createGroupService(deps: IdentityDeps): GroupService {
  const store = createGroupStore(deps.db);
  const now = () => deps.now().toISOString();

  const view = (row: GroupRow, memberIds: string[]): Group => ({
    id: row.id,
    name: row.name,
    description: row.description,
    member_ids: memberIds,
    created_at: row.created_at,
    updated_at: row.updated_at,
  });

  async function views(rows: GroupRow[]): Promise<Group[]> {
    const members = await store.membersOf(rows.map((r) => r.id));
    return rows.map((r) => view(r, members.get(r.id) ?? []));
  }

  async function rowOf(id: string): Promise<GroupRow> {
    const row = isUuid(id) ? await store.byId(id) : undefined;
    if (!row) throw errors.notFound(`group ${id} not found`);
    return row;
  }

  async function assertNameFree(name: string): Promise<void> {
    if (await store.byName(name)) throw errors.conflict(`group ${name} already exists`);
  }

  /** A group's members are users of its tenant: anyone else is unknown here (another tenant's users are not named as such). */
  async function assertMembers(ids: string[], tenant: string | null): Promise<string[]> {
    const unique = [...new Set(ids)];
    const unknown = await store.unknownUsers(unique, tenant);
    if (unknown.length) throw errors.validation(`unknown user ids: ${unknown.join(', ')}`, { details: { unknown_user_ids: unknown } });
    return unique;
  }

  /** A racing insert or rename of the same name loses with 409, as the check above would have said. */
  async function guardUnique<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      throw deps.db.dialect.isUniqueViolation(err) ? errors.conflict(`group ${name} already exists`) : err;
    }
  }

  return {
    async list(request, scope) {
      const page = await store.list(request, scope);
      return { items: await views(page.items), total: page.total };
    },

    get: async (id) => (await views([await rowOf(id)]))[0],

    tenantOf: async (id) => (await rowOf(id)).tenant_id ?? null,

    create(input) {
      return deps.db.transaction(async () => {
        const name = validName(input.name);
        await assertNameFree(name);
        const tenant = input.tenant_id ?? null;
        const members = await assertMembers(input.member_ids ?? [], tenant);
        const at = now();
        const row: GroupRow = { id: randomUUID(), name, description: input.description ?? null, tenant_id: tenant, created_at: at, updated_at: at };
        await guardUnique(name, () => store.insert(row));
        await store.setMembers(row.id, members, at);
        return view(row, members);
      });
    },

    update(id, patch) {
      return deps.db.transaction(async () => {
        const row = await rowOf(id);
        const at = now();
        const name = patch.name !== undefined ? validName(patch.name) : row.name;
        if (name !== row.name) await assertNameFree(name);
        const changes = {
          ...(name !== row.name ? { name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
        };
        if (Object.keys(changes).length || patch.member_ids) await guardUnique(name, () => store.update(id, changes, at));
        if (patch.member_ids) await store.setMembers(id, await assertMembers(patch.member_ids, row.tenant_id ?? null), at);
        return (await views([await rowOf(id)]))[0];
      });
    },

    async delete(id) {
      await store.delete((await rowOf(id)).id);
    },

    groupsOf: async (userId) => (isUuid(userId) ? views(await store.ofUser(userId)) : []),
  };
}

function validName(input: string): string {
  const name = input.trim();
  if (!name || name.length > NAME_MAX) throw errors.validation(`group name must be 1-${NAME_MAX} characters`);
  return name;
}
