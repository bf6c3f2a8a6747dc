import { z } from 'zod';
import { canarySchema, postureRequirementsSchema, ruleSchema } from './bundle.model.js';

/**
 * Response shapes of the policy part's routes, for the OpenAPI document (and so the console's generated types).
 * They restate what the services answer (BundleView, BundleDiff, SignerView, the SPC and posture answers).
 */
const channel = z.enum(['canary', 'stable']);
const signerState = z.enum(['next', 'active', 'retiring', 'retired']);

/** A stored rule: as published, with its id filled (normalizeRules). */
export const storedRule = ruleSchema.extend({ id: z.string() });

export const bundleView = z.object({
  id: z.string(),
  serial: z.number(),
  digest: z.string(),
  channel,
  status: z.enum(['canary', 'stable', 'superseded', 'rolled_back']),
  default_action: z.literal('deny'),
  posture: postureRequirementsSchema,
  rules: z.array(storedRule),
  canary: canarySchema.nullable(),
  notes: z.string().nullable(),
  source_bundle_id: z.string().nullable(),
  kid: z.string(),
  signature: z.string(),
  published_by: z.string(),
  published_at: z.string(),
});

export const bundlePage = z.object({ items: z.array(bundleView), next_cursor: z.string().nullable() });

const digestAt = z.object({ digest: z.string(), serial: z.number() });
export const bundleDiff = z.object({
  from: digestAt,
  to: digestAt,
  identical: z.boolean(),
  posture_changed: z.boolean(),
  added: z.array(storedRule),
  removed: z.array(storedRule),
  changed: z.array(z.object({ id: z.string(), fields: z.array(z.string()), from: storedRule, to: storedRule })),
});

/** GET /v1/policy/bundle: the device's signed bundle. */
export const deviceBundle = z.object({
  id: z.string(),
  serial: z.number(),
  digest: z.string(),
  channel,
  default_action: z.literal('deny'),
  posture: postureRequirementsSchema,
  rules: z.array(storedRule),
  kid: z.string(),
  signature: z.string(),
  published_at: z.string(),
});

export const deviceDigest = z.object({ digest: z.string(), serial: z.number(), channel, published_at: z.string() });

export const signerList = z.object({
  items: z.array(
    z.object({
      kid: z.string(),
      alg: z.literal('Ed25519'),
      public_key: z.string(),
      state: signerState,
      created_at: z.string(),
      activated_at: z.string().nullable(),
      retire_after: z.string().nullable(),
    }),
  ),
});

export const trustAnchors = z.object({
  serial: z.number(),
  anchors: z.array(
    z.object({ kid: z.string(), alg: z.literal('Ed25519'), public_key: z.string(), state: signerState, not_before: z.string(), not_after: z.string().nullable() }),
  ),
});

export const rotatedAnchors = trustAnchors.extend({ retiring: z.string(), active: z.string() });

export const issuedSpc = z.object({ spc: z.string(), serial: z.number(), expires_at: z.string(), kid: z.string() });

export const revokedSpcs = z.object({ revoked: z.array(z.number()) });

export const spcBundle = z.object({
  serial: z.number(),
  revoked: z.array(z.object({ serial: z.number(), expires_at: z.string() })),
  signer_kids: z.array(z.string()),
});

export const spcValidation = z.object({
  valid: z.boolean(),
  reason: z.enum(['malformed', 'unknown_kid', 'bad_signature', 'not_yet_valid', 'expired', 'revoked', 'superseded']).nullable(),
  claims: z.record(z.string(), z.unknown()).nullable(),
});

export const postureVerdict = z.object({
  verdict: z.enum(['compliant', 'noncompliant', 'unknown']),
  failed_checks: z.array(z.string()),
  recheck_after: z.number(),
});
