import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { caPrivateKeyToPem, certificateToPem, createCa, fingerprint, loadCa, type NebulaCa } from '../../../core/pki/nebula/index.js';
import type { CertificateVersion } from '../../../core/pki/nebula/types.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { overlaySealedColumns } from '../overlay.sealed.js';
import type { OverlayCaRow } from '../overlay.tables.js';

const KEY_CONTEXT = sealContext(overlaySealedColumns.caPrivateKey);
/** Networks whose trusted CAs are remembered (trustedAsOf); the oldest remembered goes first. */
const REMEMBERED_NETWORKS = 1_000;
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export interface ActiveCa {
  id: string;
  ca: NebulaCa;
  pem: string;
  fingerprint: string;
}

/**
 * A CA per network. The active one signs; a rotation makes a new one active and keeps the old one trusted in
 * every config until it expires, so certificates it signed keep working while they are reissued. Opened CAs are
 * cached by id (a CA row never changes once written, only its active flag).
 */
export function createNetworkCas(core: Pick<Core, 'db' | 'secrets' | 'now' | 'config'>) {
  const { db } = core;
  const opened = new Map<string, NebulaCa>();
  /** Each network's CA rows as trusted() last read them, with the id of the active one then. */
  const remembered = new Map<string, { activeId: string; rows: OverlayCaRow[] }>();

  function open(row: OverlayCaRow): NebulaCa {
    let ca = opened.get(row.id);
    if (!ca) {
      ca = loadCa(row.certificate_pem, core.secrets.openString(row.private_key, KEY_CONTEXT));
      opened.set(row.id, ca);
    }
    return ca;
  }

  const activeCa = (row: OverlayCaRow): ActiveCa => ({ id: row.id, ca: open(row), pem: row.certificate_pem, fingerprint: row.fingerprint });
  return {
    /** Creates a CA for the network and makes it the active one (the previous one stays trusted). */
    async issue(networkId: string, networkName: string, version: CertificateVersion): Promise<OverlayCaRow> {
      const now = core.now();
      const ca = createCa({ name: networkName, validitySeconds: core.config.overlay.ca_validity_days * 86_400, version, now });
      const { notBefore, notAfter } = ca.certificate.details;
      const row: OverlayCaRow = {
        id: randomUUID(),
        network_id: networkId,
        certificate_pem: certificateToPem(ca.certificate),
        private_key: core.secrets.seal(caPrivateKeyToPem(ca.privateKey), KEY_CONTEXT),
        fingerprint: fingerprint(ca.certificate),
        not_before: iso(notBefore),
        not_after: iso(notAfter),
        active: db.dialect.toBool(true),
        created_at: now.toISOString(),
      };
      await db.kysely.updateTable('overlay_cas').set({ active: db.dialect.toBool(false) }).where('network_id', '=', networkId).execute();
      await db.kysely.insertInto('overlay_cas').values(row).execute();
      return row;
    },

    /** The CA that signs the network's certificates now. */
    async active(networkId: string): Promise<ActiveCa> {
      const row = await db.kysely.selectFrom('overlay_cas').selectAll().where('network_id', '=', networkId).where('active', '=', db.dialect.toBool(true)).executeTakeFirstOrThrow();
      return activeCa(row);
    },

    /**
     * The signing CA among rows `trusted` read (saves a second query where both are needed); read on its own when
     * the active one has expired and is not among them.
     */
    async activeAmong(networkId: string, trusted: OverlayCaRow[]): Promise<ActiveCa> {
      const row = trusted.find((r) => db.dialect.fromBool(r.active));
      return row ? activeCa(row) : this.active(networkId);
    },
    /**
     * trusted(), without a query while the network's active CA is still `activeId` (the caller read it with its
     * other checks). CA rows never change once written but for the active flag, which moves only to a new CA
     * (issue), so the rows read while that CA was active are still what the database holds, less expired ones.
     */
    async trustedAsOf(networkId: string, activeId: string | null): Promise<OverlayCaRow[]> {
      const known = remembered.get(networkId);
      if (known && known.activeId === activeId) {
        const at = core.now().toISOString();
        return known.rows.filter((row) => row.not_after > at);
      }
      const rows = await this.trusted(networkId);
      if (activeId !== null && rows.some((row) => row.id === activeId && db.dialect.fromBool(row.active))) {
        remembered.delete(networkId);
        if (remembered.size >= REMEMBERED_NETWORKS) remembered.delete(remembered.keys().next().value!);
        remembered.set(networkId, { activeId, rows });
      }
      return rows;
    },

    /** Every unexpired CA of the network, active first: what configs trust (pki.ca holds them all). */
    async trusted(networkId: string): Promise<OverlayCaRow[]> {
      const rows = await db.kysely
        .selectFrom('overlay_cas')
        .selectAll()
        .where('network_id', '=', networkId)
        .where('not_after', '>', core.now().toISOString())
        .orderBy('created_at', 'desc')
        .execute();
      return rows.sort((a, b) => Number(db.dialect.fromBool(b.active)) - Number(db.dialect.fromBool(a.active)));
    },
  };
}

export type NetworkCas = ReturnType<typeof createNetworkCas>;
