import { sql, type ColumnDataType, type Expression, type RawBuilder } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * The few places where SQLite and PostgreSQL differ, kept in one helper so tables and queries elsewhere stay
 * dialect-free. Timestamps are stored as timestamptz on PostgreSQL and ISO text on SQLite, and read back as ISO
 * strings on both (the pg type parser is set in database.ts), so comparing them with ISO strings works on both.
 */
export interface DialectHelpers {
  name: DialectName;
  types: {
    uuid: ColumnDataType;
    timestamp: ColumnDataType;
    json: ColumnDataType;
    bigint: ColumnDataType;
    boolean: ColumnDataType;
    bytes: ColumnDataType;
  };
  /** Serializes a value for a json column. */
  toJson(value: unknown): string;
  /** Reads a json column (text on SQLite, parsed by the driver on PostgreSQL). */
  fromJson<T = unknown>(value: unknown): T;
  /** Reads a boolean column (0/1 on SQLite). */
  fromBool(value: unknown): boolean;
  /** A value for a boolean column (0/1 on SQLite). */
  toBool(value: boolean): boolean | number;
  /** Row locking clause for claim queries: FOR UPDATE SKIP LOCKED on PostgreSQL, nothing on SQLite (one writer). */
  skipLocked: RawBuilder<unknown>;
  /** Whether a database error is a unique-constraint violation (a duplicate name, a race lost to another writer). */
  isUniqueViolation(err: unknown): boolean;
  /** Case-insensitive LIKE. */
  ilike(column: Expression<string>, pattern: string): RawBuilder<boolean>;
}

export function dialectHelpers(name: DialectName): DialectHelpers {
  const pg = name === 'postgres';
  return {
    name,
    types: {
      uuid: pg ? 'uuid' : 'text',
      timestamp: pg ? 'timestamptz' : 'text',
      json: pg ? 'jsonb' : 'text',
      bigint: pg ? 'bigint' : 'integer',
      boolean: pg ? 'boolean' : 'integer',
      bytes: pg ? 'bytea' : 'blob',
    },
    toJson: (value) => JSON.stringify(value ?? null),
    fromJson: <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T,
    fromBool: (value) => value === true || value === 1 || value === '1',
    toBool: (value) => (pg ? value : value ? 1 : 0),
    skipLocked: pg ? sql`for update skip locked` : sql``,
    isUniqueViolation: (err) => {
      const code = (err as { code?: unknown } | null)?.code;
      return pg ? code === '23505' : code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    ilike: (column, pattern) => (pg ? sql<boolean>`${column} ilike ${pattern}` : sql<boolean>`${column} like ${pattern}`),
  };
}
