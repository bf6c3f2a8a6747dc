import type { Database } from '../../../../core/db/database.js';
import { paginate, type Page, type PageRequest } from '../../../../core/db/paginate.js';
import { isUuid } from '../../../../core/db/ids.js';
import type { InvitationStatus, OverlayInvitationRow } from '../../overlay.tables.js';
import { networksWhereUser } from '../workflow-common.js';

export type InvitationRecord = OverlayInvitationRow & { network_name: string };

export interface InvitationFilter {
  /** Limits the list to networks this user owns or may invite to. */
  visibleTo?: string;
  networkId?: string;
  /** As reported: 'expired' includes pending invitations past their expiry, 'pending' excludes them. */
  status?: InvitationStatus;
}

/**
 * Invitations. A pending invitation past expires_at is expired whatever its stored status says: reads compute
 * it (a public GET must not need a write), and creating a new invitation for the same address stores it.
 */
export function createInvitationStore(db: Database) {
  const withNetwork = () =>
    db.kysely
      .selectFrom('overlay_invitations as i')
      .innerJoin('overlay_networks as n', 'n.id', 'i.network_id')
      .selectAll('i')
      .select('n.name as network_name');

  return {
    async insert(row: OverlayInvitationRow): Promise<void> {
      await db.kysely.insertInto('overlay_invitations').values(row).execute();
    },

    async get(id: string): Promise<InvitationRecord | undefined> {
      if (!isUuid(id)) return undefined;
      return withNetwork().where('i.id', '=', id).executeTakeFirst();
    },

    async byTokenHash(tokenHash: string): Promise<InvitationRecord | undefined> {
      return withNetwork().where('i.token_hash', '=', tokenHash).executeTakeFirst();
    },

    async list(filter: InvitationFilter, at: string, page: PageRequest): Promise<Page<InvitationRecord>> {
      if (filter.networkId !== undefined && !isUuid(filter.networkId)) return { items: [], total: 0 };
      let q = withNetwork();
      if (filter.visibleTo) q = q.where('i.network_id', 'in', networksWhereUser(db, filter.visibleTo, 'can_invite_users'));
      if (filter.networkId) q = q.where('i.network_id', '=', filter.networkId);
      if (filter.status === 'pending') q = q.where('i.status', '=', 'pending').where('i.expires_at', '>', at);
      else if (filter.status === 'expired') {
        q = q.where((eb) => eb.or([eb('i.status', '=', 'expired'), eb.and([eb('i.status', '=', 'pending'), eb('i.expires_at', '<=', at)])]));
      } else if (filter.status) q = q.where('i.status', '=', filter.status);
      return paginate(q.orderBy('i.created_at', 'desc').orderBy('i.id', 'desc'), page);
    },

    /** Whether a user with this email (any case) is already a member of the network. */
    async memberHasEmail(networkId: string, email: string): Promise<boolean> {
      const row = await db.kysely
        .selectFrom('overlay_network_permissions as p')
        .innerJoin('users as u', 'u.id', 'p.user_id')
        .select('p.user_id')
        .where('p.network_id', '=', networkId)
        .where((eb) => eb(eb.fn('lower', ['u.email']), '=', email.toLowerCase()))
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Stores the expiry of the address's lapsed invitations to the network, then tells whether one is still pending. */
    async pendingFor(networkId: string, email: string, at: string): Promise<boolean> {
      await db.kysely
        .updateTable('overlay_invitations')
        .set({ status: 'expired' })
        .where('network_id', '=', networkId)
        .where('email', '=', email)
        .where('status', '=', 'pending')
        .where('expires_at', '<=', at)
        .execute();
      const pending = await db.kysely
        .selectFrom('overlay_invitations')
        .select('id')
        .where('network_id', '=', networkId)
        .where('email', '=', email)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return pending !== undefined;
    },

    /** Points the invitation at the mail that carried it last (create, resend). */
    async recordMail(id: string, mailId: string): Promise<void> {
      await db.kysely.updateTable('overlay_invitations').set({ mail_id: mailId }).where('id', '=', id).execute();
    },

    /** Changes a pending invitation; false when it is no longer pending (a concurrent accept or revoke won). */
    async settle(id: string, patch: Pick<OverlayInvitationRow, 'status'> & Partial<Pick<OverlayInvitationRow, 'accepted_by' | 'accepted_at'>>): Promise<boolean> {
      const result = await db.kysely.updateTable('overlay_invitations').set(patch).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type InvitationStore = ReturnType<typeof createInvitationStore>;
