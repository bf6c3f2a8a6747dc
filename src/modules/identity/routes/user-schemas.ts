import { z } from 'zod';
import { userView } from './common.js';

/** Input and output shapes the user routes of several surfaces share. */

export const userStatus = z.enum(['active', 'suspended', 'disabled']);
export const username = z.string().min(1).max(64);
export const password = z.string().min(1).max(1024);
export const email = z.string().max(254);
export const displayName = z.string().max(200);
export const roleNames = z.array(z.string().min(1).max(64)).max(50);

/** The edge's user: the shared view plus the single role and enabled flag AiFw clients read. */
export const edgeUserView = userView.extend({
  role: z.string().nullable(), enabled: z.boolean(), totp_enabled: z.boolean(),
  /** AiFw's 'local' or an OAuth provider; Rampart's users sign in with a password or SSO alike ('local'). */
  auth_provider: z.string(),
});

export const roleView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  builtin: z.boolean(),
  permissions: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});

export const auditEventView = z.object({
  id: z.string(),
  occurred_at: z.string(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  actor_name: z.string().nullable(),
  action: z.string(),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  result: z.enum(['success', 'failure', 'denied']),
  client_ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  correlation_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
