import { z } from 'zod';
import type { DialectHelpers } from '../../../core/db/dialect.js';
import type { NodeStatus, OverlayCertificateRow, OverlayNodeRow } from '../overlay.tables.js';

/** A node as the API shows it (never its private key). */
export const nodeView = z.object({
  id: z.string(),
  network_id: z.string(),
  hostname: z.string(),
  ip_address: z.string().nullable(),
  groups: z.array(z.string()),
  is_lighthouse: z.boolean(),
  is_relay: z.boolean(),
  public_endpoint: z.string().nullable(),
  lighthouse_options: z.record(z.string(), z.unknown()).nullable(),
  logging_options: z.record(z.string(), z.unknown()).nullable(),
  punchy_options: z.record(z.string(), z.unknown()).nullable(),
  tun_device: z.string().nullable(),
  status: z.enum(['pending', 'active', 'offline', 'revoked']),
  last_seen: z.string().nullable(),
  first_polled_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  cert_expires_at: z.string().nullable(),
  cert_fingerprint: z.string().nullable(),
});
export type NodeView = z.infer<typeof nodeView>;

/** Offline is not stored: an active node that has not sent a heartbeat for offlineAfterS reads as offline. */
export function effectiveStatus(row: Pick<OverlayNodeRow, 'status' | 'last_seen_at'>, now: Date, offlineAfterS: number): NodeStatus {
  if (row.status !== 'active' && row.status !== 'offline') return row.status;
  const seen = row.last_seen_at ? Date.parse(row.last_seen_at) : 0;
  return now.getTime() - seen > offlineAfterS * 1000 ? 'offline' : 'active';
}

/** What a view shows of the node's current certificate. */
export type CurrentCertificate = Pick<OverlayCertificateRow, 'expires_at' | 'fingerprint'>;

export function toNodeView(row: OverlayNodeRow, cert: CurrentCertificate | null, dialect: DialectHelpers, now: Date, offlineAfterS: number): NodeView {
  const json = (v: unknown) => (v == null ? null : dialect.fromJson<Record<string, unknown>>(v));
  return {
    id: row.id,
    network_id: row.network_id,
    hostname: row.hostname,
    ip_address: row.ip_address,
    groups: dialect.fromJson<string[]>(row.groups),
    is_lighthouse: dialect.fromBool(row.is_lighthouse),
    is_relay: dialect.fromBool(row.is_relay),
    public_endpoint: row.public_endpoint,
    lighthouse_options: json(row.lighthouse_options),
    logging_options: json(row.logging_options),
    punchy_options: json(row.punchy_options),
    tun_device: row.tun_device,
    status: effectiveStatus(row, now, offlineAfterS),
    last_seen: row.last_seen_at,
    first_polled_at: row.first_polled_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    cert_expires_at: cert?.expires_at ?? null,
    cert_fingerprint: cert?.fingerprint ?? null,
  };
}
