import type { Page, PageRequest } from '../../../../core/db/paginate.js';
import { randomUUID } from 'node:crypto';
import { RampartError, errors } from '../../../../core/errors.js';
import type { Core } from '../../../../core/index.js';
import type { MailDelivery } from '../../../../core/mail/index.js';
import type { Principal } from '../../../../core/principal.js';
import { callerUserId, isSystemAdmin, type NetworkAccess, type NetworkAccessService } from '../../access/network-access.js';
import { sealContext } from '../../../../core/secrets/sealed-columns.js';
import { overlaySealedColumns } from '../../overlay.sealed.js';
import type { InvitationStatus, NetworkRole, OverlayInvitationRow } from '../../overlay.tables.js';
import { userLabels } from '../workflow-common.js';
import { invitationMail } from './invitation-mail.js';
import { hashInvitationToken, newInvitationToken } from './invitation-token.js';
import { createInvitationStore, type InvitationRecord } from './invitation.store.js';

const FLAGS = ['can_manage_nodes', 'can_invite_users', 'can_manage_firewall'] as const;
type Flag = (typeof FLAGS)[number];
const TOKEN_CONTEXT = sealContext(overlaySealedColumns.invitationToken);
const DAY_MS = 86_400_000;

export interface InvitationInput extends Partial<Record<Flag, boolean>> {
  email: string;
  network_id: string;
  role: NetworkRole;
  expires_in_days: number;
}

export interface InvitationView extends Record<Flag, boolean> {
  id: string;
  email: string;
  network_id: string;
  network_name: string;
  invited_by_user_id: string;
  invited_by_email: string | null;
  role: NetworkRole;
  status: InvitationStatus;
  expires_at: string;
  accepted_at: string | null;
  accepted_by_user_id: string | null;
  created_at: string;
  /** The link's token, for its creator only (who may pass the link on by hand); null for everyone else. */
  token: string | null;
  /** Nebula Commander's words: not_sent (no mail server: the outbox holds it), sending, sent, failed. */
  email_status: EmailStatus;
  email_sent_at: string | null;
  email_error: string | null;
}

export type EmailStatus = 'not_sent' | 'sending' | 'sent' | 'failed';

/** An invitation mail's delivery in Commander's terms; no mail server configured means not_sent. */
function emailStatusOf(delivery: MailDelivery | undefined): Pick<InvitationView, 'email_status' | 'email_sent_at' | 'email_error'> {
  if (!delivery || delivery.transport === 'outbox') return { email_status: 'not_sent', email_sent_at: null, email_error: null };
  const email_status = delivery.sent_at ? 'sent' : delivery.error ? 'failed' : 'sending';
  return { email_status, email_sent_at: delivery.sent_at, email_error: delivery.error };
}

export interface AcceptedInvitation extends Record<Flag, boolean> {
  invitation_id: string;
  user_id: string;
  network_id: string;
  role: NetworkRole;
}

export interface PublicInvitationView extends Record<Flag, boolean> {
  email: string;
  network_name: string;
  invited_by_email: string | null;
  invited_by_name: string | null;
  role: NetworkRole;
  status: InvitationStatus;
  expires_at: string;
}

const notFound = () => errors.notFound('Invitation not found');
const expired = () => new RampartError({ code: 'gone', status: 410, message: 'Invitation has expired' });

/**
 * Invitations by email: whoever may invite users to a network mails a link carrying a one-off token; the
 * recipient, signed in, accepts it and becomes a member with the role and flags invited. The token is stored
 * hashed (for lookups) and sealed (so a resend mails the same link); the API returns it to its creator only.
 */
export function createInvitationService(deps: { core: Pick<Core, 'db' | 'now' | 'secrets' | 'mail' | 'config'>; access: NetworkAccessService }) {
  const { db, now, secrets, mail, config } = deps.core;
  const store = createInvitationStore(db);

  const statusOf = (r: OverlayInvitationRow, at = now().toISOString()): InvitationStatus => (r.status === 'pending' && r.expires_at <= at ? 'expired' : r.status);
  const flagsOf = (r: OverlayInvitationRow) => Object.fromEntries(FLAGS.map((f) => [f, db.dialect.fromBool(r[f])])) as Record<Flag, boolean>;

  /** Views as `callerId` sees them: the token only on the invitations that caller made. */
  async function views(records: InvitationRecord[], callerId: string | null): Promise<InvitationView[]> {
    const [users, deliveries] = await Promise.all([
      userLabels(db, records.map((r) => r.invited_by)),
      mail.deliveries(records.flatMap((r) => (r.mail_id ? [r.mail_id] : []))),
    ]);
    const at = now().toISOString();
    return records.map((r) => ({
      id: r.id,
      email: r.email,
      network_id: r.network_id,
      network_name: r.network_name,
      invited_by_user_id: r.invited_by,
      invited_by_email: users.get(r.invited_by)?.email ?? null,
      role: r.role,
      ...flagsOf(r),
      status: statusOf(r, at),
      expires_at: r.expires_at,
      accepted_at: r.accepted_at,
      accepted_by_user_id: r.accepted_by,
      created_at: r.created_at,
      token: callerId !== null && r.invited_by === callerId ? secrets.openString(r.token_sealed, TOKEN_CONTEXT) : null,
      ...emailStatusOf(r.mail_id ? deliveries.get(r.mail_id) : undefined),
    }));
  }

  async function view(id: string, callerId: string): Promise<InvitationView> {
    const record = await store.get(id);
    if (!record) throw notFound();
    return (await views([record], callerId))[0];
  }

  /** Mails the link and remembers the mail, whose delivery becomes the invitation's email_status. */
  async function sendMail(record: OverlayInvitationRow & { network_name: string }, token: string, inviterId: string): Promise<void> {
    const inviter = (await userLabels(db, [inviterId])).get(inviterId);
    const flags = flagsOf(record);
    const sent = await mail.send(
      invitationMail({
        to: record.email,
        networkName: record.network_name,
        inviter: inviter ? (inviter.email ? `${inviter.username} <${inviter.email}>` : inviter.username) : 'A Rampart user',
        role: record.role,
        permissions: FLAGS.filter((f) => flags[f]).map((f) => f.replace('can_', '').replace('_', ' ')),
        expiresAt: record.expires_at,
        publicUrl: config.overlay.public_url,
        token,
      }),
    );
    await store.recordMail(record.id, sent.id);
  }

  /** Only owners invite owners; other inviters hand out only the flags they hold themselves. */
  function assertMayGrant(caller: NetworkAccess, input: InvitationInput): void {
    if (caller.systemAdmin || caller.role === 'owner') return;
    if (input.role === 'owner') throw errors.forbidden('Only network owners can invite owners');
    const beyond = FLAGS.filter((f) => input[f] && !caller[f]);
    if (beyond.length) throw errors.forbidden(`You cannot grant permissions you do not hold: ${beyond.join(', ')}`);
  }

  /** The caller's capability on the invitation's network; someone who cannot see the network learns nothing of the invitation. */
  async function requireOn(principal: Principal, record: InvitationRecord, capability: 'invite_users' | 'owner'): Promise<void> {
    try {
      await deps.access.require(principal, record.network_id, capability);
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw notFound();
      throw err;
    }
  }

  /** The invitation a token names, still open: 404 unknown, 410 past expiry, 400 accepted or revoked. */
  async function openInvitation(token: string): Promise<InvitationRecord> {
    const record = await store.byTokenHash(hashInvitationToken(token));
    if (!record) throw notFound();
    const status = statusOf(record);
    if (status === 'expired') throw expired();
    if (status !== 'pending') throw errors.badRequest(`Invitation is ${status}`);
    return record;
  }

  return {
    async create(principal: Principal, input: InvitationInput): Promise<InvitationView> {
      const userId = callerUserId(principal);
      const caller = await deps.access.require(principal, input.network_id, 'invite_users');
      assertMayGrant(caller, input);
      const email = input.email.trim().toLowerCase();
      const network = caller.network;
      const at = now();
      if (await store.memberHasEmail(network.id, email)) throw errors.badRequest('User is already a member of this network');
      if (await store.pendingFor(network.id, email, at.toISOString())) throw errors.badRequest('There is already a pending invitation for this user to this network');

      const token = newInvitationToken();
      const row: OverlayInvitationRow = {
        id: randomUUID(),
        network_id: network.id,
        email,
        role: input.role,
        can_manage_nodes: db.dialect.toBool(input.can_manage_nodes ?? false),
        can_invite_users: db.dialect.toBool(input.can_invite_users ?? false),
        can_manage_firewall: db.dialect.toBool(input.can_manage_firewall ?? false),
        invited_by: userId,
        token_hash: hashInvitationToken(token),
        token_sealed: secrets.seal(token, TOKEN_CONTEXT),
        status: 'pending',
        expires_at: new Date(at.getTime() + input.expires_in_days * DAY_MS).toISOString(),
        accepted_by: null,
        accepted_at: null,
        mail_id: null,
        created_at: at.toISOString(),
      };
      await store.insert(row);
      await sendMail({ ...row, network_name: network.name }, token, userId);
      return view(row.id, userId);
    },

    /** Invitations of the networks the caller owns or may invite to; all of them for system administrators. */
    async list(principal: Principal, filter: { network_id?: string; status_filter?: InvitationStatus }, request: PageRequest): Promise<Page<InvitationView>> {
      const admin = isSystemAdmin(principal);
      if (principal.type !== 'user' && !admin) return { items: [], total: 0 };
      const page = await store.list({ visibleTo: admin ? undefined : principal.id, networkId: filter.network_id, status: filter.status_filter }, now().toISOString(), request);
      return { items: await views(page.items, principal.type === 'user' ? principal.id : null), total: page.total };
    },

    /** What the invitation page shows before the invitee signs in. */
    async publicView(token: string): Promise<PublicInvitationView> {
      const record = await openInvitation(token);
      const inviter = (await userLabels(db, [record.invited_by])).get(record.invited_by);
      return {
        email: record.email,
        network_name: record.network_name,
        invited_by_email: inviter?.email ?? null,
        invited_by_name: inviter?.username ?? null,
        role: record.role,
        ...flagsOf(record),
        status: 'pending',
        expires_at: record.expires_at,
      };
    },

    /** Makes the signed-in user a member with the invited role and flags. */
    async accept(principal: Principal, token: string): Promise<AcceptedInvitation> {
      const userId = callerUserId(principal);
      const record = await openInvitation(token);
      const user = await db.kysely.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      if (user?.email && user.email.toLowerCase() !== record.email.toLowerCase()) throw errors.forbidden('This invitation is for a different email address');
      const member = await db.kysely.selectFrom('overlay_network_permissions').select('user_id').where('network_id', '=', record.network_id).where('user_id', '=', userId).executeTakeFirst();
      if (member) throw errors.badRequest('You are already a member of this network');
      const at = now().toISOString();
      if (!(await store.settle(record.id, { status: 'accepted', accepted_by: userId, accepted_at: at }))) throw errors.badRequest('Invitation is no longer pending');
      await db.kysely
        .insertInto('overlay_network_permissions')
        .values({ network_id: record.network_id, user_id: userId, role: record.role, can_manage_nodes: record.can_manage_nodes, can_invite_users: record.can_invite_users, can_manage_firewall: record.can_manage_firewall, invited_by: record.invited_by, created_at: at })
        .execute();
      return { invitation_id: record.id, user_id: userId, network_id: record.network_id, role: record.role, ...flagsOf(record) };
    },

    /** Mails the same link again; pending invitations only. */
    async resend(principal: Principal, id: string): Promise<InvitationView> {
      const userId = callerUserId(principal);
      const record = await store.get(id);
      if (!record) throw notFound();
      await requireOn(principal, record, 'invite_users');
      if (statusOf(record) !== 'pending') throw errors.badRequest(`Can only resend pending invitations (this one is ${statusOf(record)})`);
      await sendMail(record, secrets.openString(record.token_sealed, TOKEN_CONTEXT), userId);
      return view(record.id, userId);
    },

    /** The inviter or an owner of the network (or a system administrator) revokes a pending invitation. */
    async revoke(principal: Principal, id: string): Promise<InvitationRecord> {
      const userId = callerUserId(principal);
      const record = await store.get(id);
      if (!record) throw notFound();
      if (record.invited_by !== userId) await requireOn(principal, record, 'owner');
      if (record.status === 'revoked') return record;
      if (record.status === 'accepted') throw errors.badRequest('Invitation is accepted: remove the member from the network instead');
      await store.settle(record.id, { status: 'revoked' });
      return record;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
