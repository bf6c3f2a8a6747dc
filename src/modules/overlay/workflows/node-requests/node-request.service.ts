import type { Page, PageRequest } from '../../../../core/db/paginate.js';
import { randomUUID } from 'node:crypto';
import type { Core } from '../../../../core/index.js';
import { errors } from '../../../../core/errors.js';
import type { Principal } from '../../../../core/principal.js';
import { callerUserId, isSystemAdmin, type NetworkAccessService } from '../../access/network-access.js';
import { assertHostname, normalizeGroups } from '../../nodes/node-validation.js';
import type { NodeRequestStatus } from '../../overlay.tables.js';
import { userLabels } from '../workflow-common.js';
import { createNodeRequestStore, type NodeRequestRecord } from './node-request.store.js';

/** What approving a request needs of the node service: create the node (address, certificate) in the current transaction. */
export interface NodeCreator {
  create(
    input: { networkId: string; hostname: string; groups: string[]; is_lighthouse: boolean; is_relay: boolean },
    actorUserId: string,
  ): Promise<{ node_id: string }>;
}

export interface NodeRequestInput {
  network_id: string;
  hostname: string;
  groups?: string[];
  is_lighthouse?: boolean;
  is_relay?: boolean;
}

export interface NodeRequestView {
  id: string;
  network_id: string;
  network_name: string;
  requested_by_user_id: string;
  requested_by_email: string | null;
  hostname: string;
  groups: string[];
  is_lighthouse: boolean;
  is_relay: boolean;
  status: NodeRequestStatus;
  created_at: string;
  processed_at: string | null;
  processed_by_user_id: string | null;
  rejection_reason: string | null;
  created_node_id: string | null;
}

const notFound = () => errors.notFound('Node request not found');
const notPending = () => errors.badRequest('Request is not pending');

/**
 * Nebula Commander's request/approve workflow: any member may ask for a node; someone with manage_nodes approves
 * (which creates the node, its address and certificate) or rejects it. Requests of callers who may manage nodes,
 * and every request in a network with auto_approve_nodes, are approved at once.
 */
export function createNodeRequestService(deps: { core: Pick<Core, 'db' | 'now'>; access: NetworkAccessService }, nodes: NodeCreator) {
  const { db, now } = deps.core;
  const { access } = deps;
  const store = createNodeRequestStore(db);

  async function views(records: NodeRequestRecord[]): Promise<NodeRequestView[]> {
    const users = await userLabels(db, records.map((r) => r.requested_by));
    return records.map((r) => ({
      id: r.id,
      network_id: r.network_id,
      network_name: r.network_name,
      requested_by_user_id: r.requested_by,
      requested_by_email: users.get(r.requested_by)?.email ?? null,
      hostname: r.hostname,
      groups: db.dialect.fromJson<string[]>(r.groups) ?? [],
      is_lighthouse: db.dialect.fromBool(r.is_lighthouse),
      is_relay: db.dialect.fromBool(r.is_relay),
      status: r.status,
      created_at: r.created_at,
      processed_at: r.decided_at,
      processed_by_user_id: r.decided_by,
      rejection_reason: r.reason,
      created_node_id: r.created_node_id,
    }));
  }

  async function view(id: string): Promise<NodeRequestView> {
    const record = await store.get(id);
    if (!record) throw notFound();
    return (await views([record]))[0];
  }

  /** The node the request describes, created on behalf of whoever approved it. */
  async function approveInto(record: { id: string; network_id: string; hostname: string; groups: string; is_lighthouse: unknown; is_relay: unknown }, approverId: string): Promise<string> {
    const node = await nodes.create(
      {
        networkId: record.network_id,
        hostname: record.hostname,
        groups: db.dialect.fromJson<string[]>(record.groups) ?? [],
        is_lighthouse: db.dialect.fromBool(record.is_lighthouse),
        is_relay: db.dialect.fromBool(record.is_relay),
      },
      approverId,
    );
    await store.setCreatedNode(record.id, node.node_id);
    return node.node_id;
  }

  /** The request, visible to the caller only if they may manage nodes in its network (404 otherwise, 403 for members without the flag). */
  async function forDecision(principal: Principal, id: string): Promise<NodeRequestRecord> {
    const record = await store.get(id);
    if (!record) throw notFound();
    const requester = principal.type === 'user' && record.requested_by === principal.id;
    try {
      await access.require(principal, record.network_id, 'manage_nodes');
    } catch (err) {
      // Someone who cannot see the network learns nothing about its requests; members learn what they lack.
      if ((err as { status?: number }).status === 404 && !requester) throw notFound();
      throw err;
    }
    return record;
  }

  return {
    async create(principal: Principal, input: NodeRequestInput): Promise<NodeRequestView> {
      const userId = callerUserId(principal);
      const caller = await access.require(principal, input.network_id, 'view');
      const hostname = assertHostname(input.hostname);
      const groups = normalizeGroups({ groups: input.groups ?? [] }) ?? [];
      const taken = await store.hostnameTaken(caller.network.id, hostname);
      if (taken === 'node') throw errors.conflict(`A node named "${hostname}" already exists in this network`);
      if (taken === 'request') throw errors.conflict(`A request for a node named "${hostname}" is already pending in this network`);

      const autoApprove = caller.can_manage_nodes || db.dialect.fromBool(caller.network.auto_approve_nodes);
      const at = now().toISOString();
      const row = {
        id: randomUUID(),
        network_id: caller.network.id,
        requested_by: userId,
        hostname,
        groups: db.dialect.toJson(groups),
        is_lighthouse: db.dialect.toBool(input.is_lighthouse ?? false),
        is_relay: db.dialect.toBool(input.is_relay ?? false),
        status: 'pending' as const,
        reason: null,
        created_node_id: null,
        decided_by: null,
        decided_at: null,
        created_at: at,
      };
      await store.insert(row);
      if (autoApprove) {
        await store.decide(row.id, { status: 'approved', decided_by: userId, decided_at: at });
        await approveInto(row, userId);
      }
      return view(row.id);
    },

    async list(principal: Principal, filter: { network_id?: string; status?: NodeRequestStatus }, request: PageRequest): Promise<Page<NodeRequestView>> {
      if (principal.type !== 'user' && !isSystemAdmin(principal)) return { items: [], total: 0 };
      const page = await store.list({ visibleTo: isSystemAdmin(principal) ? undefined : principal.id, networkId: filter.network_id, status: filter.status }, request);
      return { items: await views(page.items), total: page.total };
    },

    async approve(principal: Principal, id: string): Promise<NodeRequestView> {
      const userId = callerUserId(principal);
      const record = await forDecision(principal, id);
      if (!(await store.decide(record.id, { status: 'approved', decided_by: userId, decided_at: now().toISOString() }))) throw notPending();
      await approveInto(record, userId);
      return view(record.id);
    },

    async reject(principal: Principal, id: string, reason: string): Promise<NodeRequestView> {
      const userId = callerUserId(principal);
      const record = await forDecision(principal, id);
      if (!(await store.decide(record.id, { status: 'rejected', decided_by: userId, decided_at: now().toISOString(), reason }))) throw notPending();
      return view(record.id);
    },
  };
}

export type NodeRequestService = ReturnType<typeof createNodeRequestService>;
