import type { Core } from '../../../core/index.js';
import type { RouteDefinition } from '../../../http/route.js';

export function ssoRoutes(core: Core): RouteDefinition<any>[] {
  return [];
}
