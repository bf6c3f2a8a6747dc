/** A column whose values are secret-box ciphertexts (or null), so a key rotation knows to re-encrypt it. */
export interface SealedColumn {
  table: string;
  /** A unique, orderable column to page through the table; 'id' when omitted. */
  idColumn?: string;
  column: string;
  /** The context the values are sealed with; "<table>.<column>" when omitted. */
  context?: string;
}

export type ResolvedSealedColumn = Required<SealedColumn>;

/** The context a column's values are sealed with: its own, or "table.column". */
export const sealContext = (c: SealedColumn) => c.context ?? `${c.table}.${c.column}`;

export interface SealedColumnRegistry {
  /** Declares a sealed column; each module registers its own once, at startup, and seals with the returned context. */
  register(column: SealedColumn): ResolvedSealedColumn;
  list(): readonly ResolvedSealedColumn[];
}

export function createSealedColumnRegistry(): SealedColumnRegistry {
  const columns: ResolvedSealedColumn[] = [];
  return {
    register(c) {
      const resolved = { table: c.table, column: c.column, idColumn: c.idColumn ?? 'id', context: sealContext(c) };
      if (columns.some((x) => x.table === c.table && x.column === c.column)) {
        throw new Error(`sealed column ${c.table}.${c.column} is registered twice`);
      }
      columns.push(resolved);
      return resolved;
    },
    list: () => columns,
  };
}

