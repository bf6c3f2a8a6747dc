import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { isUuid } from '../../../core/db/ids.js';
import { errors, RampartError } from '../../../core/errors.js';
import type { FleetHostGroupRow } from './host-groups.migrations.js';

export interface HostGroupView {
  id: string;
  name: string;
  description: string | null;
  /** Hosts in the group that are not deleted. */
  host_count: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export const groupNotFound = (id: string) => new RampartError({ code: 'groups.not_found', status: 404, message: `host group ${id} not found` });
const duplicate = (name: string) => new RampartError({ code: 'groups.duplicate', status: 409, message: `a host group named ${name} already exists` });

/** Host groups; a group's hosts are the live hosts whose group_id names it. */
export function createHostGroupService(core: Pick<Core, 'db' | 'now'>) {
  const { db } = core;

  async function row(id: string): Promise<FleetHostGroupRow> {
    const found = isUuid(id) ? await db.kysely.selectFrom('fleet_host_groups').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!found) throw groupNotFound(id);
    return found;
  }

  async function counts(ids: string[]): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows = await db.kysely
      .selectFrom('fleet_hosts')
      .select(['group_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('group_id', 'in', ids)
      .where('deleted_at', 'is', null)
      .groupBy('group_id')
      .execute();
    return new Map(rows.map((r) => [r.group_id!, Number(r.n)]));
  }

  async function views(rows: FleetHostGroupRow[]): Promise<HostGroupView[]> {
    const n = await counts(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, host_count: n.get(r.id) ?? 0 }));
  }

  async function assertNameFree(name: string, exceptId?: string): Promise<void> {
    let q = db.kysely.selectFrom('fleet_host_groups').select('id').where('name', '=', name);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw duplicate(name);
  }

  return {
    list: async () => views(await db.kysely.selectFrom('fleet_host_groups').selectAll().orderBy('name').execute()),
    get: async (id: string) => (await views([await row(id)]))[0]!,

    /** Throws a 400 when a host names a group that does not exist. */
    async assertExists(id: string | null | undefined): Promise<void> {
      if (!id) return;
      const found = await db.kysely.selectFrom('fleet_host_groups').select('id').where('id', '=', id).executeTakeFirst();
      if (!found) throw errors.validation(`group_id ${id} names no host group`, { details: { field: 'group_id' } });
    },

    async create(input: { name: string; description?: string | null }, createdBy: string | null): Promise<HostGroupView> {
      await assertNameFree(input.name);
      const now = core.now().toISOString();
      const created: FleetHostGroupRow = { id: randomUUID(), name: input.name, description: input.description ?? null, created_by: createdBy, created_at: now, updated_at: now };
      try {
        await db.kysely.insertInto('fleet_host_groups').values(created).execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw duplicate(input.name);
        throw err;
      }
      return { ...created, host_count: 0 };
    },

    async update(id: string, patch: { name?: string; description?: string | null }): Promise<HostGroupView> {
      await row(id);
      if (patch.name !== undefined) await assertNameFree(patch.name, id);
      await db.kysely
        .updateTable('fleet_host_groups')
        .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.description !== undefined ? { description: patch.description } : {}), updated_at: core.now().toISOString() })
        .where('id', '=', id)
        .execute();
      return (await views([await row(id)]))[0]!;
    },

    /** Deletes the group; its hosts stay, ungrouped. */
    async remove(id: string): Promise<FleetHostGroupRow> {
      const found = await row(id);
      await db.kysely.updateTable('fleet_hosts').set({ group_id: null }).where('group_id', '=', id).execute();
      await db.kysely.deleteFrom('fleet_host_groups').where('id', '=', id).execute();
      return found;
    },
  };
}

export type HostGroupService = ReturnType<typeof createHostGroupService>;
