import { sql } from 'kysely';
import type { Database } from '../../../core/db/database.js';

const POLICIES = 'egress_policies';

/** Whether a table exists, asked without a failing query (a failed statement aborts a PostgreSQL transaction). */
export async function tableExists(db: Database, table: string): Promise<boolean> {
  const query =
    db.dialect.name === 'postgres'
      ? sql<{ found: unknown }>`select to_regclass(${table}) is not null as found`
      : sql<{ found: unknown }>`select count(*) as found from sqlite_master where type = 'table' and name = ${table}`;
  const { rows } = await query.execute(db.kysely);
  return rows.length > 0 && (rows[0].found === true || Number(rows[0].found) > 0);
}

/**
 * Names (or ids) of the policy records whose kubernetes sources name the integration. The policies table
 * belongs to the policy code and may not exist in every build, so it is read loosely: every JSON value in a
 * row is searched for `kubernetes: [{integration: name}]`.
 */
export async function policiesReferencing(db: Database, integration: string): Promise<string[]> {
  if (!(await tableExists(db, POLICIES))) return [];
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(POLICIES)}`.execute(db.kysely);
  return rows.filter((row) => Object.values(row).some((value) => mentions(parseLoose(value), integration))).map((row) => String(row.name ?? row.id));
}

function parseLoose(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function mentions(value: unknown, integration: string): boolean {
  if (Array.isArray(value)) return value.some((v) => mentions(v, integration));
  if (!value || typeof value !== 'object') return false;
  const object = value as Record<string, unknown>;
  if (Array.isArray(object.kubernetes) && object.kubernetes.some((k) => (k as { integration?: unknown })?.integration === integration)) return true;
  return Object.values(object).some((v) => mentions(v, integration));
}
