import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';
import { callerTenant } from '../common/tenant-scope.js';

const tags = ['access licence'];
const licenseStatus = z.object({
  state: z.enum(['valid', 'grace', 'expired', 'invalid', 'missing']),
  license_id: z.string().nullable(), licensee: z.string().nullable(), plan: z.string().nullable(),
  limits: z.record(z.string(), z.number().nullable()), features: z.array(z.string()),
  issued_at: z.string().nullable(), expires_at: z.string().nullable(), grace_until: z.string().nullable(),
  path: z.string(), loaded_at: z.string().nullable(), error: z.string().nullable(),
});

/** /v1/admin/license: the licence file's status and its reload. */
export function licenseRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { license } = access.tenants;
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/license/status', surface: 'access', tags, permission: 'access_license:read',
      summary: 'The licence in force: valid | grace (expired, within grace_days) | expired | invalid | missing, with its limits',
      schema: { response: licenseStatus },
      handler: async (ctx) => {
        await callerTenant(access.hooks, ctx);
        return license.status();
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/license/reload', surface: 'access', tags, permission: 'access_license:manage', audit: 'access.license.reload',
      summary: 'Re-read the licence file; a bad signature or shape is 422 and the licence in force stays (provider administrators only)',
      schema: { response: licenseStatus },
      handler: async (ctx) => {
        if ((await callerTenant(access.hooks, ctx)) !== DEFAULT_TENANT_ID) throw errors.forbidden("a tenant's administrators cannot reload the licence");
        const s = await license.reload();
        ctx.auditResource('access_license', s.license_id, { state: s.state, plan: s.plan, expires_at: s.expires_at });
        return s;
      },
    }),
  ];
}
