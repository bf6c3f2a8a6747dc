import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RampartError } from '../errors.js';
import type { Keyring } from './keyring.js';

/** Format version 1: AES-256-GCM, 12-byte random IV, 16-byte tag. */
const VERSION = 'rs1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = /^rs1\.([0-9a-f]{8})\.([A-Za-z0-9_-]+)$/;

/**
 * Encryption at rest for secrets stored in the database. Ciphertexts read `rs1.<key id>.<base64url(iv|data|tag)>`,
 * so they name the key that opens them (rotation finds what is still under an old key) and can change format later.
 * The context ("table.column") is authenticated: a ciphertext copied to another column does not open.
 */
export interface SecretBox {
  seal(plaintext: string | Buffer, context: string): string;
  open(ciphertext: string, context: string): Buffer;
  openString(ciphertext: string, context: string): string;
  /** True when the ciphertext is not under the active key (or is not a sealed value at all). */
  needsRotation(ciphertext: string): boolean;
  activeKeyId(): string;
}

export function createSecretBox(keyring: Keyring): SecretBox {
  const active = () => keyring.keys()[0];

  function open(ciphertext: string, context: string): Buffer {
    const m = FORMAT.exec(ciphertext);
    if (!m) throw undecryptable('not a sealed value', context);
    const key = keyring.find(m[1]);
    if (!key) throw undecryptable(`key ${m[1]} is not in the keyring`, context, m[1]);
    const raw = Buffer.from(m[2], 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw undecryptable('truncated', context, key.id);
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw undecryptable('authentication failed (altered, or sealed for another context)', context, key.id);
    }
  }

  return {
    seal(plaintext, context) {
      const { id, key } = active();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return `${VERSION}.${id}.${Buffer.concat([iv, data, cipher.getAuthTag()]).toString('base64url')}`;
    },
    open,
    openString: (ciphertext, context) => open(ciphertext, context).toString('utf8'),
    needsRotation(ciphertext) {
      return FORMAT.exec(ciphertext)?.[1] !== active().id;
    },
    activeKeyId: () => active().id,
  };
}

// The message names the reason and the key id only: never the ciphertext or anything derived from the plaintext.
function undecryptable(reason: string, context: string, keyId?: string): RampartError {
  return new RampartError({
    code: 'secret_undecryptable',
    status: 500,
    fault: 'server',
    message: `a stored secret cannot be decrypted: ${reason}`,
    details: { context, ...(keyId ? { key_id: keyId } : {}) },
  });
}
