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
  /** Nebula Commander's summary counts: groups with firewall rules, DNS aliases, members. */
  group_count: z.number().int(),
  dns_entry_count: z.number().int(),
  user_count: z.number().int(),
  /** Always 25519: Rampart's CAs are ed25519 and its hosts X25519 (Commander also offers P256). */
  cert_curve: z.literal('25519'),
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

type Counts = Pick<NetworkView, 'node_count' | 'group_count' | 'dns_entry_count' | 'user_count'>;

/** The rows per network of a table keyed by network_id, in one grouped query. */
async function countPerNetwork(db: Database, table: 'overlay_nodes' | 'overlay_group_firewalls' | 'overlay_dns_aliases' | 'overlay_network_permissions', ids: string[]) {
  const rows = await db.kysely
    .selectFrom(table)
    .select(['network_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('network_id', 'in', ids)
    .groupBy('network_id')
    .execute();
  return new Map(rows.map((r) => [r.network_id, Number(r.n)]));
}

/**
 * Renders networks with their counts and active CAs in five queries, whatever their number. CA data is null
 * for callers who may not read the network's secrets (system admins without an access grant).
 */
export async function renderNetworks(db: Database, accesses: NetworkAccess[]): Promise<NetworkView[]> {
  const ids = accesses.map((a) => a.network.id);
  if (ids.length === 0) return [];
  const [nodes, groups, aliases, users] = await Promise.all(
    (['overlay_nodes', 'overlay_group_firewalls', 'overlay_dns_aliases', 'overlay_network_permissions'] as const).map((t) => countPerNetwork(db, t, ids)),
  );
  const countsOf = (id: string): Counts => ({
    node_count: nodes.get(id) ?? 0,
    group_count: groups.get(id) ?? 0,
    dns_entry_count: aliases.get(id) ?? 0,
    user_count: users.get(id) ?? 0,
  });
  const secretIds = accesses.filter((a) => a.canReadSecrets).map((a) => a.network.id);
  const cas = secretIds.length === 0 ? [] : await db.kysely
    .selectFrom('overlay_cas')
    .select(['network_id', 'fingerprint', 'not_after', 'certificate_pem'])
    .where('network_id', 'in', secretIds)
    .where('active', '=', db.dialect.toBool(true))
    .execute();
  const activeCa = new Map<string, CaSummary>(cas.map((c) => [c.network_id, c]));
  return accesses.map((a) => view(db, a, countsOf(a.network.id), activeCa.get(a.network.id)));
}

function view(db: Database, a: NetworkAccess, counts: Counts, ca: CaSummary | undefined): NetworkView {
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
    ...counts,
    cert_curve: '25519',
    role: a.role,
    can_manage_nodes: a.can_manage_nodes,
    can_invite_users: a.can_invite_users,
    can_manage_firewall: a.can_manage_firewall,
    ca_fingerprint: ca?.fingerprint ?? null,
    ca_expires_at: ca?.not_after ?? null,
    ca_certificate: ca?.certificate_pem ?? null,
  };
}
