import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../core/config/load.js';
import { join } from 'node:path';
import { loadX509 } from '../core/pki/x509-generator.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of the certificate, colon-separated hex, as browsers and `openssl x509 -fingerprint` show it. */
  fingerprint: string;
  /** Whether this call generated the certificate. */
  generated: boolean;
  certFile: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALIDITY_DAYS = 825; // the longest validity browsers accept for a server certificate

/**
 * The operator's certificate when tls.cert_file/key_file are set; otherwise a self-signed ECDSA P-256 certificate
 * generated into <data_dir>/tls on first start and reused after.
 */
export async function loadOrCreateTls(opts: { certFile: string; keyFile: string; dataDir: string }): Promise<TlsMaterial> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile) throw new ConfigError('tls.cert_file', 'must be set together with tls.key_file');
    if (!opts.keyFile) throw new ConfigError('tls.key_file', 'must be set together with tls.cert_file');
    const cert = readPem('tls.cert_file', opts.certFile);
    const key = readPem('tls.key_file', opts.keyFile);
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      throw new ConfigError('tls.cert_file', `the certificate and key do not make a usable pair: ${(err as Error).message}`);
    }
    return material(cert, key, false, opts.certFile);
  }
  const dir = join(opts.dataDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return material(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), false, certFile);
  }
  const { cert, key } = await generateSelfSigned();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert, { mode: 0o644 });
  return material(cert, key, true, certFile);
}

export async function generateSelfSigned(host = hostname()): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const names = [
    { type: 'dns' as const, value: 'localhost' },
    { type: 'ip' as const, value: '127.0.0.1' },
    { type: 'ip' as const, value: '::1' },
    ...(host && host !== 'localhost' ? [{ type: 'dns' as const, value: host }] : []),
  ];
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      name: `CN=Rampart self-signed (${host})`,
      notBefore,
      notAfter: new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000),
      keys,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function material(cert: string, key: string, generated: boolean, certFile: string): TlsMaterial {
  const der = new X509Certificate(cert).raw;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return { cert, key, fingerprint: hex.match(/../g)!.join(':'), generated, certFile };
}
