import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Core } from '../../../core/index.js';
import { RampartError } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import { paginate, type Page, type PageRequest } from '../../../core/db/paginate.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';
import type { FleetHostRow } from './hosts.tables.js';
import { toHostView, type HostView } from './host.view.js';
import type { HostGroupService } from './host-group.service.js';

export interface HostInput {
  hostname: string;
  ip_address: string;
  port?: number;
  display_name?: string | null;
  description?: string | null;
  environment?: string;
  tags?: string[];
  group_id?: string | null;
  username?: string | null;
}

export type HostPatch = Partial<Omit<HostInput, 'hostname'>> & { check_priority?: number; target_framework?: string | null };

export interface HostFilter {
  environment?: string;
  tag?: string;
}

export const hostNotFound = (id: string) => new RampartError({ code: 'hosts.not_found', status: 404, message: `host ${id} not found` });
const duplicate = (hostname: string, environment: string) =>
  new RampartError({ code: 'hosts.duplicate', status: 409, message: `a host named ${hostname} already exists in environment ${environment}` });

/** Managed hosts: created, listed, patched and soft-deleted (a deleted host frees its name and reads as not found). */
export function createHostService(core: Pick<Core, 'db' | 'now' | 'events'>, groups: Pick<HostGroupService, 'assertExists'>) {
  const { db } = core;
  const changed = hostChangeAnnouncer(core.events);
  const view = (row: FleetHostRow) => toHostView(row, db.dialect.fromJson, db.dialect.fromBool);
  const live = () => db.kysely.selectFrom('fleet_hosts').selectAll().where('deleted_at', 'is', null);

  async function row(id: string): Promise<FleetHostRow> {
    if (!isUuid(id)) throw hostNotFound(id);
    const found = await live().where('id', '=', id).executeTakeFirst();
    if (!found) throw hostNotFound(id);
    return found;
  }

  async function assertNameFree(hostname: string, environment: string, exceptId?: string): Promise<void> {
    let q = db.kysely.selectFrom('fleet_hosts').select('id').where('deleted_at', 'is', null).where('hostname', '=', hostname).where('environment', '=', environment);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw duplicate(hostname, environment);
  }

  /** Live hosts matching the filter, by hostname then id (a total order, so pages never overlap or skip). */
  function filtered(filter: HostFilter) {
    let q = live();
    if (filter.environment) q = q.where('environment', '=', filter.environment);
    if (filter.tag) {
      const tag = filter.tag;
      q = q.where(
        db.dialect.name === 'postgres'
          ? sql<boolean>`tags @> ${JSON.stringify([tag])}::jsonb`
          : sql<boolean>`exists (select 1 from json_each(fleet_hosts.tags) where json_each.value = ${tag})`,
      );
    }
    return q.orderBy('hostname').orderBy('id');
  }

  const listRows = (filter: HostFilter = {}): Promise<FleetHostRow[]> => filtered(filter).execute();

  /** The live rows among these ids (deleted and unknown ids are left out), a query per 500. */
  async function rowsByIds(ids: readonly string[]): Promise<FleetHostRow[]> {
    const out: FleetHostRow[] = [];
    for (let i = 0; i < ids.length; i += 500) out.push(...(await live().where('id', 'in', ids.slice(i, i + 500)).execute()));
    return out;
  }

  /** Ids of every live host in list order (hostname, then id), as the database's collation sorts them. */
  const orderedIds = async (): Promise<string[]> =>
    (await db.kysely.selectFrom('fleet_hosts').select('id').where('deleted_at', 'is', null).orderBy('hostname').orderBy('id').execute()).map((r) => r.id);

  /** One page of listRows, sliced in SQL (fleet_hosts_live_order serves the order), and how many hosts match. */
  const pageRows = (filter: HostFilter, page: PageRequest): Promise<Page<FleetHostRow>> => paginate(filtered(filter), page);

  return {
    row,
    get: async (id: string): Promise<HostView> => view(await row(id)),

    list: async (filter: HostFilter = {}): Promise<HostView[]> => (await listRows(filter)).map(view),
    listRows,
    pageRows,
    rowsByIds,
    orderedIds,

    async create(input: HostInput, createdBy: string | null): Promise<HostView> {
      const environment = input.environment ?? 'production';
      await groups.assertExists(input.group_id);
      await assertNameFree(input.hostname, environment);
      const now = core.now().toISOString();
      const created: FleetHostRow = {
        id: randomUUID(),
        hostname: input.hostname,
        ip_address: input.ip_address,
        port: input.port ?? 22,
        display_name: input.display_name ?? null,
        description: input.description ?? null,
        environment,
        tags: db.dialect.toJson(input.tags ?? []),
        group_id: input.group_id ?? null,
        username: input.username ?? null,
        maintenance_mode: db.dialect.toBool(false),
        check_priority: 5,
        os_family: null,
        os_version: null,
        architecture: null,
        platform_identifier: null,
        os_discovered_at: null,
        target_framework: null,
        created_by: createdBy,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      };
      try {
        await db.kysely.insertInto('fleet_hosts').values(created).execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw duplicate(input.hostname, environment);
        throw err;
      }
      await changed([created.id]);
      return view(created);
    },

    async update(id: string, patch: HostPatch): Promise<HostView> {
      const current = await row(id);
      await groups.assertExists(patch.group_id);
      if (patch.environment !== undefined && patch.environment !== current.environment) await assertNameFree(current.hostname, patch.environment, id);
      const { tags, ...rest } = patch;
      const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      try {
        await db.kysely
          .updateTable('fleet_hosts')
          .set({ ...set, ...(tags !== undefined ? { tags: db.dialect.toJson(tags) } : {}), updated_at: core.now().toISOString() })
          .where('id', '=', id)
          .execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw duplicate(current.hostname, patch.environment ?? current.environment);
        throw err;
      }
      await changed([id]);
      return view(await row(id));
    },

    async setMaintenance(id: string, enabled: boolean): Promise<HostView> {
      await row(id);
      await db.kysely.updateTable('fleet_hosts').set({ maintenance_mode: db.dialect.toBool(enabled), updated_at: core.now().toISOString() }).where('id', '=', id).execute();
      await changed([id]);
      return view(await row(id));
    },

    async softDelete(id: string): Promise<HostView> {
      const deleted = view(await row(id));
      const now = core.now().toISOString();
      await db.kysely.updateTable('fleet_hosts').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute();
      await changed([id]);
      return deleted;
    },
  };
}

export type HostService = ReturnType<typeof createHostService>;
