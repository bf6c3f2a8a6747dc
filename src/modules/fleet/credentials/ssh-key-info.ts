import { createHash, createPublicKey } from 'node:crypto';
import { lazyRequire } from '../../../core/lazy-require.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');
import { RampartError } from '../../../core/errors.js';

const invalidKey = (message: string) => new RampartError({ code: 'credentials.invalid_key', status: 400, message, details: { field: 'private_key' } });

export interface SshKeyInfo {
  /** SHA256:<base64 without padding> of the public key blob, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** ed25519, rsa, ecdsa ... (the key type without its ssh- prefix). */
  type: string;
  bits: number;
  comment: string | null;
}

/**
 * Reads a private key in memory (OpenSSH, PEM or PuTTY formats, as ssh2 accepts them), with its passphrase.
 * A key that does not parse, a public key, or a wrong or missing passphrase is a 400.
 */
export function sshKeyInfo(privateKey: string, passphrase?: string): SshKeyInfo {
  const parsed = ssh2().utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) throw invalidKey(`private_key could not be read: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) throw invalidKey('private_key must be a private key');
  const blob = key.getPublicSSH();
  return {
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    type: key.type.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa'),
    bits: keyBits(key.type, key.getPublicPEM()),
    comment: key.comment || null,
  };
}

function keyBits(type: string, publicPem: string): number {
  if (type === 'ssh-ed25519') return 256;
  const curve = /nistp(\d+)$/.exec(type);
  if (curve) return Number(curve[1]);
  const details = createPublicKey(publicPem).asymmetricKeyDetails;
  return details?.modulusLength ?? 0;
}
