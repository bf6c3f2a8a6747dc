import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import type { RampartConfig } from '../config/schema.js';

export const KEY_BYTES = 32;

export interface SecretKey {
  /** First 8 hex chars of sha256(key): names the key in ciphertexts without revealing it. */
  id: string;
  key: Buffer;
}

export type KeySource = { kind: 'file'; path: string; created: boolean } | { kind: 'config' };

/** The keys the secret box may use: the first seals, all of them open. */
export interface Keyring {
  /** Active key first, then older keys kept only while a rotation runs. */
  keys(): readonly SecretKey[];
  find(id: string): SecretKey | undefined;
  readonly source: KeySource;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The key file in use: secrets.key_file, or <data_dir>/secret.key. */
export function keyFilePath(config: Pick<RampartConfig, 'data_dir' | 'secrets'>): string {
  return config.secrets.key_file ? resolve(config.data_dir, config.secrets.key_file) : join(config.data_dir, 'secret.key');
}

/**
 * The keyring for this configuration: the keys of `secrets.key` when set, else the key file, created with a fresh
 * key on first start.
 */
export function loadKeyring(config: Pick<RampartConfig, 'data_dir' | 'secrets'>): Keyring {
  if (config.secrets.key) return staticKeyring(parseConfigKeys(config.secrets.key), { kind: 'config' });
  return fileKeyring(keyFilePath(config));
}

/** A keyring over fixed keys (newest first); identical keys are listed once. */
export function staticKeyring(keys: Buffer[], source: KeySource = { kind: 'config' }): Keyring {
  const ring = toRing(keys);
  return { keys: () => ring, find: (id) => ring.find((k) => k.id === id), source };
}

/**
 * A keyring over a key file, created when missing. The file is read again whenever it is replaced, so a running
 * server starts sealing under the new key as soon as `rampart secrets rotate` writes it, and can open what the
 * rotation re-encrypts.
 */
export function fileKeyring(path: string): Keyring {
  const created = createKeyFileIfMissing(path);
  let seen = statSync(path);
  let ring = toRing(readKeyFile(path));
  const current = () => {
    const st = statSync(path, { throwIfNoEntry: false });
    // A vanished file keeps the keys already loaded; a replaced one (rename: new inode, new ctime) is read again.
    if (st && !sameFile(st, seen)) {
      ring = toRing(readKeyFile(path));
      seen = st;
    }
    return ring;
  };
  return {
    keys: current,
    find: (id) => current().find((k) => k.id === id),
    source: { kind: 'file', path, created },
  };
}

/** The keys of a key file, newest first; refuses a file others can read and malformed keys. */
export function readKeyFile(path: string): Buffer[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new ConfigError('secrets.key_file', `${path} does not exist`);
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError('secrets.key_file', `${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`);
  }
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim());
  const keys: Buffer[] = [];
  lines.forEach((line, i) => {
    if (line === '') return;
    const key = decodeKey(line);
    if (!key) throw new ConfigError('secrets.key_file', `${path} line ${i + 1} is not a base64-encoded ${KEY_BYTES}-byte key`);
    keys.push(key);
  });
  if (keys.length === 0) throw new ConfigError('secrets.key_file', `${path} holds no key`);
  return keys;
}

/** The keys of `secrets.key`: base64, newest first, comma separated. */
export function parseConfigKeys(value: string): Buffer[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError('secrets.key', 'holds no key');
  return parts.map((part, i) => {
    const key = decodeKey(part);
    if (!key) throw new ConfigError('secrets.key', `key ${i + 1} is not a base64-encoded ${KEY_BYTES}-byte key`);
    return key;
  });
}

/**
 * Replaces the key file atomically: a synced temp file (0600) renamed over it, so a crash leaves either the old
 * or the new file, never a torn one.
 */
export function writeKeyFile(path: string, keys: Buffer[]): void {
  const tmp = writeTemp(path, keys);
  renameSync(tmp, path);
  syncDir(dirname(path));
}

function createKeyFileIfMissing(path: string): boolean {
  if (statSync(path, { throwIfNoEntry: false })) return false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = writeTemp(path, [generateKey()]);
  try {
    // link fails when the file exists: two processes starting at once agree on one key.
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    unlinkSync(tmp);
  }
  syncDir(dirname(path));
  return true;
}

function writeTemp(path: string, keys: Buffer[]): string {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, keys.map((k) => `${k.toString('base64')}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems cannot sync a directory; the rename itself is still atomic.
  }
}

function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

function toRing(keys: Buffer[]): SecretKey[] {
  const ring: SecretKey[] = [];
  for (const key of keys) {
    const id = keyId(key);
    if (!ring.some((k) => k.id === id)) ring.push({ id, key });
  }
  return ring;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size;
}
