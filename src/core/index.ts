import { randomUUID } from 'node:crypto';
import type { RampartConfig } from './config/schema.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { openDatabase, type Database } from './db/database.js';
import { createMigrator, type Migrator, type ModuleMigrations } from './db/migrator.js';
import type { Logger } from './logger.js';
import { coreMigrations } from './migrations.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService, type AuditService } from './audit/audit.service.js';
import { versionInfo } from '../version.js';
import { createJobQueue, type JobQueue } from './jobs/job.queue.js';
import { createJobRegistry, type JobRegistry } from './jobs/job.registry.js';
import { createJobStore, type JobStore } from './jobs/job.store.js';
import { createWorker, type Worker } from './jobs/worker.js';
import { loadKeyring } from './secrets/keyring.js';
import { createSecretBox, type SecretBox } from './secrets/secret-box.js';
import { createSealedColumnRegistry, type SealedColumn, type SealedColumnRegistry } from './secrets/sealed-columns.js';
import { createIdentity } from './identity/index.js';
import type { Identity } from './identity/identity.types.js';
import { identitySealedColumns } from './identity/identity.sealed.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { mailSealedColumns } from './mail/mail.sealed.js';
import { createReadinessRegistry, type ReadinessRegistry } from './readiness.js';
import { createTenancy, type Tenancy } from './tenancy/tenancy.js';

/** The shared kernel every module is built on. Plain factories, wired by hand. */
export interface Core {
  config: RampartConfig;
  logger: Logger;
  db: Database;
  migrator: Migrator;
  audit: AuditService;
  /** Encryption at rest for every secret a module stores. */
  secrets: SecretBox;
  /** The columns holding secret-box ciphertexts, so `rampart secrets rotate` can re-encrypt them. */
  sealedColumns: SealedColumnRegistry;
  /** Publish/subscribe within this node, and across nodes on PostgreSQL. */
  events: EventBus;
  /** Background work: modules enqueue jobs and register the handlers that run them. */
  jobs: { store: JobStore; queue: JobQueue; handlers: JobRegistry };
  /** Users, roles, tokens, sessions, MFA, API keys, service accounts, SSO: who is calling and what they may do. */
  identity: Identity;
  /** Which tenant a caller is confined to (null: every tenant); the module that runs tenants provides it. */
  tenancy: Tenancy;
  /** Outgoing mail: through SMTP when [mail] smtp_url is set, else into an outbox administrators read. */
  mail: Mailer;
  /** Conditions modules add to readiness (GET /ready), beside the database and migrations. */
  readiness: ReadinessRegistry;
  /** The clock every service reads, replaceable in tests. */
  now: () => Date;
  close(): Promise<void>;
}

export interface CoreOptions {
  logger: Logger;
  /** Migrations of the modules in this build, beside the core's own. */
  moduleMigrations?: ModuleMigrations[];
  /** Sealed columns of the modules in this build. */
  sealedColumns?: SealedColumn[];
  /** Unique per running process: a node ignores notifications carrying its own id. */
  nodeId?: string;
  now?: () => Date;
}

export function createCore(config: RampartConfig, opts: CoreOptions): Core {
  const now = opts.now ?? (() => new Date());
  const db = openDatabase({
    url: config.database.url,
    dataDir: config.data_dir,
    poolMax: config.database.pool_max,
    busyTimeoutMs: config.database.sqlite_busy_timeout_ms,
  });
  const migrator = createMigrator(db, [...coreMigrations, ...(opts.moduleMigrations ?? [])], versionInfo.rampart);
  const audit = createAuditService({ store: createAuditStore(db), now });
  const events = createEventBus({ db, logger: opts.logger.child({ component: 'events' }), nodeId: opts.nodeId ?? randomUUID(), now });
  const jobStore = createJobStore(db);
  const jobs = {
    store: jobStore,
    handlers: createJobRegistry(),
    queue: createJobQueue({ db, now, store: jobStore, defaults: { maxAttempts: config.jobs.max_attempts } }),
  };
  const keyring = loadKeyring(config);
  if (keyring.source.kind === 'file' && keyring.source.created) {
    opts.logger.info({ path: keyring.source.path }, 'created the secret key file');
  }
  const sealedColumns = createSealedColumnRegistry();
  for (const column of [...Object.values(identitySealedColumns), ...Object.values(mailSealedColumns), ...(opts.sealedColumns ?? [])]) sealedColumns.register(column);
  const secrets = createSecretBox(keyring);
  const identity = createIdentity({ config, db, events, secrets, logger: opts.logger.child({ component: 'identity' }), now });
  const mail = createMailer({ db, secrets, config, logger: opts.logger.child({ component: 'mail' }), now });
  return {
    config,
    logger: opts.logger,
    db,
    migrator,
    audit,
    secrets,
    sealedColumns,
    events,
    jobs,
    identity,
    tenancy: createTenancy(),
    mail,
    readiness: createReadinessRegistry(),
    now,
    async close() {
      await mail.close();
      await events.close();
      await db.close();
    },
  };
}

/** Applies pending migrations, then creates the rows the code expects (built-in roles). Every start runs it. */
export async function prepareDatabase(core: Core): Promise<{ applied: string[] }> {
  const { applied } = await core.migrator.migrate();
  await core.identity.rbac.ensureBuiltinRoles();
  return { applied };
}

/** A job worker over the core's queue, configured by [jobs]. */
export function createCoreWorker(core: Core): Worker {
  const { jobs } = core.config;
  return createWorker({
    db: core.db,
    store: core.jobs.store,
    now: core.now,
    logger: core.logger.child({ component: 'jobs' }),
    handlers: core.jobs.handlers,
    concurrency: jobs.concurrency,
    pollIntervalMs: jobs.poll_interval_ms,
    leaseMs: jobs.lease_ms,
  });
}
