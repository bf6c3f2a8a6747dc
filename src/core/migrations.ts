import { auditMigrations } from './audit/audit.migrations.js';
import type { ModuleMigrations } from './db/migrator.js';
import { eventsMigrations } from './events/events.migrations.js';
import { jobsMigrations } from './jobs/jobs.migrations.js';
import { identityMigrations } from './identity/identity.migrations.js';
import { mailMigrations } from './mail/mail.migrations.js';

/** The shared kernel's tables; modules bring their own ModuleMigrations beside these. */
export const coreMigrations: ModuleMigrations[] = [
  { module: 'audit', migrations: auditMigrations },
  { module: 'jobs', migrations: jobsMigrations },
  { module: 'events', migrations: eventsMigrations },
  { module: 'identity', migrations: identityMigrations },
  { module: 'mail', migrations: mailMigrations },
];
