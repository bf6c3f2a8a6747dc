import { z } from 'zod';
import type { Surface } from '../dialects.js';
import type { HttpMethod, RouteDefinition } from '../route.js';
import { errorEnvelopes } from './errors.js';
import { operationFor } from './operation.js';
import { operationIdFor, toOpenApiPath } from './paths.js';
import { createSchemaComponents, type JsonSchema } from './schemas.js';
import { securitySchemes } from './security.js';

export interface OpenApiDocumentOptions {
  title: string;
  version: string;
  description?: string;
  routes: RouteDefinition<any>[];
  /** Which routes belong in this document (hidden routes never do). */
  include(route: RouteDefinition<any>): boolean;
}

export interface OpenApiDocument {
  [field: string]: unknown;
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  tags?: { name: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: typeof securitySchemes };
}

const METHOD_ORDER: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** An OpenAPI 3.1 document generated from route declarations, stable whatever order the modules were wired in. */
export function buildOpenApiDocument(opts: OpenApiDocumentOptions): OpenApiDocument {
  const routes = mergedForDocument(opts.routes.filter((route) => !route.hidden && opts.include(route)))
    .map((route) => ({ route, path: toOpenApiPath(route.path) }))
    .sort((a, b) => compare(a.path.template, b.path.template) || METHOD_ORDER.indexOf(a.route.method) - METHOD_ORDER.indexOf(b.route.method));

  // The error envelopes go in first so a zod schema that happens to share a name cannot displace one.
  const surfaces = [...new Set<Surface>(routes.map(({ route }) => route.surface))].sort();
  const components = createSchemaComponents(Object.fromEntries(surfaces.map((s) => [errorEnvelopes[s].name, errorEnvelopes[s].schema])));
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const { route, path } of routes) {
    const operationId = unique(operationIdFor(route.method, route.path), operationIds);
    (paths[path.template] ??= {})[route.method.toLowerCase()] = operationFor(route, path, operationId, components);
  }

  const tags = [...new Set(routes.flatMap(({ route }) => route.tags ?? []))].sort(compare);
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: opts.version, ...(opts.description ? { description: opts.description } : {}) },
    ...(tags.length ? { tags: tags.map((name) => ({ name })) } : {}),
    paths,
    components: { schemas: components.schemas, securitySchemes },
  };
}

/**
 * Routes sharing a method and path through `merge` (route.ts) are one operation: its response has every route's
 * fields (allOf, each optional), its query every route's parameters; the summary names each route and the permission it needs.
 */
function mergedForDocument(routes: RouteDefinition<any>[]): RouteDefinition<any>[] {
  const out: RouteDefinition<any>[] = [];
  const seen = new Map<string, number>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    const at = seen.get(key);
    if (at === undefined || !route.merge) {
      seen.set(key, out.length);
      out.push(route);
      continue;
    }
    const first = out[at];
    const queries = [first.schema.query, route.schema.query].filter((q): q is z.ZodObject<any> => q instanceof z.ZodObject);
    // A caller gets only the fields of the routes it may call: every field is optional in the merged answer.
    const responses = [first.schema.response, route.schema.response]
      .filter((x): x is z.ZodType => !!x)
      .map((x) => (x instanceof z.ZodObject ? x.partial() : x));
    out[at] = {
      ...first,
      summary: `${first.summary} (${first.permission}) and ${route.summary} (${route.permission}); the caller gets the fields of those it may call`,
      schema: {
        ...first.schema,
        ...(queries.length ? { query: queries.reduce((a, b) => a.extend(b.shape)) } : {}),
        ...(responses.length ? { response: responses.reduce((a, b) => z.intersection(a, b)) } : {}),
      },
    };
  }
  return out;
}

function unique(id: string, taken: Set<string>): string {
  let candidate = id;
  for (let i = 2; taken.has(candidate); i++) candidate = `${id}${i}`;
  taken.add(candidate);
  return candidate;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
