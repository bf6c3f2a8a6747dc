import { accessModule } from '../modules/access';
import { auditModule } from '../modules/audit';
import { dashboardModule } from '../modules/dashboard';
import { edgeModule } from '../modules/edge';
import { egressModule } from '../modules/egress';
import { fleetModule } from '../modules/fleet';
import { identityModule } from '../modules/identity';
import { overlayModule } from '../modules/overlay';
import type { ConsoleModule } from './module';

/** Every module's pages, in navigation order. A new module adds itself here and nowhere else. */
export const modules: ConsoleModule[] = [dashboardModule, identityModule, overlayModule, accessModule, egressModule, edgeModule, fleetModule, auditModule];
