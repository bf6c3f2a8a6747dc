import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { isSystemAdmin } from '../access/network-access.js';

const mailView = z.object({
  id: z.string(),
  recipient: z.string(),
  subject: z.string(),
  body: z.string(),
  transport: z.enum(['smtp', 'outbox']),
  created_at: z.string(),
  sent_at: z.string().nullable(),
  error: z.string().nullable(),
});

/**
 * GET /api/mail/outbox (a Rampart extension): the mails Rampart sent or, without an SMTP server, keeps for an
 * administrator to pass on. Bodies carry invitation links, so reading them takes audit:read AND system
 * administration: an auditor reviews the trail but must not be able to accept other people's invitations.
 */
export function mailOutboxRoutes(core: Pick<Core, 'mail'>): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/mail/outbox', surface: 'overlay', permission: 'audit:read', tags: ['mail'],
      summary: 'Mails queued or sent, newest first, bodies included (system admins; Rampart extension). ?limit (1-200, default 50), ?offset',
      schema: {
        query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).default(0) }),
        response: z.array(mailView),
      },
      handler: (ctx) => {
        if (!ctx.principal || !isSystemAdmin(ctx.principal)) throw errors.forbidden('reading the mail outbox needs a system admin (its mails carry invitation links)');
        return core.mail.list(ctx.query);
      },
    }),
  ];
}
