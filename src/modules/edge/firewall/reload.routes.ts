import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { EdgeHooks } from '../edge.types.js';

/**
 * STOPGAP until the frame part's POST /api/v1/reload lands (it owns pending state and the reload report): runs the
 * registered apply steps in order. Drop this file when merging the frame part.
 */
export function stopgapReloadRoute(hooks: EdgeHooks): RouteDefinition<any> {
  return defineRoute({
    method: 'POST', path: '/api/v1/reload', surface: 'edge', permission: 'rules:write', tags: ['edge firewall'], audit: 'edge.reload',
    summary: 'Apply the stored configuration (every apply step, in order)', schema: { response: z.object({ message: z.string() }) },
    handler: async () => {
      for (const step of [...hooks.applySteps].sort((a, b) => a.order - b.order)) await step.apply();
      return { message: 'configuration applied' };
    },
  });
}
