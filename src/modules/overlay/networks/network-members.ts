import { z } from 'zod';
import type { Database } from '../../../core/db/database.js';
import { isUuid } from '../../../core/db/ids.js';
import { errors } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import type { NetworkAccessService } from '../access/network-access.js';
import type { NetworkRole, OverlayNetworkPermissionRow } from '../overlay.tables.js';
import { lockNetworkRow } from './network-lock.js';

/** A member as GET /api/networks/{id}/users lists it (Commander's NetworkUserResponse, ids as UUIDs). */
export const memberView = z.object({
  user_id: z.string(),
  email: z.string().nullable(),
  role: z.enum(['owner', 'member']),
  can_manage_nodes: z.boolean(),
  can_invite_users: z.boolean(),
  can_manage_firewall: z.boolean(),
  invited_by: z.string().nullable(),
  invited_by_user_id: z.string().nullable(),
  invited_by_email: z.string().nullable(),
  created_at: z.string(),
});
export type MemberView = z.infer<typeof memberView>;

export interface MemberFlags {
  can_manage_nodes?: boolean;
  can_invite_users?: boolean;
  can_manage_firewall?: boolean;
}
export interface AddMemberInput extends MemberFlags {
  user_id: string;
  role?: NetworkRole;
}
export interface UpdateMemberInput extends MemberFlags {
  role?: NetworkRole;
}

const notMember = () => errors.notFound('User is not a member of this network');

/**
 * Who belongs to a network and what they may do. A network always keeps an owner: the last one can be neither
 * demoted nor removed, and the network's row is locked while that is checked so two owners leaving at once
 * cannot both succeed.
 */
export function createNetworkMembers(db: Database, access: NetworkAccessService, now: () => Date) {
  const bool = db.dialect.fromBool;

  async function views(networkId: string, userId?: string): Promise<MemberView[]> {
    let q = db.kysely
      .selectFrom('overlay_network_permissions as p')
      .leftJoin('users as u', 'u.id', 'p.user_id')
      .leftJoin('users as i', 'i.id', 'p.invited_by')
      .selectAll('p')
      .select(['u.email as email', 'i.email as inviter_email'])
      .where('p.network_id', '=', networkId)
      .orderBy('p.created_at')
      .orderBy('p.user_id');
    if (userId) q = q.where('p.user_id', '=', userId);
    const rows = await q.execute();
    return rows.map((row) => {
      const owner = row.role === 'owner';
      return {
        user_id: row.user_id,
        email: row.email ?? null,
        role: row.role,
        can_manage_nodes: owner || bool(row.can_manage_nodes),
        can_invite_users: owner || bool(row.can_invite_users),
        can_manage_firewall: owner || bool(row.can_manage_firewall),
        invited_by: row.invited_by,
        invited_by_user_id: row.invited_by,
        invited_by_email: row.inviter_email ?? null,
        created_at: row.created_at,
      };
    });
  }

  async function member(networkId: string, userId: string): Promise<OverlayNetworkPermissionRow> {
    const row = isUuid(userId)
      ? await db.kysely.selectFrom('overlay_network_permissions').selectAll().where('network_id', '=', networkId).where('user_id', '=', userId).executeTakeFirst()
      : undefined;
    if (!row) throw notMember();
    return row;
  }

  async function assertNotLastOwner(networkId: string, what: string): Promise<void> {
    const { n } = await db.kysely
      .selectFrom('overlay_network_permissions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('network_id', '=', networkId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    if (Number(n) <= 1) throw errors.badRequest(`Cannot ${what} the last owner of a network; make another member owner first`);
  }

  /** Flags an update leaves out keep their value; an owner holds every flag. */
  function flagsOf(input: MemberFlags, role: NetworkRole, current?: OverlayNetworkPermissionRow) {
    const pick = (key: keyof MemberFlags) => db.dialect.toBool(role === 'owner' || (input[key] ?? (current ? bool(current[key]) : false)));
    return { can_manage_nodes: pick('can_manage_nodes'), can_invite_users: pick('can_invite_users'), can_manage_firewall: pick('can_manage_firewall') };
  }

  return {
    /** Owners and system admins. */
    async list(principal: Principal, networkId: string): Promise<MemberView[]> {
      await access.require(principal, networkId, 'owner');
      return views(networkId);
    },

    /** Needs can_invite_users; only an owner (or a system admin) may make someone else an owner. */
    async add(principal: Principal, networkId: string, input: AddMemberInput): Promise<MemberView> {
      const granted = await access.require(principal, networkId, 'invite_users');
      const role = input.role ?? 'member';
      if (role === 'owner' && granted.role !== 'owner' && !granted.systemAdmin) throw errors.forbidden('only an owner of this network can add an owner');
      const user = isUuid(input.user_id) ? await db.kysely.selectFrom('users').select('id').where('id', '=', input.user_id).executeTakeFirst() : undefined;
      if (!user) throw errors.notFound('Target user not found');
      const already = () => errors.badRequest('User is already a member of this network');
      if (await db.kysely.selectFrom('overlay_network_permissions').select('user_id').where('network_id', '=', networkId).where('user_id', '=', user.id).executeTakeFirst()) throw already();
      try {
        await db.kysely.insertInto('overlay_network_permissions').values({
          network_id: networkId,
          user_id: user.id,
          role,
          ...flagsOf(input, role),
          invited_by: principal.type === 'user' ? principal.id : null,
          created_at: now().toISOString(),
        }).execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw already();
        throw err;
      }
      return (await views(networkId, user.id))[0];
    },

    /** Owners only; the last owner cannot be demoted. */
    update: (principal: Principal, networkId: string, userId: string, input: UpdateMemberInput): Promise<MemberView> => db.transaction(async () => {
      await access.require(principal, networkId, 'owner');
      await lockNetworkRow(db, networkId);
      const current = await member(networkId, userId);
      const role = input.role ?? current.role;
      if (current.role === 'owner' && role !== 'owner') await assertNotLastOwner(networkId, 'demote');
      await db.kysely
        .updateTable('overlay_network_permissions')
        .set({ role, ...flagsOf(input, role, current) })
        .where('network_id', '=', networkId)
        .where('user_id', '=', current.user_id)
        .execute();
      return (await views(networkId, current.user_id))[0];
    }),

    /** Owners only; the last owner cannot be removed. */
    remove: (principal: Principal, networkId: string, userId: string): Promise<void> => db.transaction(async () => {
      await access.require(principal, networkId, 'owner');
      await lockNetworkRow(db, networkId);
      const current = await member(networkId, userId);
      if (current.role === 'owner') await assertNotLastOwner(networkId, 'remove');
      await db.kysely.deleteFrom('overlay_network_permissions').where('network_id', '=', networkId).where('user_id', '=', current.user_id).execute();
    }),
  };
}

export type NetworkMembers = ReturnType<typeof createNetworkMembers>;
