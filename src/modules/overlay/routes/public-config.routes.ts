import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';

const publicConfig = z.object({
  analytics: z.object({
    plausible: z.object({ domain: z.string(), scriptSrc: z.string() }).nullable(),
    gaMeasurementId: z.string().nullable(),
    customScripts: z.array(z.object({ src: z.string().optional(), inline: z.string().optional(), defer: z.boolean().optional(), async: z.boolean().optional() })),
  }),
});

/**
 * GET /api/public-config: what Nebula Commander's web UI reads before anyone signs in (its analytics
 * snippets). Rampart injects no analytics, so every entry is empty; the shape is the UI's.
 */
export function publicConfigRoutes(): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/public-config', surface: 'overlay', permission: 'public', tags: ['meta'],
      summary: "Configuration the web UI reads without signing in: {analytics: {plausible, gaMeasurementId, customScripts}} (Rampart sets none)",
      schema: { response: publicConfig },
      handler: () => ({ analytics: { plausible: null, gaMeasurementId: null, customScripts: [] } }),
    }),
  ];
}
