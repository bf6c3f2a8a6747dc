import { auditModule } from '../modules/audit';
import { dashboardModule } from '../modules/dashboard';
import { identityModule } from '../modules/identity';
import type { ConsoleModule } from './module';

/** Every module's pages, in navigation order. A new module adds itself here and nowhere else. */
export const modules: ConsoleModule[] = [dashboardModule, identityModule, auditModule];
