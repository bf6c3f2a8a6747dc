import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { postureFactsSchema } from './posture-checks.js';
import { policyCallers, surface, tags } from './policy-route-kit.js';
import { postureVerdict } from './policy.responses.js';

/** POST /v1/posture/assertion: a device reports its facts and gets its verdict. */
export function postureRoutes(core: Core): RouteDefinition<any>[] {
  const { policy, device } = policyCallers(core);
  return [
    defineRoute({
      method: 'POST', path: '/v1/posture/assertion', surface, tags, permission: 'public', credentials: 'own',
      summary: "Report the calling device's posture facts; the verdict follows its bundle's requirements",
      schema: {
        body: z.object({ device_id: z.string().max(64).optional(), collected_at: z.iso.datetime({ offset: true }).optional(), facts: postureFactsSchema }),
        response: postureVerdict,
      },
      handler: async (ctx) => {
        const d = await device(ctx);
        if (ctx.body.device_id !== undefined && ctx.body.device_id !== d.id) throw errors.forbidden('a device asserts its own posture only');
        return policy.assertPosture(d, ctx.body.facts, ctx.body.collected_at ?? null);
      },
    }),
  ];
}
