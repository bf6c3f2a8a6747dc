import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { InvitationService } from '../workflows/invitations/invitation.service.js';

const tags = ['invitations'];
const role = z.enum(['owner', 'member']);
const status = z.enum(['pending', 'accepted', 'revoked', 'expired']);
const flags = { can_manage_nodes: z.boolean(), can_invite_users: z.boolean(), can_manage_firewall: z.boolean() };
const idParams = z.object({ invitation_id: z.string() });
const tokenParams = z.object({ token: z.string().max(256) });

const invitationView = z.object({
  id: z.string(),
  email: z.string(),
  network_id: z.string(),
  network_name: z.string(),
  invited_by_user_id: z.string(),
  invited_by_email: z.string().nullable(),
  role,
  ...flags,
  status,
  expires_at: z.string(),
  accepted_at: z.string().nullable(),
  accepted_by_user_id: z.string().nullable(),
  created_at: z.string(),
  token: z.string().nullable(),
  email_status: z.enum(['not_sent', 'sending', 'sent', 'failed']),
  email_sent_at: z.string().nullable(),
  email_error: z.string().nullable(),
});
const publicView = z.object({
  email: z.string(),
  network_name: z.string(),
  invited_by_email: z.string().nullable(),
  invited_by_name: z.string().nullable(),
  role,
  ...flags,
  status,
  expires_at: z.string(),
});

const createBody = z.object({
  email: z.email().max(320),
  network_id: z.string().min(1),
  role: role.default('member'),
  can_manage_nodes: z.boolean().default(false),
  can_invite_users: z.boolean().default(false),
  can_manage_firewall: z.boolean().default(false),
  expires_in_days: z.number().int().min(1).max(30).default(7),
});

/** /api/invitations: invite by email (a mailed link), look the link up without signing in, accept, resend, revoke. */
export function invitationsRoutes(invitations: InvitationService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/invitations', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.invitation.create',
      summary: 'Invite an email address to a network (can_invite_users; only owners invite owners) and mail the link (SMTP, or the outbox). 400 if already a member or invited',
      schema: { body: createBody, response: invitationView },
      handler: async (ctx) => {
        const invitation = await invitations.create(principalOf(ctx), ctx.body);
        ctx.auditResource('invitation', invitation.id, { network_id: invitation.network_id, email: invitation.email, role: invitation.role, expires_at: invitation.expires_at });
        return invitation;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/invitations', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List invitations of networks you own or may invite to (system admins: all), newest first; pending ones past expiry read expired; ${pageDoc()}`,
      schema: { query: z.object({ network_id: z.string().optional(), status_filter: status.optional(), ...pageQueryShape() }), response: z.array(invitationView) },
      handler: async (ctx) => itemsWithTotal(ctx, await invitations.list(principalOf(ctx), ctx.query, ctx.query)),
    }),
    defineRoute({
      method: 'GET', path: '/api/invitations/public/:token', surface: 'overlay', permission: 'public', tags,
      summary: 'Invitation details by token, without signing in. 404 unknown, 410 expired, 400 accepted or revoked',
      schema: { params: tokenParams, response: publicView, responses: { 410: { description: 'the invitation has expired' } } },
      handler: (ctx) => invitations.publicView(ctx.params.token),
    }),
    defineRoute({
      method: 'POST', path: '/api/invitations/:token/accept', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.invitation.accept',
      summary: 'Accept an invitation: you become a member with its role and flags. 410 expired; 403 if your email differs from the invited one; 400 if not pending or already a member',
      schema: {
        params: tokenParams,
        response: z.object({ message: z.string(), network_id: z.string(), role, ...flags }),
        responses: { 410: { description: 'the invitation has expired' } },
      },
      handler: async (ctx) => {
        const accepted = await invitations.accept(principalOf(ctx), ctx.params.token);
        ctx.auditResource('invitation', accepted.invitation_id, { network_id: accepted.network_id, user_id: accepted.user_id, role: accepted.role });
        const { invitation_id: _id, user_id: _user, ...membership } = accepted;
        return { message: 'Invitation accepted successfully', ...membership };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/invitations/:invitation_id/resend', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.invitation.resend',
      summary: 'Mail the invitation link again (pending invitations only; 400 otherwise)',
      schema: { params: idParams, response: invitationView },
      handler: async (ctx) => {
        ctx.auditResource('invitation', ctx.params.invitation_id);
        const invitation = await invitations.resend(principalOf(ctx), ctx.params.invitation_id);
        ctx.auditResource('invitation', invitation.id, { network_id: invitation.network_id, email: invitation.email });
        return invitation;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/invitations/:invitation_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.invitation.revoke',
      summary: 'Revoke an invitation (the inviter or a network owner); its link stops working',
      schema: { params: idParams },
      handler: async (ctx) => {
        ctx.auditResource('invitation', ctx.params.invitation_id);
        const record = await invitations.revoke(principalOf(ctx), ctx.params.invitation_id);
        ctx.auditResource('invitation', record.id, { network_id: record.network_id, email: record.email });
      },
    }),
  ];
}
