import { z } from 'zod';
import type { Channel } from '../access.types.js';
import type { AccessTokenRow, TokenKind } from './enrollment.tables.js';

export const TOKEN_STATUSES = ['active', 'exhausted', 'expired', 'revoked'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** An enrollment token as the admin API shows it: never its secret, which generate returns once. */
export const tokenView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  prefix: z.string(),
  kind: z.enum(['device', 'gateway']),
  max_uses: z.number().int(),
  use_count: z.number().int(),
  expires_at: z.string(),
  bound_user_id: z.string().nullable(),
  bound_email: z.string().nullable(),
  auto_group_ids: z.array(z.string()),
  pool_id: z.string().nullable(),
  channel: z.enum(['canary', 'stable']).nullable(),
  approval_required: z.boolean(),
  status: z.enum(TOKEN_STATUSES),
  created_by: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenView>;

export interface TokenInput {
  name?: string;
  kind?: TokenKind;
  max_uses?: number;
  expires_at?: string;
  expires_in_s?: number;
  bound_user_id?: string | null;
  bound_email?: string | null;
  auto_group_ids?: string[];
  pool_id?: string | null;
  channel?: Channel | null;
  approval_required?: boolean;
  tenant_id?: string;
}

/** The computed status: revoked wins, then expired, then exhausted. */
export function tokenStatus(row: Pick<AccessTokenRow, 'revoked_at' | 'expires_at' | 'max_uses' | 'use_count'>, now: Date): TokenStatus {
  if (row.revoked_at) return 'revoked';
  if (Date.parse(row.expires_at) <= now.getTime()) return 'expired';
  if (row.max_uses > 0 && row.use_count >= row.max_uses) return 'exhausted';
  return 'active';
}

export function toTokenView(row: AccessTokenRow, groups: string[], now: Date): TokenView {
  const approval = row.approval_required === true || row.approval_required === 1;
  return {
    id: row.id, tenant_id: row.tenant_id, name: row.name, prefix: row.prefix, kind: row.kind, max_uses: row.max_uses,
    use_count: row.use_count, expires_at: row.expires_at, bound_user_id: row.bound_user_id, bound_email: row.bound_email,
    auto_group_ids: groups, pool_id: row.pool_id, channel: row.channel, approval_required: approval, status: tokenStatus(row, now), created_by: row.created_by,
    created_at: row.created_at, last_used_at: row.last_used_at, revoked_at: row.revoked_at,
  };
}
