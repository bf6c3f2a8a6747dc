import type { ActorType } from '../principal.js';

export type AuditResult = 'success' | 'failure' | 'denied';

export interface AuditEventInput {
  actor: { type: ActorType; id: string | null; name: string | null };
  action: string;
  resource?: { type: string; id?: string | null };
  result: AuditResult;
  clientIp?: string | null;
  userAgent?: string | null;
  correlationId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  occurred_at: string;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  result: AuditResult;
  client_ip: string | null;
  user_agent: string | null;
  correlation_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  action?: string;
  actorType?: ActorType;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  result?: AuditResult;
  correlationId?: string;
  /** Inclusive lower bound, RFC 3339. */
  since?: string;
  /** Exclusive upper bound, RFC 3339. */
  until?: string;
  /** Only events whose details carry this tenant_id (a module's tenant-scoped read of the one trail). */
  detailsTenantId?: string;
}

/** Newest first. Offset pages count the total; cursor pages are stable while new events arrive. */
export type AuditPage = { limit: number } & ({ offset: number; cursor?: undefined } | { cursor?: string; offset?: undefined });

export interface AuditList {
  items: AuditEvent[];
  /** Cursor for the next (older) page, null at the end. */
  next_cursor: string | null;
  /** Present for offset pagination. */
  total?: number;
}
