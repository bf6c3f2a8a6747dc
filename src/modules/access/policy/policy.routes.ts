import type { Core } from '../../../core/index.js';
import type { RouteDefinition } from '../../../http/route.js';
import { bundleRoutes } from './bundle.routes.js';
import { postureRoutes } from './posture.routes.js';
import { trustRoutes } from './trust.routes.js';

/** The policy part's routes: bundles, signers and trust anchors, SPCs, posture. */
export function policyRoutes(core: Core): RouteDefinition<any>[] {
  return [...bundleRoutes(core), ...trustRoutes(core), ...postureRoutes(core)];
}
