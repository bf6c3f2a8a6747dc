import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { withEtag } from '../../../http/etag.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';
import { etagOf } from './canonical.js';
import { policyCallers, surface, tags } from './policy-route-kit.js';
import { issuedSpc, revokedSpcs, rotatedAnchors, signerList, spcBundle, spcValidation, trustAnchors } from './policy.responses.js';
import { DEFAULT_OVERLAP_SECONDS } from './signers.service.js';
import { SPC_MAX_TTL_S } from './spc.service.js';

const ttlBody = z.object({ device_id: z.string().max(64).optional(), ttl_seconds: z.number().int().min(60).max(SPC_MAX_TTL_S).optional() }).default({});

/** Signers and trust anchors (with rotation), and SPCs: issue, rotate, revoke, the revocation set, validation. */
export function trustRoutes(core: Core): RouteDefinition<any>[] {
  const { policy, device, callerTenant, adminTenant, hooks } = policyCallers(core);
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/settings/signers', surface, tags, permission: 'access_trust:read',
      summary: 'The signing keys (public halves only) and their states: next, active, retiring, retired',
      schema: { response: signerList },
      handler: async (ctx) => ({ items: await policy.signers.list(await adminTenant(ctx)) }),
    }),
    defineRoute({
      method: 'POST', path: '/v1/trust/anchors/rotate', surface, tags, permission: 'access_trust:write', audit: 'access.trust.rotate',
      summary: 'Rotate signers: next becomes active, active retires after the overlap (and its last SPC), a new next appears',
      schema: { body: z.object({ overlap_seconds: z.number().int().min(0).max(90 * 24 * 3600).optional() }).default({}), response: rotatedAnchors },
      handler: async (ctx) => {
        const out = await policy.rotateAnchors(await adminTenant(ctx), ctx.body.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS);
        ctx.auditResource('access_signer', out.active, { retiring: out.retiring });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/trust/anchors', surface, tags, permission: 'public',
      summary: "The public keys that verify bundles and SPCs now (ETag); ?tenant_id for another tenant's than the default",
      schema: { query: z.object({ tenant_id: z.uuid().optional() }), response: trustAnchors },
      handler: async (ctx) => {
        const tenantId = ctx.query.tenant_id ?? DEFAULT_TENANT_ID;
        // Signers are made on first use: only for a tenant that exists (and is active).
        if (!(await hooks.tenantActive(tenantId))) throw errors.notFound('tenant not found');
        const body = await policy.signers.anchors(tenantId);
        return withEtag(ctx, etagOf(body), body);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/spc/issue', surface, tags, permission: 'public', credentials: 'own',
      summary: 'Issue an SPC to the calling device (active, posture not noncompliant); 24 h by default, 7 days at most',
      schema: { body: ttlBody, response: issuedSpc },
      handler: async (ctx) => {
        const d = await device(ctx);
        if (ctx.body.device_id !== undefined && ctx.body.device_id !== d.id) throw errors.forbidden('a device is issued its own SPCs only');
        return policy.issueSpc(d, ctx.body.ttl_seconds);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/spc/rotate', surface, tags, permission: 'public', credentials: 'own',
      summary: "A new SPC for the calling device; its previous ones are superseded (valid for a short grace)",
      schema: { body: ttlBody, response: issuedSpc },
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
        response: revokedSpcs,
      },
      handler: async (ctx) => {
        const b = ctx.body;
        const tenantId = await adminTenant(ctx);
        const out = b.serial !== undefined ? await policy.revokeSerial(tenantId, b.serial, b.reason) : await policy.revokeDevice(tenantId, b.device_id!, b.reason);
        ctx.auditResource('access_spc', b.serial !== undefined ? String(b.serial) : b.device_id, { revoked: out.revoked, reason: b.reason });
        return out;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/spc/bundle', surface, tags, permission: 'public', credentials: 'own',
      summary: 'The SPC revocation set (unexpired entries) and the signer kids that verify SPCs, for a device, gateway or admin (ETag)',
      schema: { response: spcBundle },
      handler: async (ctx) => {
        const body = await policy.spcs.bundle(await callerTenant(ctx, 'access_trust:read'));
        return withEtag(ctx, etagOf(body), body);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/spc/validate', surface, tags, permission: 'public',
      summary: 'Check an SPC: signature by a signer that verifies now, time window, revocation: {valid, reason, claims}',
      schema: { query: z.object({ spc: z.string().min(1).max(8192) }), response: spcValidation },
      handler: (ctx) => policy.spcs.validate(null, ctx.query.spc),
    }),
  ];
}
