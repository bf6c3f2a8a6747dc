import type { SelectQueryBuilder } from 'kysely';

/** Which slice of a list a caller asked for. */
export interface PageRequest {
  limit: number;
  offset: number;
}

/** One slice of a list, and how many rows the whole list has. */
export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * One page of an ordered query, sliced in SQL with LIMIT/OFFSET; the total is the same query's count, its
 * selection and order cleared (so not for grouped or DISTINCT queries). Stores call it so no list loads a whole table.
 */
export async function paginate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: PageRequest): Promise<Page<O>> {
  const items = await query.limit(page.limit).offset(page.offset).execute();
  const counted = await query
    .clearSelect()
    .clearOrderBy()
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  return { items: items as O[], total: Number((counted as { total: number | string }).total) };
}

/** A page of rows already in memory, for the few lists whose visibility is decided row by row in code. */
export function pageOf<T>(all: readonly T[], page: PageRequest): Page<T> {
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
}

/** Maps the items of a page, keeping its total. */
export async function mapPage<T, U>(page: Page<T>, map: (item: T) => U | Promise<U>): Promise<Page<U>> {
  return { items: await Promise.all(page.items.map(map)), total: page.total };
}
