import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditEventInput } from '../core/audit/audit.types.js';
import { errors } from '../core/errors.js';
import { hasPermission, type Principal } from '../core/principal.js';
import type { Surface } from './dialects.js';
import { bounded, type UnknownFields } from './input-bounds.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success response body, for validation in tests and for the OpenAPI document. */
  response?: z.ZodType;
  /** Other documented responses (status -> schema or description). */
  responses?: Record<number, { description: string; schema?: z.ZodType }>;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

/**
 * What a handler sees of the request: parsed input and who is asking. Never the HTTP objects themselves.
 * Its functions are methods: call them on the context (ctx.auditResource(...)), not destructured.
 */
export interface RouteContext<S extends RouteSchemas> {
  params: Infer<S['params']>;
  query: Infer<S['query']>;
  body: Infer<S['body']>;
  principal: Principal | null;
  correlationId: string;
  clientIp: string;
  userAgent: string | null;
  headers: IncomingHttpHeaders;
  /** Request cookies by name. */
  cookies: Record<string, string | undefined>;
  /** Names the resource in this request's audit row (and adds details to it). */
  auditResource(type: string, id?: string | null, details?: Record<string, unknown>): void;
  /**
   * Writes an audit row now with this request's client address, user agent and correlation id. For routes without
   * an audit action, which run outside a transaction: outcomes recorded though the request fails (a failed login),
   * or work that waits on the network and so must not hold a transaction open. A row that cannot be written fails
   * the request. The actor defaults to the principal.
   */
  recordAudit(event: RequestAuditEvent): Promise<void>;
  /**
   * This server's origin as the client sees it: https when served over TLS or when a trusted proxy
   * (server.trusted_proxies) says so in X-Forwarded-Proto; its X-Forwarded-Host, else the Host header.
   */
  readonly origin: string;
  reply: {
    status(code: number): void;
    header(name: string, value: string): void;
    /** HttpOnly, SameSite=Lax, Path=/ unless the options say otherwise; Secure when the client came over https. */
    cookie(name: string, value: string, options?: CookieOptions): void;
    clearCookie(name: string, options?: Pick<CookieOptions, 'path'>): void;
    /** Answers 302 (or the status given) to the URL, with no body. */
    redirect(url: string, status?: 301 | 302 | 303 | 307): void;
  };
  /** The underlying request and reply, for streaming helpers (SSE) only. */
  raw: { request: FastifyRequest; reply: FastifyReply };
}

/** An audit row as a handler names it; the request supplies where it came from. */
export type RequestAuditEvent = Omit<AuditEventInput, 'actor' | 'clientIp' | 'userAgent' | 'correlationId'> & {
  actor?: AuditEventInput['actor'];
};

export interface CookieOptions {
  maxAgeSeconds?: number;
  path?: string;
  httpOnly?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
}

/**
 * Who may call a route: 'public' (anyone), 'authenticated' (any principal, whatever its permissions), or a
 * permission string the principal's permissions must cover.
 */
export type RoutePermission = 'public' | 'authenticated' | (string & {});

export interface RouteDefinition<S extends RouteSchemas = RouteSchemas> {
  method: HttpMethod;
  /** Fastify path syntax: /api/v1/users/:id */
  path: string;
  surface: Surface;
  summary: string;
  description?: string;
  tags?: string[];
  permission: RoutePermission;
  /**
   * Narrower permissions that also open the route, beside `permission` (OpenWatch defines alert:acknowledge for the
   * acknowledge action besides alert:write). The route matrix denies a caller holding none of them.
   */
  alsoPermittedBy?: string[];
  /**
   * 'own': a public route whose handler checks the Authorization header itself (device tokens), so the runner
   * resolves no principal for it.
   */
  credentials?: 'own';
  /** Accepts a single-use ?ticket= instead of a header (browser streams: EventSource and WebSocket cannot set one). */
  tickets?: boolean;
  /** The audit action written when the route succeeds (or is denied); the handler runs in a transaction with it. */
  audit?: string;
  /**
   * What a body's unknown fields do: 'reject' answers 400 naming them, 'ignore' drops them. By default the overlay
   * and egress surfaces ignore them, as their products do (FastAPI and serde models), and the others reject them.
   */
  unknownFields?: UnknownFields;
  /** Whether Idempotency-Key is honoured ('optional') or demanded ('required'). */
  idempotency?: 'optional' | 'required';
  /** Per client IP. */
  rateLimit?: { max: number; windowMs: number };
  /**
   * Shares its method and path with routes of other surfaces (GET /api/v1/rules is OpenWatch's rule library and
   * AiFw's firewall rules): every route of such a group declares merge, and the app answers with the shallow merge
   * of the bodies of those the caller may call, 403 only when it may call none. GET routes without audit only.
   */
  merge?: boolean;
  /** Success status, 200 by default. */
  status?: number;
  /** Content type of the success response when it is not JSON. */
  produces?: string;
  /** Left out of the OpenAPI documents (documentation pages themselves, for example). */
  hidden?: boolean;
  /**
   * The level of this route's access-log line, info by default. Probes that monitoring polls every few seconds
   * use debug, so they do not bury the requests operators look for.
   */
  accessLog?: 'info' | 'debug';
  /**
   * An empty body sent as application/json counts as no body (on the edge surface always: AiFw's UI sends the
   * header on bodiless POSTs); elsewhere it is a 400 unless a route shared with that UI (logout) sets this.
   */
  emptyJsonIsNoBody?: boolean;
  /**
   * A faster parse of this route's JSON body (a 2 MiB policy): what JSON.parse of the text would give (its parts may
   * be shared between requests, frozen), or undefined to leave the text to the default parser, which then also
   * answers any error. Routes merged at one path must not declare it.
   */
  parseJsonBody?(text: string): unknown;
  /**
   * A WebSocket route (GET): an upgrade request is authenticated and authorized like any request (a refusal is the
   * HTTP answer), then handed to this with its principal; a plain GET runs `handler`.
   */
  websocket?(socket: import('ws').WebSocket, principal: Principal | null): void;
  schema: S;
  handler(ctx: RouteContext<S>): unknown | Promise<unknown>;
}

/** The route's principal, which the runner guarantees on non-public routes. */
export function principalOf(ctx: RouteContext<any>): Principal {
  if (!ctx.principal) throw errors.unauthorized();
  return ctx.principal;
}

/** Whether a principal may call a guarded route: its permission, or one of the narrower ones it also accepts. */
export function mayCall(principal: Principal, route: Pick<RouteDefinition<any>, 'permission' | 'alsoPermittedBy'>): boolean {
  return hasPermission(principal, route.permission) || (route.alsoPermittedBy ?? []).some((p) => hasPermission(principal, p));
}

/** The schemas a route declared, by the lazily bounded ones defineRoute gave it. */
const declaredSchemas = new WeakMap<RouteSchemas, RouteSchemas>();

/**
 * Declares a route: its schemas, permission and audit action next to the handler. Every string and array of its
 * input schemas gets a maximum where it declares none (input-bounds.ts), so no request field is unbounded, and its
 * body's objects reject unknown fields unless the route (or its surface's default) says to ignore them.
 */
export function defineRoute<S extends RouteSchemas>(def: RouteDefinition<S>): RouteDefinition<S> {
  const unknownFields = def.unknownFields ?? (def.surface === 'overlay' || def.surface === 'egress' ? 'ignore' : 'reject');
  // A route defined again (with other unknownFields) is bounded from the schemas first declared, not its bounded ones.
  return { ...def, schema: boundedOnFirstUse((declaredSchemas.get(def.schema) as S | undefined) ?? def.schema, unknownFields) };
}

/**
 * The schemas with the inputs bounded when first read (by a request or the OpenAPI document), not when the route is
 * declared: rebuilding every route's schemas at once cost `serve` about a tenth of its start-up, for routes most
 * processes never call. Once read, each is a plain property again.
 */
function boundedOnFirstUse<S extends RouteSchemas>(schema: S, unknownFields: UnknownFields): S {
  const out = { ...schema };
  declaredSchemas.set(out, schema);
  for (const key of ['params', 'query', 'body'] as const) {
    const input = schema[key];
    if (!input) continue;
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = bounded(input, key === 'body' ? unknownFields : 'ignore');
        Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
    });
  }
  return out;
}

/** A module's contribution to the HTTP surface. */
export interface HttpModule {
  name: string;
  routes: RouteDefinition<any>[];
}
