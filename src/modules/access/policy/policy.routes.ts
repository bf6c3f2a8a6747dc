import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { withEtag } from '../../../http/etag.js';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';
import { accessServices } from '../access.services.js';
import { canarySchema, duplicateRuleId, normalizeRules, postureRequirementsSchema, ruleSchema, type BundleContent } from './bundle.model.js';
import { diffBundles } from './bundle-diff.js';
import { etagOf } from './canonical.js';
import { postureFactsSchema } from './posture-checks.js';
import { DEFAULT_OVERLAP_SECONDS } from './signers.service.js';
import { SPC_MAX_TTL_S } from './spc.service.js';

const tags = ['access-policy'];
const surface = 'access' as const;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const publishBody = z
  .object({
    channel: z.enum(['canary', 'stable']),
    rules: z.array(ruleSchema).max(1000).optional(),
    bundle_id: z.uuid().optional(),
    default_action: z.literal('deny').default('deny'),
    posture: postureRequirementsSchema.optional(),
    canary: canarySchema.optional(),
    notes: z.string().max(1024).optional(),
  })
  .refine((b) => (b.rules === undefined) !== (b.bundle_id === undefined), 'give exactly one of rules and bundle_id')
  .refine((b) => b.bundle_id === undefined || b.posture === undefined, 'posture comes with rules, not with bundle_id')
  .refine((b) => b.channel === 'canary' || b.canary === undefined, 'canary selects devices for the canary channel only');
const published = z.object({ bundle_id: z.string(), serial: z.number(), digest: z.string(), channel: z.enum(['canary', 'stable']) });
const listQuery = z.object({
  channel: z.enum(['canary', 'stable']).optional(),
  status: z.enum(['canary', 'stable', 'superseded', 'rolled_back']).optional(),
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(200)).optional(),
  cursor: z.string().regex(/^\d{1,15}$/).transform(Number).optional(),
});
const ttlBody = z.object({ device_id: z.string().max(64).optional(), ttl_seconds: z.number().int().min(60).max(SPC_MAX_TTL_S).optional() }).default({});

const actor = (ctx: RouteContext<any>) => {
  const p = principalOf(ctx);
  return `${p.type}:${p.id}`;
};

/** Policy bundles, signers and trust anchors, SPCs and posture: the policy part's routes. */
export function policyRoutes(core: Core): RouteDefinition<any>[] {
  const { policy, callers } = accessServices(core);
  /** The calling device (401 without a device token, 403 unless it is active). */
  const device = async (ctx: RouteContext<any>) => (await callers.device(ctx)).device;
  const activeDevice = async (ctx: RouteContext<any>) => {
    const d = await device(ctx);
    policy.requireActive(d);
    return d;
  };
  /** A device, a gateway, or an admin principal holding the permission: the tenant to answer for. */
  const callerTenant = async (ctx: RouteContext<any>, adminPermission: string) => {
    const caller = await callers.any(ctx, { device: true, gateway: true, adminPermission });
    return caller.kind === 'device' ? caller.device.tenant_id : caller.kind === 'gateway' ? caller.tenant_id : DEFAULT_TENANT_ID;
  };

  return [
    defineRoute({
      method: 'POST', path: '/v1/admin/policy/publish', surface, tags, permission: 'access_policy:publish', audit: 'access.policy.publish',
      summary: 'Publish a policy bundle to stable, or to canary for a subset of devices (rules, or an earlier bundle_id)',
      schema: { body: publishBody, response: published },
      handler: async (ctx) => {
        const b = ctx.body;
        let content: BundleContent | undefined;
        if (b.rules) {
          const rules = normalizeRules(b.rules);
          const dup = duplicateRuleId(rules);
          if (dup !== undefined) throw errors.validation(`rules: id ${dup} is used twice (ids default to names)`);
          content = { default_action: b.default_action, posture: b.posture ?? postureRequirementsSchema.parse({}), rules };
        }
        const out = await policy.bundles.publish(DEFAULT_TENANT_ID, { channel: b.channel, content, bundle_id: b.bundle_id, canary: b.canary ?? null, notes: b.notes ?? null, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest, channel: out.channel });
        return out;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/policy/promote', surface, tags, permission: 'access_policy:publish', audit: 'access.policy.promote',
      summary: 'Promote the live canary bundle to stable (same digest, next serial); 409 when there is no canary',
      schema: { body: z.object({ bundle_id: z.uuid().optional() }).default({}), response: published },
      handler: async (ctx) => {
        const out = await policy.bundles.promote(DEFAULT_TENANT_ID, { bundle_id: ctx.body.bundle_id, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest });
        return out;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/policy/rollback', surface, tags, permission: 'access_policy:publish', audit: 'access.policy.rollback',
      summary: 'Roll back stable to an earlier bundle (the previous one by default) under a new serial, or end the canary',
      schema: { body: z.object({ channel: z.enum(['canary', 'stable']).default('stable'), bundle_id: z.uuid().optional() }).default({ channel: 'stable' }), response: published },
      handler: async (ctx) => {
        const out = await policy.bundles.rollback(DEFAULT_TENANT_ID, { channel: ctx.body.channel, bundle_id: ctx.body.bundle_id, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest, channel: ctx.body.channel });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/bundles', surface, tags, permission: 'access_policy:read',
      summary: 'Published bundles, newest serial first, by channel and status (limit 1-200, default 50; cursor = next_cursor)',
      schema: { query: listQuery },
      handler: (ctx) => policy.bundles.list(DEFAULT_TENANT_ID, { channel: ctx.query.channel, status: ctx.query.status, limit: ctx.query.limit ?? 50, cursor: ctx.query.cursor }),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/bundles/:id', surface, tags, permission: 'access_policy:read',
      summary: 'One published bundle with its rules, canary selector and signature',
      schema: { params: z.object({ id: z.uuid() }) },
      handler: (ctx) => policy.bundles.get(DEFAULT_TENANT_ID, ctx.params.id),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/diff', surface, tags, permission: 'access_policy:read',
      summary: 'Rule-level differences (added, removed, changed) between the bundles of two digests',
      schema: { query: z.object({ from: z.string().regex(DIGEST, 'a digest is sha256:<64 hex>'), to: z.string().regex(DIGEST, 'a digest is sha256:<64 hex>') }) },
      handler: async (ctx) => diffBundles(await policy.bundles.byDigest(DEFAULT_TENANT_ID, ctx.query.from), await policy.bundles.byDigest(DEFAULT_TENANT_ID, ctx.query.to)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/settings/signers', surface, tags, permission: 'access_trust:read',
      summary: 'The signing keys (public halves only) and their states: next, active, retiring, retired',
      schema: {},
      handler: async () => ({ items: await policy.signers.list(DEFAULT_TENANT_ID) }),
    }),
    defineRoute({
      method: 'POST', path: '/v1/trust/anchors/rotate', surface, tags, permission: 'access_trust:write', audit: 'access.trust.rotate',
      summary: 'Rotate signers: next becomes active, active retires after the overlap (and its last SPC), a new next appears',
      schema: { body: z.object({ overlap_seconds: z.number().int().min(0).max(90 * 24 * 3600).optional() }).default({}) },
      handler: async (ctx) => {
        const out = await policy.rotateAnchors(DEFAULT_TENANT_ID, ctx.body.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS);
        ctx.auditResource('access_signer', out.active, { retiring: out.retiring });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/trust/anchors', surface, tags, permission: 'public',
      summary: 'The public keys that verify bundles and SPCs now (ETag)',
      schema: {},
      handler: async (ctx) => {
        const body = await policy.signers.anchors(DEFAULT_TENANT_ID);
        return withEtag(ctx, etagOf(body), body);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/policy/bundle', surface, tags, permission: 'public', credentials: 'own',
      summary: "The calling device's bundle: the canary one when it is in the canary's subset, else stable (ETag)",
      schema: {},
      handler: async (ctx) => {
        const body = await policy.deviceBundle(await activeDevice(ctx));
        return withEtag(ctx, bundleEtag(body), body);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/policy/digest', surface, tags, permission: 'public', credentials: 'own', accessLog: 'debug',
      summary: "The digest and serial of the calling device's bundle, for cheap change checks (ETag as the bundle's)",
      schema: {},
      handler: async (ctx) => {
        const body = await policy.deviceDigest(await activeDevice(ctx));
        return withEtag(ctx, bundleEtag(body), body);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/spc/issue', surface, tags, permission: 'public', credentials: 'own',
      summary: 'Issue an SPC to the calling device (active, posture not noncompliant); 24 h by default, 7 days at most',
      schema: { body: ttlBody },
      handler: async (ctx) => {
        const d = await device(ctx);
        if (ctx.body.device_id !== undefined && ctx.body.device_id !== d.id) throw errors.forbidden('a device is issued its own SPCs only');
        return policy.issueSpc(d, ctx.body.ttl_seconds);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/spc/rotate', surface, tags, permission: 'public', credentials: 'own',
      summary: "A new SPC for the calling device; its previous ones are superseded (valid for a short grace)",
      schema: { body: ttlBody },
      handler: async (ctx) => {
        const d = await device(ctx);
        if (ctx.body.device_id !== undefined && ctx.body.device_id !== d.id) throw errors.forbidden('a device rotates its own SPCs only');
        return policy.rotateSpc(d, ctx.body.ttl_seconds);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/spc/revoke', surface, tags, permission: 'access_trust:write', audit: 'access.spc.revoke',
      summary: "Revoke one SPC by serial, or every live SPC of a device; entries are kept until each SPC's expiry",
      schema: {
        body: z
          .object({ serial: z.number().int().min(1).optional(), device_id: z.uuid().optional(), reason: z.string().min(1).max(256).default('revoked by an administrator') })
          .refine((b) => (b.serial === undefined) !== (b.device_id === undefined), 'give exactly one of serial and device_id'),
      },
      handler: async (ctx) => {
        const b = ctx.body;
        const out = b.serial !== undefined ? await policy.revokeSerial(DEFAULT_TENANT_ID, b.serial, b.reason) : await policy.revokeDevice(DEFAULT_TENANT_ID, b.device_id!, b.reason);
        ctx.auditResource('access_spc', b.serial !== undefined ? String(b.serial) : b.device_id, { revoked: out.revoked, reason: b.reason });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/spc/bundle', surface, tags, permission: 'public', credentials: 'own',
      summary: 'The SPC revocation set (unexpired entries) and the signer kids that verify SPCs, for a device, gateway or admin (ETag)',
      schema: {},
      handler: async (ctx) => {
        const body = await policy.spcs.bundle(await callerTenant(ctx, 'access_trust:read'));
        return withEtag(ctx, etagOf(body), body);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/spc/validate', surface, tags, permission: 'public',
      summary: 'Check an SPC: signature by a signer that verifies now, time window, revocation: {valid, reason, claims}',
      schema: { query: z.object({ spc: z.string().min(1).max(8192) }) },
      handler: (ctx) => policy.spcs.validate(null, ctx.query.spc),
    }),
    defineRoute({
      method: 'POST', path: '/v1/posture/assertion', surface, tags, permission: 'public', credentials: 'own',
      summary: "Report the calling device's posture facts; the verdict follows its bundle's requirements",
      schema: {
        body: z.object({ device_id: z.string().max(64).optional(), collected_at: z.iso.datetime({ offset: true }).optional(), facts: postureFactsSchema }),
      },
      handler: async (ctx) => {
        const d = await device(ctx);
        if (ctx.body.device_id !== undefined && ctx.body.device_id !== d.id) throw errors.forbidden('a device asserts its own posture only');
        return policy.assertPosture(d, ctx.body.facts, ctx.body.collected_at ?? null);
      },
    }),
  ];
}

/** Bundle and digest share a tag: the same content under the same serial. */
const bundleEtag = (b: { digest: string; serial: number }) => `"${b.digest.slice(7, 39)}-${b.serial}"`;
