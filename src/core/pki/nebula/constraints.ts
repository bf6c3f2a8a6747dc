/** The limits a CA puts on what it signs; nebula rejects a certificate outside them, so Rampart never issues one. */
import type { RampartError } from '../../errors.js';
import { networkContains, parseNetwork } from './network.js';
import type { CertificateDetails } from './types.js';

export function assertWithinCa(cert: CertificateDetails, ca: CertificateDetails, fail: (reason: string) => RampartError): void {
  if (cert.notBefore < ca.notBefore) throw fail('it is valid before its CA');
  if (cert.notAfter > ca.notAfter) throw fail('it expires after its CA');
  const foreignGroups = ca.groups.length ? cert.groups.filter((g) => !ca.groups.includes(g)) : [];
  if (foreignGroups.length) throw fail(`groups ${foreignGroups.join(', ')} are not among the CA's groups (${ca.groups.join(', ')})`);
  const outside = (mine: string[], allowed: string[]) =>
    allowed.length ? mine.filter((n) => !allowed.some((a) => networkContains(parseNetwork(a), parseNetwork(n)))) : [];
  const strayNetworks = outside(cert.networks, ca.networks);
  if (strayNetworks.length) throw fail(`networks ${strayNetworks.join(', ')} are outside the CA's networks (${ca.networks.join(', ')})`);
  const strayUnsafe = outside(cert.unsafeNetworks, ca.unsafeNetworks);
  if (strayUnsafe.length) throw fail(`unsafe networks ${strayUnsafe.join(', ')} are outside the CA's (${ca.unsafeNetworks.join(', ')})`);
}
