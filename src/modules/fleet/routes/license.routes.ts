import { z } from 'zod';
import { hasPermission } from '../../../core/principal.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { PRIVATE_LICENSE_FIELDS } from '../license/license.service.js';

const tags = ['fleet license'];
const surface = 'fleet' as const;

const licenseStatus = z.enum(['active', 'grace', 'expired', 'no_license', 'invalid']);
const licenseSchema = z.object({
  tier: z.enum(['free', 'enterprise']),
  status: licenseStatus,
  features: z.array(z.string()),
  customer_id: z.string().nullable().optional(),
  fingerprint: z.string().nullable().optional(),
  issued_at: z.string().nullable().optional(),
  expires_at: z.string().nullable(),
  in_grace_period: z.boolean(),
  using_prev_key: z.boolean().optional(),
  clock_rollback_detected: z.boolean().optional(),
  installed_at: z.string().nullable().optional(),
});
const tokenBody = z.object({ license_jwt: z.string().trim().min(1).max(16 * 1024) });

/** /api/v1/license, /api/v1/capabilities and the admin license actions. */
export function licenseRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { license } = fleet;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/license', surface, permission: 'public', tags,
      summary: 'The license: tier, status, features, expiry; customer_id, fingerprint and issue and install times only with system:read',
      schema: { response: licenseSchema },
      handler: async (ctx) => {
        const view = await license.current();
        if (ctx.principal && hasPermission(ctx.principal, 'system:read')) return view;
        const shown: Partial<typeof view> = { ...view };
        for (const key of PRIVATE_LICENSE_FIELDS) delete shown[key];
        return shown;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/capabilities', surface, permission: 'public', tags,
      summary: 'Every capability with the tier it needs and whether this installation has it',
      schema: {
        response: z.object({
          tier: z.enum(['free', 'enterprise']),
          status: licenseStatus,
          capabilities: z.array(z.object({ id: z.string(), tier: z.enum(['free', 'enterprise']), available: z.boolean(), description: z.string() })),
        }),
      },
      handler: () => license.capabilities(),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/admin/license::verify', surface, permission: 'system:read', tags,
      summary: 'Dry run: check a license JWT {license_jwt} (signature, claims, expiry) without installing it',
      schema: {
        body: tokenBody,
        response: z.object({
          is_valid: z.boolean(),
          verify_result: z.enum(['valid', 'signature_invalid', 'malformed_jwt', 'fingerprint_mismatch', 'expired']),
          tier: z.enum(['free', 'enterprise']).optional(),
          features: z.array(z.string()).optional(),
          expires_at: z.string().nullable().optional(),
          customer_id: z.string().nullable().optional(),
          warnings: z.array(z.string()).optional(),
        }),
      },
      handler: (ctx) => license.verifyReport(ctx.body.license_jwt),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/admin/license', surface, permission: 'license:install', tags, audit: 'license.installed',
      summary: 'Install a license JWT {license_jwt} (Rampart extra: OpenWatch installs from a file); one that does not verify is a 400',
      schema: { body: tokenBody, response: licenseSchema, responses: { 400: { description: 'license.invalid: names the verify_result' } } },
      handler: async (ctx) => {
        const view = await license.install(ctx.body.license_jwt, principalOf(ctx).id);
        ctx.auditResource('license', null, { tier: view.tier, customer_id: view.customer_id, expires_at: view.expires_at, features: view.features });
        return view;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/admin/license', surface, permission: 'license:revoke', tags, audit: 'license.revoked', status: 204,
      summary: 'Remove the installed license: back to the free tier',
      schema: {},
      handler: async (ctx) => {
        ctx.auditResource('license', null, { removed: await license.revoke() });
      },
    }),
  ];
}
