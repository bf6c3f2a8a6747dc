import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { ACCESS_CHANGED, type AccessChange, DEFAULT_TENANT_ID } from '../access.types.js';
import { accessErrors } from '../common/access-errors.js';
import { BUILTIN_LICENSE_PUBLIC_KEY, licenseKey, licenseState, readLicense, type LicensePayload, type LicenseState } from './license-file.js';

export interface LicenseStatus {
  state: LicenseState;
  license_id: string | null;
  licensee: string | null;
  plan: string | null;
  limits: Record<string, number | null>;
  features: string[];
  issued_at: string | null;
  expires_at: string | null;
  grace_until: string | null;
  path: string;
  loaded_at: string | null;
  error: string | null;
}

interface Loaded {
  license: LicensePayload | null;
  /** Why the file on disk is not in force (missing, bad signature, unreadable). */
  error: string | null;
  missing: boolean;
  loaded_at: string;
}

/**
 * The access licence: read from access.license_file at first use and on reload (POST /v1/admin/license/reload, or
 * another node's reload through access.changed), verified against access.license_public_key (the built-in vendor key
 * when empty). A reload that finds a bad file keeps the licence in force and answers 422.
 */
export function createLicenseService(core: Core) {
  let loaded: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  const path = () => {
    const p = core.config.access.license_file || 'access-license.json';
    return isAbsolute(p) ? p : join(core.config.data_dir, p);
  };
  let key: KeyObject | undefined;
  const publicKey = () => (key ??= licenseKey(core.config.access.license_public_key || BUILTIN_LICENSE_PUBLIC_KEY));

  async function readDisk(): Promise<Loaded> {
    const at = core.now().toISOString();
    let text: string;
    try {
      text = await readFile(path(), 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      return { license: null, missing, error: missing ? null : `the licence file cannot be read: ${(err as Error).message}`, loaded_at: at };
    }
    const out = readLicense(text, publicKey());
    return out.ok ? { license: out.license, error: null, missing: false, loaded_at: at } : { license: null, error: out.error, missing: false, loaded_at: at };
  }

  async function current(): Promise<Loaded> {
    if (loaded) return loaded;
    loading ??= readDisk().then((l) => (loaded = l)).finally(() => (loading = undefined));
    return loading;
  }

  core.events.subscribe(ACCESS_CHANGED, (event) => {
    const change = event.payload as AccessChange;
    // Another node reloaded: read the file here too (this node's own reload already holds what it read).
    if (change.reason === 'license' && event.origin !== core.events.nodeId) void readDisk().then((l) => (loaded = l)).catch(() => {});
  });

  function statusOf(l: Loaded): LicenseStatus {
    const base = {
      path: path(), loaded_at: l.loaded_at, license_id: null, licensee: null, plan: null, limits: {}, features: [], issued_at: null, expires_at: null, grace_until: null,
    };
    if (!l.license) return { ...base, state: l.missing ? 'missing' : 'invalid', error: l.error };
    const s = licenseState(l.license, core.now());
    return {
      ...base, state: s.state, error: s.error ?? null, license_id: l.license.id, licensee: l.license.licensee, plan: l.license.plan,
      limits: { ...l.license.limits }, features: l.license.features, issued_at: l.license.issued_at, expires_at: l.license.expires_at, grace_until: s.grace_until,
    };
  }

  return {
    path,
    async status(): Promise<LicenseStatus> {
      return statusOf(await current());
    },

    /** The licence in force, with its state now (missing: none on disk; invalid: a bad file and nothing earlier). */
    async inForce(): Promise<{ license: LicensePayload | null; status: LicenseStatus }> {
      const l = await current();
      return { license: l.license, status: statusOf(l) };
    },

    /** Re-reads the file: a good one replaces the licence in force; a bad one is refused (422) and changes nothing. */
    async reload(): Promise<LicenseStatus> {
      const next = await readDisk();
      if (!next.license && !next.missing) throw accessErrors.invalid(next.error ?? 'the licence file is not valid');
      loaded = next;
      await core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: DEFAULT_TENANT_ID, reason: 'license' });
      return statusOf(next);
    },
  };
}

export type LicenseService = ReturnType<typeof createLicenseService>;
