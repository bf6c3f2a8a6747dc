import { z } from 'zod';
import type { Database } from '../../../core/db/database.js';
import { errors } from '../../../core/errors.js';
import { lockNetworkRow } from './network-lock.js';

/** A user's membership as GET /api/users/{id} lists it. */
export const userNetworkView = z.object({
  network_id: z.string(),
  network_name: z.string(),
  role: z.enum(['owner', 'member']),
  can_manage_nodes: z.boolean(),
  can_invite_users: z.boolean(),
  can_manage_firewall: z.boolean(),
});
export type UserNetworkView = z.infer<typeof userNetworkView>;

/** The networks side of /api/users: counts and memberships per user, and the guard on deleting a last owner. */
export function createUserNetworks(db: Database) {
  const bool = db.dialect.fromBool;

  async function soleOwnerOf(userId: string): Promise<string[]> {
    const owned = await db.kysely.selectFrom('overlay_network_permissions').select('network_id').where('user_id', '=', userId).where('role', '=', 'owner').execute();
    const names: string[] = [];
    for (const { network_id } of owned) {
      await lockNetworkRow(db, network_id);
      const row = await db.kysely
        .selectFrom('overlay_network_permissions as p')
        .innerJoin('overlay_networks as n', 'n.id', 'p.network_id')
        .select(['n.name', (eb) => eb.fn.countAll<number>().as('owners')])
        .where('p.network_id', '=', network_id)
        .where('p.role', '=', 'owner')
        .groupBy('n.name')
        .executeTakeFirst();
      if (row && Number(row.owners) <= 1) names.push(row.name);
    }
    return names.sort();
  }

  return {
    /** Network count per user id (absent: 0). */
    async counts(userIds: string[]): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map();
      const rows = await db.kysely
        .selectFrom('overlay_network_permissions')
        .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('user_id', 'in', userIds)
        .groupBy('user_id')
        .execute();
      return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
    },

    async of(userId: string): Promise<UserNetworkView[]> {
      const rows = await db.kysely
        .selectFrom('overlay_network_permissions as p')
        .innerJoin('overlay_networks as n', 'n.id', 'p.network_id')
        .select(['p.network_id', 'n.name', 'p.role', 'p.can_manage_nodes', 'p.can_invite_users', 'p.can_manage_firewall'])
        .where('p.user_id', '=', userId)
        .orderBy('n.name')
        .execute();
      return rows.map((r) => {
        const owner = r.role === 'owner';
        return {
          network_id: r.network_id,
          network_name: r.name,
          role: r.role,
          can_manage_nodes: owner || bool(r.can_manage_nodes),
          can_invite_users: owner || bool(r.can_invite_users),
          can_manage_firewall: owner || bool(r.can_manage_firewall),
        };
      });
    },

    /**
     * Deleting a user drops their memberships (ON DELETE CASCADE), which must not leave a network without an
     * owner: 409 naming the networks. Call it in the transaction that deletes the user (rows stay locked).
     */
    async assertMayDelete(userId: string): Promise<void> {
      const orphaned = await soleOwnerOf(userId);
      if (orphaned.length > 0) {
        throw errors.conflict(`User is the last owner of network${orphaned.length > 1 ? 's' : ''} ${orphaned.map((n) => `'${n}'`).join(', ')}; make another member owner or delete the network first`);
      }
    },
  };
}

export type UserNetworks = ReturnType<typeof createUserNetworks>;
