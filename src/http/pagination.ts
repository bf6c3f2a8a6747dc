import { z } from 'zod';
import type { Page, PageRequest } from '../core/db/paginate.js';
import type { RouteContext } from './route.js';

/**
 * Paging every list endpoint shares: ?limit and ?offset, checked strictly (400 in the surface's envelope for 0,
 * -1, 'abc' or a limit above the maximum), and the total said in X-Total-Count where the product's body is a plain
 * array and cannot carry it. Stores slice in SQL (core/db/paginate.ts).
 */

/** The bound of a list that its product leaves unpaged: generous, so scripts that expect everything still get it. */
export const LIST_DEFAULT_LIMIT = 500;
export const LIST_MAX_LIMIT = 1_000;

const MAX_OFFSET = 1_000_000_000;

/** A decimal count, as typed: no sign, no exponent, no hex. */
const count = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export interface PageQueryOptions {
  defaultLimit?: number;
  maxLimit?: number;
}

/** The shape of ?limit=&offset=, to spread into a route's query schema. */
export function pageQueryShape({ defaultLimit = LIST_DEFAULT_LIMIT, maxLimit = LIST_MAX_LIMIT }: PageQueryOptions = {}) {
  return {
    limit: count('limit', 1, maxLimit).default(defaultLimit),
    offset: count('offset', 0, MAX_OFFSET).default(0),
  };
}

/** ?limit=&offset= as a query schema of its own. */
export const pageQuery = (options?: PageQueryOptions) => z.object(pageQueryShape(options));

/** The page a parsed query asks for. */
export const pageRequestOf = (query: PageRequest): PageRequest => ({ limit: query.limit, offset: query.offset });

/** Says the list's total in X-Total-Count (exposed to browsers), and answers the items alone. */
export function itemsWithTotal<T>(ctx: RouteContext<any>, page: Page<T>): T[] {
  ctx.reply.header('x-total-count', String(page.total));
  ctx.reply.header('access-control-expose-headers', 'X-Total-Count');
  return page.items;
}

/** The fleet's page envelope: {items, total, limit, offset}. */
export const pageEnvelope = <T>(page: Page<T>, request: PageRequest) => ({ items: page.items, total: page.total, limit: request.limit, offset: request.offset });

/** The description of the paging parameters, for a route's summary. */
export const pageDoc = ({ defaultLimit = LIST_DEFAULT_LIMIT, maxLimit = LIST_MAX_LIMIT }: PageQueryOptions = {}) =>
  `?limit (1-${maxLimit}, default ${defaultLimit}) and ?offset page it; X-Total-Count says the total`;
