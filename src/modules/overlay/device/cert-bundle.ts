import { strToU8, zipSync } from 'fflate';

export interface CertBundleInput {
  hostname: string;
  caPem: string;
  certPem: string;
  /** Only when Rampart holds the node's key (/certificates/create). */
  keyPem: string | null;
}

function readme({ hostname, keyPem }: CertBundleInput): string {
  return [
    `Nebula certificates for ${hostname}, issued by Rampart.`,
    '',
    'ca.crt    the CA certificate(s) this network trusts (pki.ca)',
    'host.crt  this host\'s certificate (pki.cert)',
    keyPem ? 'host.key  this host\'s private key (pki.key): keep it secret, e.g. chmod 600' : 'host.key  not included: this host keeps its own private key',
    '',
    'Point pki.ca, pki.cert and pki.key of config.yml at these files, or fetch the whole config',
    'with the device token: GET /api/device/config.',
    '',
  ].join('\n');
}

/** The ZIP of GET /nodes/{id}/certs and /device/certs: ca.crt, host.crt, host.key when stored, README.txt. */
export function certBundle(input: CertBundleInput): Uint8Array {
  const files: Record<string, Uint8Array> = {
    'ca.crt': strToU8(input.caPem),
    'host.crt': strToU8(input.certPem),
    'README.txt': strToU8(readme(input)),
  };
  if (input.keyPem) files['host.key'] = strToU8(input.keyPem);
  return zipSync(files, { level: 6 });
}
