/**
 * `rampart agent device update --check`: signed agent updates (docs/access.md#agent-updates). The agent fetches
 * GET /v1/update/manifest, verifies its Ed25519 signature with the pinned update-signing key (from enrollment, or
 * --public-key), downloads GET /v1/update/package, checks its size and sha256 against the signed manifest, and only
 * then applies it: the package replaces the staged file at the install path atomically (temp file, fsync, rename)
 * and its version is recorded in the state. A supervisor (systemd's path unit, or the package manager's hook) picks
 * the staged package up and restarts the agent. Anything that does not verify is refused: nothing is written.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { compareVersions, manifestSigningInput, type UpdateManifest } from '../../modules/access/updates/update.protocol.js';
import { versionInfo } from '../../version.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { AccessClient, AccessHttpError, AccessNetworkError } from './http.js';
import { readAgentState, writeAgentState } from './state.js';

const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;

/** The update did not verify: nothing was applied. */
export class UpdateRefused extends Error {}

/** Throws UpdateRefused unless the manifest is well formed and signed by the pinned key. */
export function verifyManifest(m: UpdateManifest, publicKey: string): void {
  if (m?.algorithm !== 'Ed25519' || typeof m.signature !== 'string') throw new UpdateRefused('the manifest is not Ed25519-signed');
  if (typeof m.version !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256 ?? '') || !Number.isSafeInteger(m.size) || m.size < 0) {
    throw new UpdateRefused('the manifest lacks a version, sha256 or size');
  }
  let key;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  } catch {
    throw new UpdateRefused('the pinned update public key is not an Ed25519 key');
  }
  const ok = verify(null, Buffer.from(manifestSigningInput(m)), key, Buffer.from(m.signature, 'base64url'));
  if (!ok) throw new UpdateRefused(`the manifest of ${m.version} has a bad signature (not signed by the pinned update key)`);
}

/** Throws UpdateRefused unless the package is the one the (verified) manifest names. */
export function verifyPackage(m: UpdateManifest, bytes: Buffer): void {
  if (bytes.length !== m.size) throw new UpdateRefused(`package ${m.version} is ${bytes.length} bytes, the signed manifest says ${m.size}`);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== m.sha256) throw new UpdateRefused(`package ${m.version} has sha256 ${digest}, the signed manifest says ${m.sha256}`);
}

/** GET of raw bytes with the device's bearer (the JSON client caps answers at 8 MiB). */
function download(server: string, path: string, token: string, tls: { ca_file?: string; insecure?: boolean }, max: number): Promise<Buffer> {
  const target = new URL(server + path);
  const https = target.protocol === 'https:';
  const opts = https ? (tls.insecure ? { rejectUnauthorized: false } : tls.ca_file ? { ca: readFileSync(tls.ca_file, 'utf8') } : {}) : {};
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(target, { headers: { authorization: `Bearer ${token}` }, timeout: 120_000, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) req.destroy(new UpdateRefused(`the package is larger than the ${max} bytes the manifest allows`));
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) return resolve(body);
        let parsed: any;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        reject(new AccessHttpError(res.statusCode!, parsed?.error, parsed?.detail));
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 120s')));
    req.on('error', (err) => reject(err instanceof UpdateRefused || err instanceof AccessHttpError ? err : new AccessNetworkError(`cannot reach ${target.origin}: ${err.message}`)));
    req.end();
  });
}

export interface UpdateOptions {
  stateDir: string;
  /** Where the staged package lives; default <stateDir>/agent-package. */
  installPath?: string;
  platform?: string;
  channel?: string;
  /** Overrides the key pinned at enrollment (raw Ed25519, base64url). */
  publicKey?: string;
  /** Only report: download, verify and apply nothing. */
  checkOnly?: boolean;
}

export type UpdateResult =
  | { status: 'current'; version: string; available: string }
  | { status: 'available'; version: string; available: string }
  | { status: 'applied'; version: string; previous: string; path: string };

export const defaultPlatform = () => `${process.platform}-${process.arch}`;
export const installPathOf = (o: Pick<UpdateOptions, 'stateDir' | 'installPath'>) => o.installPath ?? join(o.stateDir, 'agent-package');

/** Checks the manifest and applies a newer verified package; throws UpdateRefused (nothing applied) otherwise. */
export async function checkForUpdate(o: UpdateOptions): Promise<UpdateResult> {
  const state = readAgentState(o.stateDir, 'device');
  const publicKey = o.publicKey ?? state.update_public_key;
  if (!publicKey) throw new UpdateRefused('no update public key is pinned: enrol again, or give --public-key');
  const current = state.update_version ?? versionInfo.rampart;
  const client = new AccessClient(state.server, state);
  const query = new URLSearchParams({ platform: o.platform ?? defaultPlatform(), channel: o.channel ?? 'stable' });
  const { body: manifest } = await client.request<UpdateManifest>('GET', `/v1/update/manifest?${query}`, { token: state.device_token });
  verifyManifest(manifest, publicKey);
  const newer = /^\d+\.\d+\.\d+/.test(current) ? compareVersions(manifest.version, current) > 0 : true;
  if (!newer) return { status: 'current', version: current, available: manifest.version };
  if (o.checkOnly) return { status: 'available', version: current, available: manifest.version };
  const pkgQuery = new URLSearchParams({ platform: manifest.platform, channel: manifest.channel, version: manifest.version });
  const bytes = await download(state.server, `/v1/update/package?${pkgQuery}`, state.device_token, state, Math.min(manifest.size, MAX_PACKAGE_BYTES));
  verifyPackage(manifest, bytes);
  const path = installPathOf(o);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes, 0o755);
  writeAgentState(o.stateDir, 'device', { ...state, update_version: manifest.version });
  return { status: 'applied', version: manifest.version, previous: current, path };
}
