/**
 * Signed agent updates (docs/access.md#agent-updates). Packages are published by dropping files into the update
 * directory (access.update_dir, default <data_dir>/access-updates) as `<channel>/<platform>/<version>`; the highest
 * version of a channel and platform is the one offered. The manifest names it with its sha256 and size, signed with
 * Ed25519 by the install's update-signing key (created on first use, private key sealed at rest); devices get the
 * public key in their enroll answer (`update_public_key`) or have it pinned, and verify before applying anything.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import type { AccessHooks } from '../access.types.js';
import { compareVersions, manifestSigningInput, type UpdateManifest } from './update.protocol.js';
import { updateSealedColumn } from './updates.migrations.js';
import './updates.tables.js';

export const CHANNELS = ['stable', 'canary'] as const;
export const PLATFORM = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]{1,32})?$/;

export function createUpdateService(core: Core) {
  const context = sealContext(updateSealedColumn);
  let key: Promise<{ kid: string; public_key: string; privateKey: KeyObject }> | undefined;
  const digests = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

  const dir = () => {
    const p = core.config.access.update_dir || 'access-updates';
    return isAbsolute(p) ? p : join(core.config.data_dir, p);
  };

  async function loadKey() {
    const k = core.db.kysely;
    let row = await k.selectFrom('access_update_keys').selectAll().orderBy('created_at').orderBy('kid').executeTakeFirst();
    if (!row) {
      const pair = generateKeyPairSync('ed25519');
      const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
      await k.insertInto('access_update_keys').values({
        kid: `u-${randomUUID()}`,
        public_key: pair.publicKey.export({ format: 'jwk' }).x!,
        private_key_sealed: core.secrets.seal(der, context),
        created_at: core.now().toISOString(),
      }).execute();
      // Two nodes creating it at once: both keep the first row.
      row = await k.selectFrom('access_update_keys').selectAll().orderBy('created_at').orderBy('kid').executeTakeFirstOrThrow();
    }
    const privateKey = createPrivateKey({ key: core.secrets.open(row.private_key_sealed, context), format: 'der', type: 'pkcs8' });
    return { kid: row.kid, public_key: row.public_key, privateKey };
  }

  /** The update-signing key (created on first use). */
  function signingKey() {
    key ??= loadKey().catch((err) => {
      key = undefined;
      throw err;
    });
    return key;
  }

  /** The newest published package of a channel and platform: its file, or 404. */
  function latest(channel: string, platform: string): { version: string; file: string; min_supported: string | null } {
    const base = join(dir(), channel, platform);
    let names: string[] = [];
    try {
      names = readdirSync(base).filter((n) => VERSION.test(n));
    } catch {
      // no directory: nothing published
    }
    const version = names.sort(compareVersions).at(-1);
    if (!version) throw errors.notFound(`no agent package published for ${platform} on the ${channel} channel`);
    let min: string | null = null;
    try {
      min = readFileSync(join(base, 'min_supported'), 'utf8').trim();
    } catch {
      // optional
    }
    return { version, file: join(base, version), min_supported: min && VERSION.test(min) ? min : null };
  }

  /** The file's sha256, computed once per (mtime, size). */
  function digestOf(file: string): { sha256: string; size: number } {
    const st = statSync(file);
    const cached = digests.get(file);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached;
    const entry = { mtimeMs: st.mtimeMs, size: st.size, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
    digests.set(file, entry);
    return entry;
  }

  async function manifest(channel: string, platform: string): Promise<UpdateManifest> {
    const pkg = latest(channel, platform);
    const { sha256, size } = digestOf(pkg.file);
    const k = await signingKey();
    const body = { version: pkg.version, min_supported: pkg.min_supported, channel, platform, sha256, size };
    const url = `/v1/update/package?${new URLSearchParams({ platform, channel, version: pkg.version })}`;
    const signature = sign(null, Buffer.from(manifestSigningInput(body)), k.privateKey).toString('base64url');
    return { ...body, url, algorithm: 'Ed25519', kid: k.kid, signature };
  }

  /** The package file of a version (the newest when none is named): a stream with its digest and size. */
  function packageFile(channel: string, platform: string, version?: string) {
    const newest = latest(channel, platform);
    if (version !== undefined && version !== newest.version) {
      const file = join(dir(), channel, platform, version);
      if (!VERSION.test(version) || !statSafe(file)) throw errors.notFound(`agent package ${version} for ${platform} on the ${channel} channel not found`);
      return { version, ...digestOf(file), stream: () => createReadStream(file) };
    }
    return { version: newest.version, ...digestOf(newest.file), stream: () => createReadStream(newest.file) };
  }

  return {
    manifest,
    packageFile,
    signingKey,
    publicKey: async () => {
      const k = await signingKey();
      return { kid: k.kid, public_key: k.public_key };
    },
  };
}

function statSafe(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Adds the update-signing public key to the enroll answer (devices pin it to verify manifests). */
export function createUpdatesPart(core: Core, hooks: AccessHooks) {
  const updates = createUpdateService(core);
  const policyFields = hooks.enrollmentPolicy;
  hooks.enrollmentPolicy = async (device) => {
    const k = await updates.publicKey();
    return { ...(await policyFields(device)), update_public_key: k.public_key, update_key_id: k.kid };
  };
  return updates;
}
