import type { z } from 'zod';
import type { RouteDefinition, RouteSchemas } from '../route.js';
import { errorResponse, errorStatusesFor } from './errors.js';
import type { OpenApiPath } from './paths.js';
import type { JsonSchema, SchemaComponents } from './schemas.js';
import { securityRequirement } from './security.js';

const JSON_TYPE = 'application/json';

/** One OpenAPI operation object from a route declaration. */
export function operationFor(
  route: RouteDefinition<any>,
  path: OpenApiPath,
  operationId: string,
  components: SchemaComponents,
): JsonSchema {
  const hint = operationId[0].toUpperCase() + operationId.slice(1);
  const parameters = [
    ...pathParameters(route, path, components, hint),
    ...queryParameters(route, components, hint),
    ...(route.idempotency ? [idempotencyKeyParameter(route.idempotency === 'required')] : []),
  ];
  const body = route.schema.body ? requestBodyFor(route.schema.body, components, hint) : undefined;
  return {
    operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.tags?.length ? { tags: route.tags } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: responsesFor(route, path, components, hint),
    ...(route.permission === 'public' ? {} : { security: securityRequirement }),
    'x-rampart-permission': route.permission,
    // The name OpenWatch's own document uses for the same fact, so fleet tooling reading it keeps working.
    ...(route.permission === 'public' || route.permission === 'authenticated' ? {} : { 'x-required-permission': route.permission }),
    ...(route.audit ? { 'x-rampart-audit-action': route.audit } : {}),
  };
}

function pathParameters(route: RouteDefinition<any>, path: OpenApiPath, components: SchemaComponents, hint: string) {
  const props = objectProperties(route.schema.params, components, `${hint}Params`);
  return path.params.map((name) => ({
    name,
    in: 'path',
    required: true,
    ...describe(props.properties[name]),
    schema: props.properties[name] ?? { type: 'string' },
  }));
}

function queryParameters(route: RouteDefinition<any>, components: SchemaComponents, hint: string) {
  const props = objectProperties(route.schema.query, components, `${hint}Query`);
  return Object.entries(props.properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: props.required.includes(name),
    ...describe(schema),
    schema,
  }));
}

function idempotencyKeyParameter(required: boolean) {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required,
    description: 'A unique key per logical operation: a retry with the same key and body replays the first response.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  };
}

/** Parameters are described one property at a time, so the object schema is converted and taken apart. */
function objectProperties(schema: z.ZodType | undefined, components: SchemaComponents, hint: string) {
  if (!schema) return { properties: {} as Record<string, JsonSchema>, required: [] as string[] };
  const json = components.convert(schema, 'input', hint);
  return {
    properties: (json.properties ?? {}) as Record<string, JsonSchema>,
    required: Array.isArray(json.required) ? (json.required as string[]) : [],
  };
}

function describe(schema: JsonSchema | undefined) {
  return typeof schema?.description === 'string' ? { description: schema.description } : {};
}

function requestBodyFor(body: z.ZodType, components: SchemaComponents, hint: string) {
  return {
    required: !acceptsNothing(body),
    content: { [JSON_TYPE]: { schema: components.convert(body, 'input', `${hint}Body`) } },
  };
}

/** The route runner parses an absent body as undefined, so a schema that accepts undefined makes the body optional. */
function acceptsNothing(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    return false; // async refinements cannot run here; assume the body is needed
  }
}

function responsesFor(route: RouteDefinition<any>, path: OpenApiPath, components: SchemaComponents, hint: string) {
  const status = route.status ?? 200;
  const responses: Record<string, JsonSchema> = { [status]: successResponse(route, status, components, hint) };
  for (const code of errorStatusesFor(route, path.params)) responses[code] = errorResponse(code, route.surface);
  const declaredResponses: NonNullable<RouteSchemas['responses']> = route.schema.responses ?? {};
  for (const [code, declared] of Object.entries(declaredResponses)) {
    responses[code] = {
      description: declared.description,
      ...(declared.schema ? { content: { [JSON_TYPE]: { schema: components.convert(declared.schema, 'output', `${hint}${code}`) } } } : {}),
    };
  }
  return responses;
}

function successResponse(route: RouteDefinition<any>, status: number, components: SchemaComponents, hint: string): JsonSchema {
  const headers = route.idempotency
    ? { headers: { 'Idempotent-Replayed': { description: '"true" when this is a replay of an earlier response', schema: { type: 'string', enum: ['true'] } } } }
    : {};
  if (status === 204) return { description: 'No Content', ...headers };
  const mediaType = route.produces ? route.produces.split(';')[0].trim() : JSON_TYPE;
  const schema = route.schema.response
    ? components.convert(route.schema.response, 'output', `${hint}Response`)
    : route.produces ? { type: 'string' } : {};
  return { description: 'Success', ...headers, content: { [mediaType]: { schema } } };
}
