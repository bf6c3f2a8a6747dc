import type { Database } from '../../../core/db/database.js';
import { paginate, type PageRequest } from '../../../core/db/paginate.js';
import type { OverlayCertificateRow } from '../overlay.tables.js';

/** overlay_certificates: every host certificate issued; revoked ones stay for pki.blocklist until they expire. */
export function createCertificateStore(db: Database, now: () => Date) {
  const valid = () => now().toISOString();

  /** The node's unrevoked, unexpired certificates, the current one first. */
  const currentCertificate = (nodeId: string) =>
    db.kysely
      .selectFrom('overlay_certificates as c')
      .innerJoin('overlay_cas as ca', 'ca.id', 'c.ca_id')
      .where('c.node_id', '=', nodeId)
      .where('c.revoked_at', 'is', null)
      .where('c.expires_at', '>', valid())
      // After a CA rotation a node holds two unrevoked certificates, possibly issued in the same millisecond: the active CA's wins.
      .orderBy('c.issued_at', 'desc')
      .orderBy('ca.active', 'desc')
      .orderBy('c.expires_at', 'desc');

  return {
    /** Held to go out with the unit's other last writes (db.defer): ids are fresh, so nothing can conflict. */
    async insert(row: OverlayCertificateRow): Promise<void> {
      await db.defer(db.kysely.insertInto('overlay_certificates').values(row));
    },

    /** The node's newest unrevoked, unexpired certificate: the one its config carries. */
    async current(nodeId: string): Promise<OverlayCertificateRow | undefined> {
      return currentCertificate(nodeId).selectAll('c').executeTakeFirst();
    },

    /** The current certificate's expiry and fingerprint of each node of the networks that has one. */
    async currentExpiries(networkIds: string[]): Promise<Map<string, Pick<OverlayCertificateRow, 'expires_at' | 'fingerprint'>>> {
      if (networkIds.length === 0) return new Map();
      const rows = await db.kysely
        .selectFrom('overlay_certificates')
        .innerJoin('overlay_cas as ca', 'ca.id', 'overlay_certificates.ca_id')
        .select(['overlay_certificates.node_id', 'overlay_certificates.expires_at', 'overlay_certificates.fingerprint'])
        .where('overlay_certificates.network_id', 'in', networkIds)
        .where('overlay_certificates.revoked_at', 'is', null)
        .where('overlay_certificates.node_id', 'is not', null)
        .where('overlay_certificates.expires_at', '>', valid())
        .orderBy('overlay_certificates.issued_at')
        .orderBy('ca.active')
        .orderBy('overlay_certificates.expires_at')
        .execute();
      // Ordered as current() prefers them, so each node's current certificate is written last.
      return new Map(rows.map((r) => [r.node_id!, { expires_at: r.expires_at, fingerprint: r.fingerprint }]));
    },

    /** Revokes every unrevoked certificate of the node (they enter the network's blocklist); returns how many. */
    async revokeAllOf(nodeId: string): Promise<number> {
      const result = await db.kysely
        .updateTable('overlay_certificates')
        .set({ revoked_at: now().toISOString() })
        .where('node_id', '=', nodeId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The network's revoked certificates that have not expired yet (pki.blocklist), with when each leaves it. */
    async blocklist(networkId: string): Promise<Pick<OverlayCertificateRow, 'fingerprint' | 'expires_at'>[]> {
      return db.kysely
        .selectFrom('overlay_certificates')
        .select(['fingerprint', 'expires_at'])
        .where('network_id', '=', networkId)
        .where('revoked_at', 'is not', null)
        .where('expires_at', '>', valid())
        .execute();
    },

    /**
     * The node's row with its current certificate (as current() picks it), in one read: what rendering a node's
     * config or certificate bundle needs of the node itself. Undefined when the node has no valid certificate.
     */
    async nodeWithCurrent(nodeId: string) {
      return currentCertificate(nodeId)
        .innerJoin('overlay_nodes as n', 'n.id', 'c.node_id')
        .selectAll('n')
        .select(['c.certificate_pem', 'c.expires_at as certificate_expires_at'])
        .limit(1)
        .executeTakeFirst();
    },

    async list(networkIds: string[], page: PageRequest) {
      if (networkIds.length === 0) return { items: [], total: 0 };
      return paginate(db.kysely
        .selectFrom('overlay_certificates as c')
        .innerJoin('overlay_networks as n', 'n.id', 'c.network_id')
        .select(['c.id', 'c.node_id', 'c.node_name', 'c.network_id', 'n.name as network_name', 'c.ip_address', 'c.issued_at', 'c.expires_at', 'c.revoked_at', 'c.fingerprint'])
        .where('c.network_id', 'in', networkIds)
        .orderBy('c.issued_at', 'desc')
        .orderBy('c.id'), page);
    },
  };
}

export type CertificateStore = ReturnType<typeof createCertificateStore>;
