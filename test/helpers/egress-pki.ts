// @peculiar/x509 resolves its providers through tsyringe, which needs the reflect polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestKeyPair {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** PKCS#8 DER. */
  keyDer: Buffer;
}

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
const keysOf = async () => (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;

async function pair(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<TestKeyPair & { keys: CryptoKeyPair; cert: x509.X509Certificate }> {
  const keyDer = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', keyPem: x509.PemConverter.encode(keyDer, 'PRIVATE KEY') + '\n', keyDer, keys, cert };
}

/** A self-signed certificate: a CA (basicConstraints CA:TRUE) unless ca is false. */
export async function selfSigned(opts: { name?: string; ca?: boolean } = {}) {
  const keys = await keysOf();
  const ca = opts.ca ?? true;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${opts.name ?? 'Test CA'}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.BasicConstraintsExtension(ca, undefined, true),
        new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    crypto,
  );
  return pair(cert, keys);
}

/** A server certificate for 127.0.0.1 and localhost, signed by the CA. */
export async function serverCertificate(ca: Awaited<ReturnType<typeof selfSigned>>): Promise<TestKeyPair> {
  const keys = await keysOf();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: 'CN=kube-apiserver',
      issuer: ca.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    },
    crypto,
  );
  return pair(cert, keys);
}
