import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { ifNoneMatchHits, withEtag } from '../../../http/etag.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { canarySchema, duplicateRuleId, normalizeRules, postureRequirementsSchema, ruleSchema, type BundleContent } from './bundle.model.js';
import { diffBundles } from './bundle-diff.js';
import { actor, policyCallers, surface, tags } from './policy-route-kit.js';
import { bundleDiff, bundlePage, bundleView, deviceBundle, deviceDigest } from './policy.responses.js';

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

/**
 * Bundle and digest share a tag: the same content under the same serial, signed by the same key (a signer rotation
 * signs the live bundles again, and devices must fetch the new signature before the old key retires).
 */
const bundleEtag = (b: { digest: string; serial: number; kid: string }) => `"${b.digest.slice(7, 39)}-${b.serial}-${b.kid.slice(-12)}"`;
/** The live bundles are cached objects, so their tags are built once each, not on every poll. */
const etags = new WeakMap<object, string>();
const liveEtag = (b: { digest: string; serial: number; kid: string }) => {
  let tag = etags.get(b);
  if (tag === undefined) etags.set(b, (tag = bundleEtag(b)));
  return tag;
};

/** Policy bundles: publish, promote, roll back and read them (admins); the device's own bundle and digest. */
export function bundleRoutes(core: Core): RouteDefinition<any>[] {
  const { policy, activeDevice, adminTenant } = policyCallers(core);
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
        const out = await policy.bundles.publish(await adminTenant(ctx), { channel: b.channel, content, bundle_id: b.bundle_id, canary: b.canary ?? null, notes: b.notes ?? null, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest, channel: out.channel });
        return out;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/policy/promote', surface, tags, permission: 'access_policy:publish', audit: 'access.policy.promote',
      summary: 'Promote the live canary bundle to stable (same digest, next serial); 409 when there is no canary',
      schema: { body: z.object({ bundle_id: z.uuid().optional() }).default({}), response: published },
      handler: async (ctx) => {
        const out = await policy.bundles.promote(await adminTenant(ctx), { bundle_id: ctx.body.bundle_id, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest });
        return out;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/policy/rollback', surface, tags, permission: 'access_policy:publish', audit: 'access.policy.rollback',
      summary: 'Roll back stable to an earlier bundle (the previous one by default) under a new serial, or end the canary',
      schema: { body: z.object({ channel: z.enum(['canary', 'stable']).default('stable'), bundle_id: z.uuid().optional() }).default({ channel: 'stable' }), response: published },
      handler: async (ctx) => {
        const out = await policy.bundles.rollback(await adminTenant(ctx), { channel: ctx.body.channel, bundle_id: ctx.body.bundle_id, by: actor(ctx) });
        ctx.auditResource('access_policy_bundle', out.bundle_id, { serial: out.serial, digest: out.digest, channel: ctx.body.channel });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/bundles', surface, tags, permission: 'access_policy:read',
      summary: 'Published bundles, newest serial first, by channel and status (limit 1-200, default 50; cursor = next_cursor)',
      schema: { query: listQuery, response: bundlePage },
      handler: async (ctx) => policy.bundles.list(await adminTenant(ctx), { channel: ctx.query.channel, status: ctx.query.status, limit: ctx.query.limit ?? 50, cursor: ctx.query.cursor }),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/bundles/:id', surface, tags, permission: 'access_policy:read',
      summary: 'One published bundle with its rules, canary selector and signature',
      schema: { params: z.object({ id: z.uuid() }), response: bundleView },
      handler: async (ctx) => policy.bundles.get(await adminTenant(ctx), ctx.params.id),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/policy/diff', surface, tags, permission: 'access_policy:read',
      summary: 'Rule-level differences (added, removed, changed) between the bundles of two digests',
      schema: { query: z.object({ from: z.string().regex(DIGEST, 'a digest is sha256:<64 hex>'), to: z.string().regex(DIGEST, 'a digest is sha256:<64 hex>') }), response: bundleDiff },
      handler: async (ctx) => {
        const tenantId = await adminTenant(ctx);
        return diffBundles(await policy.bundles.byDigest(tenantId, ctx.query.from), await policy.bundles.byDigest(tenantId, ctx.query.to));
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/policy/bundle', surface, tags, permission: 'public', credentials: 'own',
      summary: "The calling device's bundle: the canary one when it is in the canary's subset, else stable (ETag)",
      schema: { response: deviceBundle },
      handler: async (ctx) => {
        const body = await policy.deviceBundle(await activeDevice(ctx));
        return withEtag(ctx, bundleEtag(body), body);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/policy/digest', surface, tags, permission: 'public', credentials: 'own', accessLog: 'debug',
      summary: "The digest and serial of the calling device's bundle, for cheap change checks (ETag as the bundle's)",
      schema: { response: deviceDigest },
      handler: async (ctx) => {
        const { bundle: b, channel } = await policy.servedLive(await activeDevice(ctx));
        // An unchanged poll (the usual answer) builds no body.
        const tag = liveEtag(b);
        if (ifNoneMatchHits(ctx.headers['if-none-match'], tag)) return withEtag(ctx, tag, undefined);
        return withEtag(ctx, tag, { digest: b.digest, serial: b.serial, channel, published_at: b.published_at });
      },
    }),
  ];
}
