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
 * One page of a query, sliced in SQL: `rows` turns the filtered base into the ordered selection, which gets
 * LIMIT/OFFSET; the total counts the base as it is. Stores call it so no list ever loads a whole table.
 */
export async function paginate<DB, TB extends keyof DB, O>(
  base: SelectQueryBuilder<DB, TB, {}>,
  rows: (base: SelectQueryBuilder<DB, TB, {}>) => SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
): Promise<Page<O>> {
  const items = (await rows(base).limit(page.limit).offset(page.offset).execute()) as O[];
  const counted = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  return { items, total: Number((counted as { total: number | string }).total) };
}

/** A page of rows already in memory, for the few lists whose visibility is decided row by row in code. */
export function pageOf<T>(all: readonly T[], page: PageRequest): Page<T> {
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
}

/** Maps the items of a page, keeping its total. */
export async function mapPage<T, U>(page: Page<T>, map: (item: T) => U | Promise<U>): Promise<Page<U>> {
  return { items: await Promise.all(page.items.map(map)), total: page.total };
}
