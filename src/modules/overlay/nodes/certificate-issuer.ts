import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { certificateToPem, fingerprint, signHost } from '../../../core/pki/nebula/index.js';
import { hostCidr, parseSubnet } from '../ipam/subnet.js';
import type { ActiveCa, NetworkCas } from '../networks/network-cas.js';
import type { OverlayCertificateRow, OverlayNetworkRow } from '../overlay.tables.js';
import type { CertificateStore } from './certificate.store.js';

const DAY_MS = 86_400_000;
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export interface IssueInput {
  network: OverlayNetworkRow;
  nodeId: string;
  hostname: string;
  ipAddress: string;
  groups: string[];
  publicKey: Uint8Array;
  /** Default: the network's default_cert_days. Clamped inside the CA's validity by signHost. */
  durationDays?: number | null;
  /** The network's active CA when the caller has read it already; read here otherwise. */
  ca?: ActiveCa;
}

export interface Issued {
  row: OverlayCertificateRow;
  pem: string;
  caPem: string;
}

/** Signs a host certificate with the network's active CA (in the network's certificate version) and records it. */
export function createCertificateIssuer(core: Pick<Core, 'now'>, cas: NetworkCas, certificates: CertificateStore) {
  return {
    async issue(input: IssueInput): Promise<Issued> {
      const { network } = input;
      const now = core.now();
      const active = input.ca ?? (await cas.active(network.id));
      const days = input.durationDays ?? network.default_cert_days;
      const cert = signHost({
        ca: active.ca,
        name: input.hostname,
        networks: [hostCidr(parseSubnet(network.subnet_cidr), input.ipAddress)],
        groups: input.groups,
        publicKey: input.publicKey,
        notAfter: new Date(now.getTime() + days * DAY_MS),
        version: network.cert_version === 2 ? 2 : 1,
        now,
      });
      const pem = certificateToPem(cert);
      const row: OverlayCertificateRow = {
        id: randomUUID(),
        network_id: network.id,
        node_id: input.nodeId,
        node_name: input.hostname,
        ca_id: active.id,
        ip_address: input.ipAddress,
        fingerprint: fingerprint(cert),
        certificate_pem: pem,
        issued_at: now.toISOString(),
        expires_at: iso(cert.details.notAfter),
        revoked_at: null,
      };
      await certificates.insert(row);
      return { row, pem, caPem: active.pem };
    },
  };
}

export type CertificateIssuer = ReturnType<typeof createCertificateIssuer>;
