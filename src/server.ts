import type { FastifyInstance } from 'fastify';
import { trustedProxiesOf, type RampartConfig } from './core/config/schema.js';
import { createCore, createCoreWorker, type Core } from './core/index.js';
import type { Logger } from './core/logger.js';
import type { Worker } from './core/jobs/worker.js';
import { buildHttpApp } from './http/app.js';
import { proxyTrust } from './http/proxy.js';
import { httpAuthenticator } from './http/auth.js';
import { createIdempotency, type Idempotency } from './http/idempotency/idempotency.js';
import { createIdempotencyStore, idempotencyMigrations } from './http/idempotency/idempotency.store.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import type { HttpModule, RouteDefinition } from './http/route.js';
import { builtinModules } from './modules/index.js';
import type { RampartModule } from './modules/module.js';
import { docsRoutes } from './modules/docs/docs.routes.js';
import { consoleAssets } from './http/console.js';

export interface RampartOptions {
  logger: Logger;
  /** Modules beyond the built-in ones (tests add probes here). */
  extraModules?: RampartModule[];
  now?: () => Date;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Where the built console is (ui/dist by default); tests point it at a fixture. */
  consoleDir?: string;
}

export interface Rampart {
  core: Core;
  app: FastifyInstance;
  /** Every declared route of every module, as served. */
  routes: RouteDefinition<any>[];
  metrics: Metrics;
  idempotency: Idempotency;
  worker: Worker;
  /** Starts periodic upkeep (expired idempotency keys) and, unless jobs.worker is off, the job worker. */
  startBackground(): Promise<void>;
  /** Stops background work, waiting up to boundMs for running jobs. */
  stopBackground(boundMs: number): Promise<void>;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;

/** The composition root: core, modules and the HTTP app, wired by hand. Listening is the caller's business. */
export async function createRampart(config: RampartConfig, opts: RampartOptions): Promise<Rampart> {
  const modules = [...builtinModules(), ...(opts.extraModules ?? [])];
  const core = createCoreFor(config, modules, opts);
  await core.events.start();
  const metrics = createMetrics();
  const idempotency = createIdempotency({
    store: createIdempotencyStore(core.db),
    now: core.now,
    ttlMs: config.idempotency.ttl_hours * 3_600_000,
  });
  const httpModules: HttpModule[] = modules.flatMap((m) => (m.http ? [m.http(core)] : []));
  // The documents are assembled on first request from every module's declarations (the docs routes are hidden).
  httpModules.push(docsRoutes(() => httpModules.flatMap((m) => m.routes)));
  const routes = httpModules.flatMap((m) => m.routes);
  const app = await buildHttpApp({
    logger: opts.logger,
    metrics,
    routes,
    db: core.db,
    audit: core.audit,
    idempotency,
    authenticator: httpAuthenticator(core.identity.authenticator),
    https: opts.tls,
    transport: { tls: !config.server.insecure_http, proxies: proxyTrust(trustedProxiesOf(config)) },
    corsOrigins: config.server.cors_origins,
    console: consoleAssets(opts.consoleDir),
  });
  const worker = createCoreWorker(core);
  let sweeper: NodeJS.Timeout | undefined;
  const running: Array<{ stop(): Promise<void> }> = [];
  const stopModules = async () => {
    for (const module of running.splice(0).reverse()) await module.stop();
  };
  const sweep = () =>
    idempotency.sweep().catch((err) => opts.logger.warn({ err }, 'could not sweep expired idempotency keys'));
  return {
    core,
    app,
    routes,
    metrics,
    idempotency,
    worker,
    async startBackground() {
      sweeper = setInterval(sweep, SWEEP_INTERVAL_MS).unref();
      await sweep();
      if (config.jobs.worker) worker.start();
      for (const m of modules) if (m.start) running.push(await m.start(core));
    },
    async stopBackground(boundMs) {
      clearInterval(sweeper);
      await stopModules();
      await worker.stop(boundMs);
    },
    async close() {
      clearInterval(sweeper);
      await stopModules();
      await app.close();
      await worker.stop(config.server.shutdown_timeout_ms);
      await core.close();
    },
  };
}

/** The core with the tables, sealed columns and job handlers of the given modules (the CLI uses it without HTTP). */
export function createCoreFor(config: RampartConfig, modules: RampartModule[], opts: { logger: Logger; now?: () => Date }): Core {
  const core = createCore(config, {
    logger: opts.logger,
    now: opts.now,
    // The HTTP kit's own table (idempotency keys) migrates beside the modules': the core knows nothing of HTTP.
    moduleMigrations: [
      { module: 'idempotency', migrations: idempotencyMigrations },
      ...modules.filter((m) => m.migrations?.length).map((m) => ({ module: m.name, migrations: m.migrations! })),
    ],
    sealedColumns: modules.flatMap((m) => m.sealedColumns ?? []),
  });
  for (const m of modules) {
    if (m.permissions) core.identity.rbac.registry.register(m.permissions);
    for (const [type, handler] of Object.entries(m.jobs?.(core) ?? {})) core.jobs.handlers.register(type, handler);
  }
  return core;
}
