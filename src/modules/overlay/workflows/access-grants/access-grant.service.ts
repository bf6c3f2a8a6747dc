import { randomUUID } from 'node:crypto';
import { isUuid } from '../../../../core/db/ids.js';
import type { Page, PageRequest } from '../../../../core/db/paginate.js';
import { errors } from '../../../../core/errors.js';
import type { Core } from '../../../../core/index.js';
import type { Principal } from '../../../../core/principal.js';
import type { OverlayAccessGrantRow } from '../../overlay.tables.js';
import { callerUserId, type NetworkAccessService } from '../../access/network-access.js';
import { userLabels } from '../workflow-common.js';
import { createAccessGrantStore } from './access-grant.store.js';

export interface AccessGrantInput {
  admin_user_id: string;
  resource_type: 'network' | 'node';
  resource_id: string;
  duration_hours: number;
  reason: string;
}

export interface AccessGrantView {
  id: string;
  admin_user_id: string;
  admin_email: string | null;
  resource_type: 'network' | 'node';
  resource_id: string;
  resource_name: string;
  network_id: string;
  granted_by_user_id: string;
  granted_by_email: string | null;
  reason: string;
  expires_at: string;
  created_at: string;
  revoked_at: string | null;
  active: boolean;
}

/**
 * Temporary access for a system administrator to one network's (or one node's) secrets, for support: given by
 * an owner of the network, with a reason, for 1 to 720 hours, revocable by whoever gave it. Network access
 * (access/network-access.ts) honours the active ones for the 'secrets' capability.
 */
export function createAccessGrantService(deps: { core: Pick<Core, 'db' | 'now' | 'identity'>; access: NetworkAccessService }) {
  const { db, now, identity } = deps.core;
  const store = createAccessGrantStore(db);

  /** The network a grant opens: the resource itself, or the node's network. */
  async function networkOf(type: 'network' | 'node', resourceId: string): Promise<{ networkId: string; name: string }> {
    if (type === 'network') {
      const network = await deps.access.network(resourceId);
      return { networkId: network.id, name: network.name };
    }
    const node = isUuid(resourceId)
      ? await db.kysely.selectFrom('overlay_nodes').select(['network_id', 'hostname']).where('id', '=', resourceId).executeTakeFirst()
      : undefined;
    if (!node) throw errors.notFound('Node not found');
    return { networkId: node.network_id, name: node.hostname };
  }

  /** 404 when the user does not exist, 400 when they are not a system administrator (nothing to grant them). */
  async function assertSystemAdmin(userId: string): Promise<void> {
    if (!isUuid(userId) || !(await db.kysely.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst())) {
      throw errors.notFound('Admin user not found');
    }
    const { permissions } = await identity.rbac.userAccess(userId);
    if (!permissions.has('*')) throw errors.badRequest('User is not a system admin');
  }

  async function views(rows: OverlayAccessGrantRow[]): Promise<AccessGrantView[]> {
    const users = await userLabels(db, rows.flatMap((r) => [r.admin_user_id, r.granted_by]));
    const names = await store.resourceNames(rows);
    const at = now().toISOString();
    return rows.map((r) => ({
      id: r.id,
      admin_user_id: r.admin_user_id,
      admin_email: users.get(r.admin_user_id)?.email ?? null,
      resource_type: r.resource_type,
      resource_id: r.resource_id,
      resource_name: names.get(r.resource_id) ?? 'Unknown',
      network_id: r.network_id,
      granted_by_user_id: r.granted_by,
      granted_by_email: users.get(r.granted_by)?.email ?? null,
      reason: r.reason,
      expires_at: r.expires_at,
      created_at: r.created_at,
      revoked_at: r.revoked_at,
      active: r.revoked_at === null && r.expires_at > at,
    }));
  }

  return {
    async create(principal: Principal, input: AccessGrantInput): Promise<AccessGrantView> {
      const userId = callerUserId(principal);
      const { networkId } = await networkOf(input.resource_type, input.resource_id);
      // Membership, not system administration: an administrator must not grant themselves what a grant gives.
      const caller = await deps.access.require(principal, networkId, 'view');
      if (caller.role !== 'owner') throw errors.forbidden(`Only network owners can grant access to ${input.resource_type}s`);
      await assertSystemAdmin(input.admin_user_id);
      const reason = input.reason.trim();
      if (reason === '') throw errors.validation('reason must not be empty');
      const at = now();
      const row: OverlayAccessGrantRow = {
        id: randomUUID(),
        admin_user_id: input.admin_user_id,
        resource_type: input.resource_type,
        resource_id: input.resource_id,
        network_id: networkId,
        granted_by: userId,
        reason,
        expires_at: new Date(at.getTime() + input.duration_hours * 3_600_000).toISOString(),
        revoked_at: null,
        created_at: at.toISOString(),
      };
      await store.insert(row);
      return (await views([row]))[0];
    },

    /** Grants the caller gave (owners) or holds (system administrators); only active ones unless activeOnly is false. */
    async list(principal: Principal, activeOnly: boolean, request: PageRequest): Promise<Page<AccessGrantView>> {
      if (principal.type !== 'user') return { items: [], total: 0 };
      const page = await store.listFor(principal.id, activeOnly ? now().toISOString() : null, request);
      return { items: await views(page.items), total: page.total };
    },

    /** Only whoever gave a grant revokes it (403 for anyone else). Revoking a revoked grant changes nothing. */
    async revoke(principal: Principal, id: string): Promise<OverlayAccessGrantRow> {
      const userId = callerUserId(principal);
      const grant = await store.get(id);
      if (!grant) throw errors.notFound('Access grant not found');
      if (grant.granted_by !== userId) throw errors.forbidden('Only the granter can revoke this access');
      await store.revoke(grant.id, now().toISOString());
      return grant;
    },
  };
}

export type AccessGrantService = ReturnType<typeof createAccessGrantService>;
