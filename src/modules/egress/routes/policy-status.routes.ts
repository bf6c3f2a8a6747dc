import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { KubernetesSources } from '../integrations/kubernetes-sources.js';
import type { PolicyService } from '../policy/policy.service.js';

const selector = z.object({ namespace: z.string().optional(), match_labels: z.record(z.string(), z.string()).optional() });
const status = z.object({
  policy_id: z.string(),
  name: z.string(),
  mode: z.enum(['enforce', 'audit', 'disabled']),
  generation: z.number().int().describe('the newest compiled generation'),
  kubernetes_resolved: z.boolean().describe('every kubernetes source resolved, and the last attempt of each succeeded'),
  kubernetes: z.array(z.object({
    source_group: z.string(),
    integration: z.string(),
    pod_selector: selector.nullable(),
    node_selector: selector.nullable(),
    resolved: z.boolean().describe('false until the first answer: the group enforces its other sources only'),
    addresses: z.array(z.string()).describe('what the compiled policy uses: the last successful answer'),
    error: z.string().nullable().describe('why the last attempt failed'),
    resolved_at: z.string().nullable(),
  })),
});

/** GET /api/v1/policies/:id/status: what the policy's Kubernetes selectors resolved to, resolved in the background. */
export function policyStatusRoutes(deps: { policies: PolicyService; kubernetes: Pick<KubernetesSources, 'status'> }): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/policies/:id/status', surface: 'egress', permission: 'egress_policy:read', tags: ['egress policies'],
      summary: "A policy's runtime status: the newest generation and, per kubernetes source, whether it resolved, to which addresses, and the last error",
      description: 'Selectors are resolved in the background (egress.kubernetes_resync_ms); a write never waits on an API server. Until a selector resolves, its group enforces its other sources only.',
      schema: { params: z.object({ id: z.string() }), response: status, responses: { 404: { description: 'no such policy' } } },
      handler: async (ctx) => {
        const record = await deps.policies.get(ctx.params.id);
        const kubernetes = record.policy.source_groups.flatMap((group) =>
          (group.sources.kubernetes ?? []).map((source) => ({
            source_group: group.id,
            integration: source.integration,
            pod_selector: source.pod_selector ?? null,
            node_selector: source.node_selector ?? null,
            ...deps.kubernetes.status(source),
          })),
        );
        return {
          policy_id: record.id,
          name: record.name,
          mode: record.mode,
          generation: (await deps.policies.effective()).generation,
          kubernetes_resolved: kubernetes.every((k) => k.resolved && k.error === null),
          kubernetes,
        };
      },
    }),
  ];
}
