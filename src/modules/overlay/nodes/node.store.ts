import type { Database } from '../../../core/db/database.js';
import { isUuid } from '../../../core/db/ids.js';
import { paginate, type Page, type PageRequest } from '../../../core/db/paginate.js';
import { ROUTING_NODE } from '../overlay.migrations.js';
import type { OverlayNodeRow } from '../overlay.tables.js';

/**
 * The query behind listRouting. Its predicate is the partial index overlay_nodes_routing's own, written the same
 * way, so both planners use it (SQLite matches a partial index only on the same expression) however many nodes
 * the network has.
 */
export function routingNodes(db: Database, networkId: string) {
  return db.kysely
    .selectFrom('overlay_nodes')
    .selectAll()
    .where('network_id', '=', networkId)
    .where(ROUTING_NODE)
    .where('ip_number', 'is not', null)
    .where('status', '!=', 'revoked')
    .orderBy('ip_number');
}

export interface Placement {
  hasLighthouse: boolean;
  nameTaken: boolean;
  topIp: number | null;
  activeCaId: string | null;
}

/** overlay_nodes reads and writes; no rules here (node.service.ts has them). */
export function createNodeStore(db: Database) {
  const byNetworks = (networkIds: string[]) =>
    db.kysely.selectFrom('overlay_nodes').selectAll().where('network_id', 'in', networkIds).orderBy('network_id').orderBy('ip_number').orderBy('hostname').orderBy('id');

  // Every node create reads it: built and compiled once (three subqueries cost Kysely more to build than SQLite to run).
  const placement = db.prepare((k, networkId: string, hostname: string) => {
    const inNetwork = () => k.selectFrom('overlay_nodes').where('network_id', '=', networkId);
    return k.selectNoFrom((eb) => [
      eb.exists(inNetwork().select('id').where('is_lighthouse', '=', db.dialect.toBool(true))).as('has_lighthouse'),
      eb.exists(inNetwork().select('id').where('hostname', '=', hostname)).as('name_taken'),
      inNetwork().select((e) => e.fn.max('ip_number').as('top')).as('top_ip'),
      k.selectFrom('overlay_cas').select('id').where('network_id', '=', networkId).where('active', '=', db.dialect.toBool(true)).limit(1).as('active_ca'),
    ]);
  });

  return {
    /** The node, or undefined (also for ids that are not UUIDs). */
    async find(id: string): Promise<OverlayNodeRow | undefined> {
      if (!isUuid(id)) return undefined;
      return db.kysely.selectFrom('overlay_nodes').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findByName(networkId: string, hostname: string): Promise<OverlayNodeRow | undefined> {
      return db.kysely.selectFrom('overlay_nodes').selectAll().where('network_id', '=', networkId).where('hostname', '=', hostname).executeTakeFirst();
    },

    async list(networkIds: string[]): Promise<OverlayNodeRow[]> {
      if (networkIds.length === 0) return [];
      return byNetworks(networkIds).execute();
    },

    async listPage(networkIds: string[], page: PageRequest): Promise<Page<OverlayNodeRow>> {
      if (networkIds.length === 0) return { items: [], total: 0 };
      return paginate(byNetworks(networkIds), page);
    },

    /** The network's lighthouses and relays with an address: all a node's config needs to know of its peers. */
    async listRouting(networkId: string): Promise<OverlayNodeRow[]> {
      return routingNodes(db, networkId).execute();
    },

    /** Whether the network has a lighthouse (besides exceptId): one indexed probe, however many nodes it has. */
    async hasLighthouse(networkId: string, exceptId?: string): Promise<boolean> {
      let q = db.kysely
        .selectFrom('overlay_nodes')
        .select('id')
        .where('network_id', '=', networkId)
        .where('is_lighthouse', '=', db.dialect.toBool(true));
      if (exceptId) q = q.where('id', '!=', exceptId);
      return (await q.limit(1).executeTakeFirst()) !== undefined;
    },

    async countNodes(networkId: string): Promise<number> {
      const row = await db.kysely.selectFrom('overlay_nodes').select(({ fn }) => fn.countAll<number>().as('n')).where('network_id', '=', networkId).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * What adding a node checks, in one round trip: whether the network has a lighthouse, whether the name is taken,
     * its highest address (the IPAM hands out the next one), and its active CA (whether the CAs remembered are current).
     */
    async placement(networkId: string, hostname: string): Promise<Placement> {
      const [row] = await placement(networkId, hostname);
      return {
        hasLighthouse: db.dialect.fromBool(row.has_lighthouse),
        nameTaken: db.dialect.fromBool(row.name_taken),
        topIp: row.top_ip == null ? null : Number(row.top_ip),
        activeCaId: row.active_ca ?? null,
      };
    },

    /** `deferred`: held for the unit's last writes (db.defer), for a caller that checked name and address under the lock. */
    async insert(row: OverlayNodeRow, opts: { deferred?: boolean } = {}): Promise<void> {
      const insert = db.kysely.insertInto('overlay_nodes').values(row);
      await (opts.deferred ? db.defer(insert) : insert.execute());
    },

    async update(id: string, patch: Partial<Omit<OverlayNodeRow, 'id' | 'network_id'>>): Promise<void> {
      await db.kysely.updateTable('overlay_nodes').set(patch).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<void> {
      await db.kysely.deleteFrom('overlay_nodes').where('id', '=', id).execute();
    },

    /** Heartbeats touch liveness only: no updated_at, which device config caches key on. */
    async touch(id: string, at: string, status: OverlayNodeRow['status']): Promise<void> {
      await db.kysely.updateTable('overlay_nodes').set({ last_seen_at: at, status }).where('id', '=', id).execute();
    },
  };
}

export type NodeStore = ReturnType<typeof createNodeStore>;
