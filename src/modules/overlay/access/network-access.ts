import type { Database } from '../../../core/db/database.js';
import { isUuid } from '../../../core/db/ids.js';
import { errors } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import type { NetworkRole, OverlayNetworkRow } from '../overlay.tables.js';

/** What a caller may do in one network. */
export interface NetworkAccess {
  network: OverlayNetworkRow;
  /** The caller's membership role; null for a system admin who is not a member. */
  role: NetworkRole | null;
  can_manage_nodes: boolean;
  can_invite_users: boolean;
  can_manage_firewall: boolean;
  systemAdmin: boolean;
  /** May read the network's secrets (CA, node keys, configs): members always, system admins only under an active access grant. */
  canReadSecrets: boolean;
}

export type Capability = 'view' | 'manage_nodes' | 'invite_users' | 'manage_firewall' | 'owner' | 'secrets';

/** System administrators are principals holding every permission (the admin role, or a key scoped to "*"). */
export const isSystemAdmin = (p: Principal) => p.permissions.has('*');

/**
 * The calling user's id. Networks, requests, grants and invitations belong to users (their rows reference
 * users.id, and an owner must be able to reauthenticate): API keys and service accounts cannot make them.
 */
export function callerUserId(principal: Principal, what = 'do this'): string {
  if (principal.type !== 'user') throw errors.forbidden(`only a user can ${what} (not an API key or a service account)`);
  return principal.id;
}

const CAPABILITY_WORDS: Record<Exclude<Capability, 'view'>, string> = {
  manage_nodes: 'can_manage_nodes on this network',
  invite_users: 'can_invite_users on this network',
  manage_firewall: 'can_manage_firewall on this network',
  owner: 'the owner role on this network',
  secrets: 'membership of this network (system admins need an access grant)',
};

/**
 * Nebula Commander's per-network permissions: owners may do everything; members what their flags allow; system
 * admins manage every network, but read its secrets only with an access grant that an owner gave them.
 */
export function createNetworkAccess(db: Database, now: () => Date) {
  async function hasGrant(userId: string, networkId: string, nodeId?: string): Promise<boolean> {
    let q = db.kysely
      .selectFrom('overlay_access_grants')
      .select('id')
      .where('admin_user_id', '=', userId)
      .where('network_id', '=', networkId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now().toISOString());
    q = nodeId
      ? q.where((eb) => eb.or([eb('resource_type', '=', 'network'), eb.and([eb('resource_type', '=', 'node'), eb('resource_id', '=', nodeId)])]))
      : q.where('resource_type', '=', 'network');
    return (await q.executeTakeFirst()) !== undefined;
  }

  async function resolve(principal: Principal, network: OverlayNetworkRow, nodeId?: string): Promise<NetworkAccess | null> {
    const bool = db.dialect.fromBool;
    const member = principal.type === 'user'
      ? await db.kysely.selectFrom('overlay_network_permissions').selectAll().where('network_id', '=', network.id).where('user_id', '=', principal.id).executeTakeFirst()
      : undefined;
    const systemAdmin = isSystemAdmin(principal);
    if (!member && !systemAdmin) return null;
    const owner = member?.role === 'owner';
    const flag = (v: unknown) => systemAdmin || owner || bool(v);
    return {
      network,
      role: member?.role ?? null,
      can_manage_nodes: flag(member?.can_manage_nodes),
      can_invite_users: flag(member?.can_invite_users),
      can_manage_firewall: flag(member?.can_manage_firewall),
      systemAdmin,
      canReadSecrets: member !== undefined || (principal.type === 'user' && (await hasGrant(principal.id, network.id, nodeId))),
    };
  }

  function allows(access: NetworkAccess, capability: Capability): boolean {
    switch (capability) {
      case 'view': return true;
      case 'manage_nodes': return access.can_manage_nodes;
      case 'invite_users': return access.can_invite_users;
      case 'manage_firewall': return access.can_manage_firewall;
      case 'owner': return access.role === 'owner' || access.systemAdmin;
      case 'secrets': return access.canReadSecrets;
    }
  }

  return {
    /** The network, or 404 (also when the id is not a UUID). */
    async network(networkId: string): Promise<OverlayNetworkRow> {
      const row = isUuid(networkId)
        ? await db.kysely.selectFrom('overlay_networks').selectAll().where('id', '=', networkId).executeTakeFirst()
        : undefined;
      if (!row) throw errors.notFound('Network not found');
      return row;
    },

    /** The caller's access to a network: 404 when it does not exist or the caller cannot see it, 403 when the capability is missing. */
    async require(principal: Principal, networkId: string, capability: Capability, nodeId?: string): Promise<NetworkAccess> {
      const access = await resolve(principal, await this.network(networkId), nodeId);
      if (!access) throw errors.notFound('Network not found');
      if (!allows(access, capability)) throw errors.forbidden(`this needs ${CAPABILITY_WORDS[capability as Exclude<Capability, 'view'>]}`);
      return access;
    },

    /** The caller's access to every network they can see (all of them for system admins), by name. */
    async visible(principal: Principal): Promise<NetworkAccess[]> {
      let q = db.kysely.selectFrom('overlay_networks').selectAll('overlay_networks').orderBy('overlay_networks.name');
      if (!isSystemAdmin(principal)) {
        if (principal.type !== 'user') return [];
        q = q.innerJoin('overlay_network_permissions as p', 'p.network_id', 'overlay_networks.id').where('p.user_id', '=', principal.id);
      }
      const rows = await q.execute();
      const out: NetworkAccess[] = [];
      for (const row of rows) {
        const access = await resolve(principal, row);
        if (access) out.push(access);
      }
      return out;
    },
  };
}

export type NetworkAccessService = ReturnType<typeof createNetworkAccess>;
