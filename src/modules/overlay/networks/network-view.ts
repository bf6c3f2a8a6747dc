import { z } from 'zod';
import type { Database } from '../../../core/db/database.js';
import type { NetworkAccess } from '../access/network-access.js';

/** The network object of every /api/networks response (docs/overlay.md: the shape all helpers share). */
export const networkView = z.object({
  id: z.string(),
  name: z.string(),
  subnet_cidr: z.string(),
  cert_version: z.number().int(),
  auto_approve_nodes: z.boolean(),
  default_cert_days: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  node_count: z.number().int(),
  role: z.enum(['owner', 'member']).nullable(),
  can_manage_nodes: z.boolean(),
  can_invite_users: z.boolean(),
  can_manage_firewall: z.boolean(),
  ca_fingerprint: z.string().nullable(),
  ca_expires_at: z.string().nullable(),
  ca_certificate: z.string().nullable(),
});
export type NetworkView = z.infer<typeof networkView>;

interface CaSummary {
  fingerprint: string;
  not_after: string;
  certificate_pem: string;
}

/**
 * Renders networks with their node counts and active CAs in two queries, whatever their number. CA data is null
 * for callers who may not read the network's secrets (system admins without an access grant).
 */
export async function renderNetworks(db: Database, accesses: NetworkAccess[]): Promise<NetworkView[]> {
  const ids = accesses.map((a) => a.network.id);
  if (ids.length === 0) return [];
  const counts = await db.kysely
    .selectFrom('overlay_nodes')
    .select(['network_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('network_id', 'in', ids)
    .groupBy('network_id')
    .execute();
  const nodeCount = new Map(counts.map((c) => [c.network_id, Number(c.n)]));
  const secretIds = accesses.filter((a) => a.canReadSecrets).map((a) => a.network.id);
  const cas = secretIds.length === 0 ? [] : await db.kysely
    .selectFrom('overlay_cas')
    .select(['network_id', 'fingerprint', 'not_after', 'certificate_pem'])
    .where('network_id', 'in', secretIds)
    .where('active', '=', db.dialect.toBool(true))
    .execute();
  const activeCa = new Map<string, CaSummary>(cas.map((c) => [c.network_id, c]));
  return accesses.map((a) => view(db, a, nodeCount.get(a.network.id) ?? 0, activeCa.get(a.network.id)));
}

function view(db: Database, a: NetworkAccess, nodeCount: number, ca: CaSummary | undefined): NetworkView {
  const n = a.network;
  return {
    id: n.id,
    name: n.name,
    subnet_cidr: n.subnet_cidr,
    cert_version: n.cert_version,
    auto_approve_nodes: db.dialect.fromBool(n.auto_approve_nodes),
    default_cert_days: n.default_cert_days,
    created_at: n.created_at,
    updated_at: n.updated_at,
    node_count: nodeCount,
    role: a.role,
    can_manage_nodes: a.can_manage_nodes,
    can_invite_users: a.can_invite_users,
    can_manage_firewall: a.can_manage_firewall,
    ca_fingerprint: ca?.fingerprint ?? null,
    ca_expires_at: ca?.not_after ?? null,
    ca_certificate: ca?.certificate_pem ?? null,
  };
}
