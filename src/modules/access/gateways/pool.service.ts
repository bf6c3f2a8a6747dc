import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { ACCESS_CHANGED, type AccessChange, type Channel } from '../access.types.js';
import { accessErrors } from './gateway-errors.js';
import type { AccessGatewayPoolRow, PoolSelection } from './gateways.tables.js';

export interface PoolInput {
  id?: string;
  name: string;
  region: string;
  selection?: PoolSelection;
  destinations?: string[];
  min_healthy?: number;
  channel?: Channel;
  listen_port?: number;
  mtu?: number;
  dns?: string[];
}

export interface PoolView {
  id: string;
  tenant_id: string;
  name: string;
  region: string;
  selection: PoolSelection;
  destinations: string[];
  min_healthy: number;
  channel: Channel;
  listen_port: number;
  mtu: number;
  dns: string[];
  gateway_count: number;
  created_at: string;
  updated_at: string;
}

const DEFAULTS = { selection: 'latency', destinations: [], min_healthy: 1, channel: 'stable', listen_port: 51820, mtu: 1420, dns: [] } as const;

/** Gateway pools: upsert by id (or create), list, delete (refused while gateways remain). */
export function createPoolService(core: Core) {
  const { db } = core;
  const k = () => db.kysely;

  function view(row: AccessGatewayPoolRow, gatewayCount: number): PoolView {
    const { destinations, dns, ...rest } = row;
    return { ...rest, destinations: db.dialect.fromJson<string[]>(destinations), dns: db.dialect.fromJson<string[]>(dns), gateway_count: gatewayCount };
  }

  async function gatewayCounts(): Promise<Map<string, number>> {
    const rows = await k().selectFrom('access_gateways').select(['pool_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('pool_id').execute();
    return new Map(rows.map((r) => [r.pool_id, Number(r.n)]));
  }

  const changed = (tenantId: string, reason: AccessChange['reason']) => core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: tenantId, reason });

  async function row(id: string): Promise<AccessGatewayPoolRow | undefined> {
    return k().selectFrom('access_gateway_pools').selectAll().where('id', '=', id).executeTakeFirst();
  }

  return {
    row,

    async list(tenantId: string): Promise<PoolView[]> {
      const [rows, counts] = await Promise.all([k().selectFrom('access_gateway_pools').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute(), gatewayCounts()]);
      return rows.map((r) => view(r, counts.get(r.id) ?? 0));
    },

    /** Creates the pool, or replaces the given fields of the one with this id; a name another pool has is a conflict. */
    async upsert(tenantId: string, input: PoolInput, beforeCreate?: () => Promise<void>): Promise<{ pool: PoolView; created: boolean }> {
      const now = core.now().toISOString();
      const found = input.id ? await row(input.id) : undefined;
      // Another tenant's pool id is not this tenant's to update, nor free to take.
      if (found && found.tenant_id !== tenantId) throw accessErrors.notFound('pool');
      const existing = found;
      if (!existing) await beforeCreate?.();
      const base = existing ? view(existing, 0) : { ...DEFAULTS };
      const next: AccessGatewayPoolRow = {
        id: existing?.id ?? input.id ?? randomUUID(),
        tenant_id: tenantId,
        name: input.name,
        region: input.region,
        selection: input.selection ?? base.selection,
        destinations: db.dialect.toJson(input.destinations ?? base.destinations),
        min_healthy: input.min_healthy ?? base.min_healthy,
        channel: input.channel ?? base.channel,
        listen_port: input.listen_port ?? base.listen_port,
        mtu: input.mtu ?? base.mtu,
        dns: db.dialect.toJson(input.dns ?? base.dns),
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      const clash = await k().selectFrom('access_gateway_pools').select('id').where('tenant_id', '=', tenantId).where('name', '=', next.name).where('id', '!=', next.id).executeTakeFirst();
      if (clash) throw accessErrors.conflict(`a pool named ${next.name} already exists`);
      if (existing) await k().updateTable('access_gateway_pools').set(next).where('id', '=', next.id).execute();
      else await k().insertInto('access_gateway_pools').values(next).execute();
      await changed(tenantId, 'pool');
      return { pool: view(next, (await gatewayCounts()).get(next.id) ?? 0), created: !existing };
    },

    async remove(tenantId: string, id: string): Promise<void> {
      if ((await row(id))?.tenant_id !== tenantId) throw accessErrors.notFound('pool');
      const left = (await gatewayCounts()).get(id) ?? 0;
      if (left > 0) throw accessErrors.conflict(`the pool still has ${left} gateway(s); remove them first`);
      await k().deleteFrom('access_gateway_pools').where('id', '=', id).execute();
      await changed(tenantId, 'pool');
    },
  };
}

export type PoolService = ReturnType<typeof createPoolService>;
