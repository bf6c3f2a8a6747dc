import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';

const tags = ['fleet liveness'];
const surface = 'fleet' as const;
const count = z.number().int();

/** /api/v1/fleet/liveness and /api/v1/fleet/connectivity/breakdown: the fleet's hosts by reachability and band. */
export function livenessRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { liveness } = fleet;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/fleet/liveness', surface, permission: 'system:read', tags,
      summary: 'Hosts by SSH reachability; never_probed counts hosts no probe has reached yet',
      schema: { response: z.object({ reachable: count, unreachable: count, unknown: count, never_probed: count }) },
      handler: () => liveness.fleetLiveness(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/fleet/connectivity/breakdown', surface, permission: 'system:read', tags,
      summary: 'Hosts by monitoring state (maintenance counted apart)',
      schema: { response: z.object({ online: count, degraded: count, critical: count, down: count, maintenance: count, never_probed: count }) },
      handler: () => liveness.connectivityBreakdown(),
    }),
  ];
}
