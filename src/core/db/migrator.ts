import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { DialectHelpers } from './dialect.js';

export interface Migration {
  /** Unique within its module, applied in code-unit order of the names: "0001_audit_events". */
  name: string;
  up(db: Kysely<any>, dialect: DialectHelpers): Promise<void>;
}

/** Each module owns its tables and brings its migrations under its own name. */
export interface ModuleMigrations {
  module: string;
  migrations: Migration[];
}

export interface MigrationStatus {
  applied: number;
  pending: { module: string; name: string }[];
  /** Migrations recorded in the database that this build does not know: written by a newer Rampart. */
  unknown: { module: string; name: string; rampart_version: string }[];
}

export class NewerDatabaseError extends Error {
  constructor(readonly unknown: MigrationStatus['unknown']) {
    const first = unknown[0];
    super(
      `the database was migrated by a newer Rampart (${first.module}/${first.name}, applied by ${first.rampart_version}); ` +
        'refusing to use it with this version',
    );
    this.name = 'NewerDatabaseError';
  }
}

const TABLE = 'rampart_migrations';
// Any fixed number: every Rampart node contends for the same lock while migrating PostgreSQL.
const PG_MIGRATION_LOCK = 0x52414d50;

export function createMigrator(db: Database, modules: ModuleMigrations[], rampartVersion: string) {
  async function ensureTable(k: Kysely<any>) {
    await k.schema
      .createTable(TABLE)
      .ifNotExists()
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .addColumn('rampart_version', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rampart_migrations_pk', ['module', 'name'])
      .execute();
  }

  async function statusWith(k: Kysely<any>): Promise<MigrationStatus> {
    const rows: { module: string; name: string; rampart_version: string }[] = await k
      .selectFrom(TABLE)
      .select(['module', 'name', 'rampart_version'])
      .execute();
    const done = new Set(rows.map((r) => `${r.module}/${r.name}`));
    const known = new Set(modules.flatMap((m) => m.migrations.map((x) => `${m.module}/${x.name}`)));
    return {
      applied: rows.length,
      pending: modules.flatMap((m) =>
        sortByName(m.migrations)
          .filter((x) => !done.has(`${m.module}/${x.name}`))
          .map((x) => ({ module: m.module, name: x.name })),
      ),
      unknown: rows.filter((r) => !known.has(`${r.module}/${r.name}`)),
    };
  }

  return {
    /** What is applied, pending and unknown, without changing anything. */
    async status(): Promise<MigrationStatus> {
      const exists = await tableExists(db);
      if (!exists) {
        return { applied: 0, pending: modules.flatMap((m) => sortByName(m.migrations).map((x) => ({ module: m.module, name: x.name }))), unknown: [] };
      }
      return statusWith(db.kysely);
    },

    /** Applies pending migrations in one transaction; refuses a database migrated by a newer version. */
    async migrate(): Promise<{ applied: string[] }> {
      return db.transaction(async () => {
        const k = db.kysely as Kysely<any>;
        if (db.dialect.name === 'postgres') await sql`select pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`.execute(k);
        await ensureTable(k);
        const status = await statusWith(k);
        if (status.unknown.length > 0) throw new NewerDatabaseError(status.unknown);
        const applied: string[] = [];
        for (const { module, name } of status.pending) {
          const migration = modules.find((m) => m.module === module)!.migrations.find((x) => x.name === name)!;
          await migration.up(k, db.dialect);
          await k
            .insertInto(TABLE)
            .values({ module, name, applied_at: new Date().toISOString(), rampart_version: rampartVersion })
            .execute();
          applied.push(`${module}/${name}`);
        }
        return { applied };
      });
    },
  };
}

export type Migrator = ReturnType<typeof createMigrator>;

/**
 * By code unit, not localeCompare: names are ASCII ("0001_audit_events"), and the first localeCompare of a process
 * loads ICU's collator, which cost every `serve` tens of milliseconds before its first answer.
 */
function sortByName(migrations: Migration[]): Migration[] {
  return [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function tableExists(db: Database): Promise<boolean> {
  const tables = await db.kysely.introspection.getTables();
  return tables.some((t) => t.name === TABLE);
}
