import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/**
 * The access licence: a JSON file `{"license": {...}, "signature": "<base64url Ed25519>"}`, the signature over the
 * canonical JSON of `license` (keys sorted at every depth, no whitespace). Pure: the server and `rampart license
 * inspect` share it.
 */

/** The vendor's licence-verifying key (raw Ed25519, base64url); access.license_public_key replaces it. */
export const BUILTIN_LICENSE_PUBLIC_KEY = 'n_-waLGCqQ_zR2uJ8tOtEwZmLsq30zp6rbwIobJ-Gp4';
export const DEFAULT_GRACE_DAYS = 14;

const limit = z.number().int().min(0).nullable().optional();
export const licenseLimits = z.object({ users: limit, devices: limit, gateways: limit, pools: limit, tenants: limit }).strict();

export const licensePayload = z.object({
  id: z.string().min(1).max(128),
  licensee: z.string().min(1).max(256),
  plan: z.string().min(1).max(64),
  issued_at: z.string().datetime({ offset: true }),
  not_before: z.string().datetime({ offset: true }).optional(),
  expires_at: z.string().datetime({ offset: true }),
  grace_days: z.number().int().min(0).max(365).optional(),
  limits: licenseLimits.default({}),
  features: z.array(z.string().max(64)).max(100).default([]),
});
export type LicensePayload = z.infer<typeof licensePayload>;
export type LicenseState = 'valid' | 'grace' | 'expired' | 'invalid' | 'missing';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** A raw 32-byte Ed25519 key (base64url or base64), or a PEM public key. */
export function licenseKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return createPublicKey(t);
  const raw = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (raw.length !== 32) throw new Error('the licence public key must be 32 raw bytes (base64) or a PEM public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Parses and verifies a licence file's text: the payload, or why it is invalid. */
export function readLicense(text: string, key: KeyObject): { ok: true; license: LicensePayload } | { ok: false; error: string; license?: unknown } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the licence file is not JSON' };
  }
  const shape = z.object({ license: z.record(z.string(), z.unknown()), signature: z.string().min(1).max(256) }).safeParse(doc);
  if (!shape.success) return { ok: false, error: 'the licence file needs "license" (an object) and "signature"' };
  const signature = Buffer.from(shape.data.signature, 'base64url');
  if (!verify(null, Buffer.from(canonicalJson(shape.data.license)), key, signature)) {
    return { ok: false, error: 'the licence signature does not verify with the configured public key', license: shape.data.license };
  }
  const parsed = licensePayload.safeParse(shape.data.license);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `license.${issue.path.join('.')}: ${issue.message}`, license: shape.data.license };
  }
  return { ok: true, license: parsed.data };
}

/** Where a verified licence stands at `now`: valid, grace (expired, within grace_days), or expired. */
export function licenseState(license: LicensePayload, now: Date): { state: 'valid' | 'grace' | 'expired' | 'invalid'; grace_until: string; error?: string } {
  const expires = Date.parse(license.expires_at);
  const graceUntil = new Date(expires + (license.grace_days ?? DEFAULT_GRACE_DAYS) * 86_400_000).toISOString();
  if (license.not_before && now.getTime() < Date.parse(license.not_before)) return { state: 'invalid', grace_until: graceUntil, error: 'the licence is not valid yet' };
  if (now.getTime() < expires) return { state: 'valid', grace_until: graceUntil };
  if (now.getTime() < Date.parse(graceUntil)) return { state: 'grace', grace_until: graceUntil };
  return { state: 'expired', grace_until: graceUntil };
}
