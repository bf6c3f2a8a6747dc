import type { RampartModule } from './module.js';
import { healthModule } from './health/index.js';
import { identityModule } from './identity/index.js';
import { overlayModule } from './overlay/index.js';
import { egressModule } from './egress/index.js';
import { fleetModule } from './fleet/index.js';
import { accessModule } from './access/index.js';
import { edgeModule } from './edge/index.js';

/** Every module this build serves, in the order their routes are registered. */
export function builtinModules(): RampartModule[] {
  return [healthModule, identityModule, overlayModule, egressModule, fleetModule, accessModule, edgeModule];
}
