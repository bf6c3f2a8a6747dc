import type { RampartModule } from '../module.js';
import { healthRoutes } from './health.routes.js';
import { createHealthService } from './health.service.js';

export const healthModule: RampartModule = {
  name: 'health',
  http: (core) => healthRoutes(createHealthService({ db: core.db, migrator: core.migrator, readiness: core.readiness })),
};
