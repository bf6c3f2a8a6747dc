import { z } from 'zod';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';

/**
 * The edge's paged lists (connections, blocked traffic, logs) in one shape, so they cannot drift apart: AiFw's
 * `{data, total, limit, offset}`, the total also in X-Total-Count, ?limit (1 to a maximum, a default per list) and
 * ?offset checked (400 for 0, -1, 'abc', a limit above the maximum; numbers in the OpenAPI document, so the
 * console's typed client sends numbers), then the list's own filters.
 */
export interface PagedList<F extends z.ZodRawShape, T extends z.ZodType> {
  path: string;
  permission: string;
  summary: string;
  tags: string[];
  defaultLimit: number;
  maxLimit: number;
  /** The list's filters (?src, ?protocol ...), beside limit and offset. */
  filters: F;
  item: T;
  /** Every matching entry, in the list's order; the helper takes the page. */
  list(filter: z.output<z.ZodObject<F>>): Promise<Array<z.input<T>>> | Array<z.input<T>>;
}

const pageQuery = (defaultLimit: number, maxLimit: number) => ({
  limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
  offset: z.coerce.number().int().min(0).default(0),
});

export const pagedBody = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export function pagedListRoute<F extends z.ZodRawShape, T extends z.ZodType>(def: PagedList<F, T>): RouteDefinition<any> {
  return defineRoute({
    method: 'GET', path: def.path, surface: 'edge', permission: def.permission, tags: def.tags,
    summary: `${def.summary}; ?limit (${def.defaultLimit}, at most ${def.maxLimit}) &offset; total in X-Total-Count and the body`,
    schema: {
      query: z.object({ ...pageQuery(def.defaultLimit, def.maxLimit), ...def.filters }),
      response: pagedBody(def.item),
    },
    handler: async (ctx: RouteContext<any>) => {
      const { limit, offset, ...filter } = ctx.query as { limit: number; offset: number } & z.output<z.ZodObject<F>>;
      const all = await def.list(filter as z.output<z.ZodObject<F>>);
      ctx.reply.header('x-total-count', String(all.length));
      ctx.reply.header('access-control-expose-headers', 'X-Total-Count');
      return { data: all.slice(offset, offset + limit), total: all.length, limit, offset };
    },
  });
}
