import type { Database } from '../../../../core/db/database.js';
import { paginate, type Page, type PageRequest } from '../../../../core/db/paginate.js';
import { isUuid } from '../../../../core/db/ids.js';
import type { NodeRequestStatus, OverlayNodeRequestRow } from '../../overlay.tables.js';
import { networksWhereUser } from '../workflow-common.js';

export type NodeRequestRecord = OverlayNodeRequestRow & { network_name: string };

export interface NodeRequestFilter {
  /** Limits the list to what this user may see: their own requests and those of networks they manage. */
  visibleTo?: string;
  networkId?: string;
  status?: NodeRequestStatus;
}

export function createNodeRequestStore(db: Database) {
  const withNetwork = () =>
    db.kysely
      .selectFrom('overlay_node_requests as r')
      .innerJoin('overlay_networks as n', 'n.id', 'r.network_id')
      .selectAll('r')
      .select('n.name as network_name');

  return {
    async insert(row: OverlayNodeRequestRow): Promise<void> {
      await db.kysely.insertInto('overlay_node_requests').values(row).execute();
    },

    async get(id: string): Promise<NodeRequestRecord | undefined> {
      if (!isUuid(id)) return undefined;
      return withNetwork().where('r.id', '=', id).executeTakeFirst();
    },

    async list(filter: NodeRequestFilter, page: PageRequest): Promise<Page<NodeRequestRecord>> {
      if (filter.networkId !== undefined && !isUuid(filter.networkId)) return { items: [], total: 0 };
      let q = withNetwork();
      if (filter.visibleTo) {
        const userId = filter.visibleTo;
        q = q.where((eb) => eb.or([eb('r.requested_by', '=', userId), eb('r.network_id', 'in', networksWhereUser(db, userId, 'can_manage_nodes'))]));
      }
      if (filter.networkId) q = q.where('r.network_id', '=', filter.networkId);
      if (filter.status) q = q.where('r.status', '=', filter.status);
      return paginate(q.orderBy('r.created_at', 'desc').orderBy('r.id', 'desc'), page);
    },

    /** Whether a node, or another pending request, already has this hostname in the network. */
    async hostnameTaken(networkId: string, hostname: string): Promise<'node' | 'request' | null> {
      const node = await db.kysely.selectFrom('overlay_nodes').select('id').where('network_id', '=', networkId).where('hostname', '=', hostname).executeTakeFirst();
      if (node) return 'node';
      const pending = await db.kysely
        .selectFrom('overlay_node_requests')
        .select('id')
        .where('network_id', '=', networkId)
        .where('hostname', '=', hostname)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return pending ? 'request' : null;
    },

    /**
     * Moves a pending request to its decision. Conditional on it still being pending, so of two concurrent
     * deciders one wins (PostgreSQL re-checks the condition after the first commits) and the other gets false.
     */
    async decide(id: string, patch: Pick<OverlayNodeRequestRow, 'status' | 'decided_by' | 'decided_at'> & Partial<Pick<OverlayNodeRequestRow, 'reason'>>): Promise<boolean> {
      const result = await db.kysely.updateTable('overlay_node_requests').set(patch).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async setCreatedNode(id: string, nodeId: string): Promise<void> {
      await db.kysely.updateTable('overlay_node_requests').set({ created_node_id: nodeId }).where('id', '=', id).execute();
    },
  };
}

export type NodeRequestStore = ReturnType<typeof createNodeRequestStore>;
