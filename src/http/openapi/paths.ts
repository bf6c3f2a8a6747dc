import type { HttpMethod } from '../route.js';

export interface OpenApiPath {
  /** The OpenAPI path template: /api/v1/hosts/{id} */
  template: string;
  /** Path parameter names, in order. */
  params: string[];
}

// `::` is Fastify's escaped literal colon (/auth/password::change serves /auth/password:change).
const ESCAPED_COLON = '\u0000';
// A parameter, with an optional regular expression constraint: `:id` or `:id(^\\d+)`.
const PARAM = /:([A-Za-z0-9_]+)(?:\((?:[^()]|\([^()]*\))*\))?/g;

/** Fastify path syntax to an OpenAPI template: `/x/:id` -> `/x/{id}`, `/a::b` -> `/a:b`, a trailing `*` -> `{*}`. */
export function toOpenApiPath(path: string): OpenApiPath {
  const params: string[] = [];
  let template = path.replaceAll('::', ESCAPED_COLON).replace(PARAM, (_match, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  if (template.endsWith('*')) {
    params.push('*');
    template = `${template.slice(0, -1)}{*}`;
  }
  return { template: template.replaceAll(ESCAPED_COLON, ':'), params };
}

/** A stable operationId from method and path: GET /api/v1/hosts/:id -> getApiV1HostsById. */
export function operationIdFor(method: HttpMethod, path: string): string {
  const { template } = toOpenApiPath(path);
  const words = template
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/\{([^}]+)\}/g, (_m, name: string) => ` by ${name === '*' ? 'path' : name} `))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1));
  return method.toLowerCase() + words.join('');
}
