import type { FastifyInstance } from 'fastify';
import type { RampartConfig } from './core/config/schema.js';
import { createCore, type Core } from './core/index.js';
import type { Logger } from './core/logger.js';
import type { Migration } from './core/db/migrator.js';
import { buildHttpApp } from './http/app.js';
import { noAuthentication } from './http/auth.js';
import { createIdempotency } from './http/idempotency/idempotency.js';
import { createIdempotencyStore } from './http/idempotency/idempotency.store.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import type { HttpModule } from './http/route.js';
import { createHealthService } from './modules/health/health.service.js';
import { healthRoutes } from './modules/health/health.routes.js';

/** A feature module: its tables and its HTTP surface, built from the core. */
export interface RampartModule {
  name: string;
  migrations?: Migration[];
  http?(core: Core): HttpModule;
}

export interface RampartOptions {
  logger: Logger;
  /** Modules beyond the built-in ones (tests add probes here). */
  modules?: RampartModule[];
  now?: () => Date;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface Rampart {
  core: Core;
  app: FastifyInstance;
  metrics: Metrics;
  close(): Promise<void>;
}

/** The composition root: core, modules and the HTTP app, wired by hand. Listening is the caller's business. */
export async function createRampart(config: RampartConfig, opts: RampartOptions): Promise<Rampart> {
  const modules = opts.modules ?? [];
  const core = createCore(config, {
    logger: opts.logger,
    now: opts.now,
    moduleMigrations: modules.filter((m) => m.migrations?.length).map((m) => ({ module: m.name, migrations: m.migrations! })),
  });
  const metrics = createMetrics();
  const health = createHealthService({ db: core.db, migrator: core.migrator });
  const idempotency = createIdempotency({
    store: createIdempotencyStore(core.db),
    now: core.now,
    ttlMs: config.idempotency.ttl_hours * 3_600_000,
  });
  const httpModules: HttpModule[] = [healthRoutes(health), ...modules.flatMap((m) => (m.http ? [m.http(core)] : []))];
  const app = await buildHttpApp({
    logger: opts.logger,
    metrics,
    routes: httpModules.flatMap((m) => m.routes),
    db: core.db,
    audit: core.audit,
    idempotency,
    authenticator: noAuthentication,
    https: opts.tls,
    trustProxy: config.server.trust_proxy,
    corsOrigins: config.server.cors_origins,
  });
  return {
    core,
    app,
    metrics,
    async close() {
      await app.close();
      await core.close();
    },
  };
}
