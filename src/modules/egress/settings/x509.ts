import { X509Certificate } from 'node:crypto';
import { errors } from '../../../core/errors.js';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; 400 naming the field when there is none or one does not parse. */
export function parseCertificates(pem: string, field: string): X509Certificate[] {
  const blocks = typeof pem === 'string' ? pem.match(CERT_BLOCK) ?? [] : [];
  if (blocks.length === 0) throw errors.validation(`${field} must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw errors.validation(`${field}: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

/** Lowercase hex SHA-256 of the certificate's DER encoding. */
export function sha256Fingerprint(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}
