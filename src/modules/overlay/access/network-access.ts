import type { Database } from '../../../core/db/database.js';
import { isUuid } from '../../../core/db/ids.js';
import { errors } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import type { NetworkRole, OverlayNetworkPermissionRow, OverlayNetworkRow } from '../overlay.tables.js';

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

/** What a membership row tells about the caller. */
const MEMBER_COLUMNS = ['role', 'can_manage_nodes', 'can_invite_users', 'can_manage_firewall'] as const;
type Member = Pick<OverlayNetworkPermissionRow, (typeof MEMBER_COLUMNS)[number]>;

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

  /** The user's membership of the network, undefined when none. */
  async function membership(principal: Principal, networkId: string): Promise<Member | undefined> {
    if (principal.type !== 'user') return undefined;
    return db.kysely.selectFrom('overlay_network_permissions').select(MEMBER_COLUMNS).where('network_id', '=', networkId).where('user_id', '=', principal.id).executeTakeFirst();
  }

  /**
   * The network and the calling user's membership of it in one query (PostgreSQL: the network's row key-share
   * locked when asked, see network()); undefined when there is no such network.
   */
  async function networkWithMember(principal: Principal, networkId: string, keyShare: boolean) {
    if (!isUuid(networkId)) return undefined;
    if (principal.type !== 'user') {
      const network = await readNetwork(networkId, keyShare);
      return network && { network, member: undefined };
    }
    let q = db.kysely
      .selectFrom('overlay_networks as n')
      .leftJoin('overlay_network_permissions as p', (join) => join.onRef('p.network_id', '=', 'n.id').on('p.user_id', '=', principal.id))
      .selectAll('n')
      .select(['p.role as member_role', 'p.can_manage_nodes as member_can_manage_nodes', 'p.can_invite_users as member_can_invite_users', 'p.can_manage_firewall as member_can_manage_firewall'])
      .where('n.id', '=', networkId);
    if (keyShare && db.dialect.name === 'postgres') q = q.forKeyShare('n');
    const row = await q.executeTakeFirst();
    if (!row) return undefined;
    const { member_role, member_can_manage_nodes, member_can_invite_users, member_can_manage_firewall, ...network } = row;
    const member = member_role === null ? undefined : { role: member_role, can_manage_nodes: member_can_manage_nodes!, can_invite_users: member_can_invite_users!, can_manage_firewall: member_can_manage_firewall! };
    return { network: network as OverlayNetworkRow, member };
  }

  async function readNetwork(networkId: string, keyShare: boolean): Promise<OverlayNetworkRow | undefined> {
    let q = db.kysely.selectFrom('overlay_networks').selectAll().where('id', '=', networkId);
    if (keyShare && db.dialect.name === 'postgres') q = q.forKeyShare();
    return isUuid(networkId) ? q.executeTakeFirst() : undefined;
  }

  async function resolve(principal: Principal, network: OverlayNetworkRow, nodeId?: string, known?: { member: Member | undefined }): Promise<NetworkAccess | null> {
    const bool = db.dialect.fromBool;
    const member = known ? known.member : await membership(principal, network.id);
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
    /**
     * The network, or 404 (also when the id is not a UUID). `keyShare` (PostgreSQL): the row stays key-share locked
     * until the transaction ends, which other such readers and revision bumps pass but lockNetworkRow (FOR UPDATE)
     * waits for: a node create checks without the exclusive lock, and the changes that must not interleave with its
     * checks (the last lighthouse's removal, a CA rotation) take that one.
     */
    async network(networkId: string, opts: { keyShare?: boolean } = {}): Promise<OverlayNetworkRow> {
      const row = await readNetwork(networkId, opts.keyShare === true);
      if (!row) throw errors.notFound('Network not found');
      return row;
    },

    /**
     * The caller's access to a network: 404 when it does not exist or the caller cannot see it, 403 when the
     * capability is missing. The network and the caller's membership are one query; `keyShare` as for network().
     */
    async require(principal: Principal, networkId: string, capability: Capability, opts: { nodeId?: string; keyShare?: boolean } = {}): Promise<NetworkAccess> {
      const read = await networkWithMember(principal, networkId, opts.keyShare === true);
      if (!read) throw errors.notFound('Network not found');
      const access = await resolve(principal, read.network, opts.nodeId, read);
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
