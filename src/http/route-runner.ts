import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditService } from '../core/audit/audit.service.js';
import type { AuditResult } from '../core/audit/audit.types.js';
import type { Database } from '../core/db/database.js';
import { errors, RampartError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Authenticator } from './auth.js';
import { actorOf, HandlerContext, ReplyControl } from './route-context.js';
import { describeZodError } from './error-mapping.js';
import { rejectUnstorableInput } from './input-guard.js';
import { forwardedBy, isSecureRequest, trustNoProxy, type Transport } from './proxy.js';
import { assertNotForged, ensureCsrfCookie } from './csrf.js';
import type { Idempotency, StoredResponse } from './idempotency/idempotency.js';
import { mayCall, type RouteDefinition } from './route.js';
import { JsonText } from './json-text.js';

export interface RouteRunnerDeps {
  db: Database;
  audit: AuditService;
  idempotency: Idempotency;
  authenticator: Authenticator;
  /** Whether Rampart serves TLS itself, and the reverse proxies whose X-Forwarded-* headers it believes. */
  transport?: Transport;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Runs a declared route: parse input, authenticate and authorize, honour Idempotency-Key, run the handler (with
 * its audit row in the same transaction), and send the result. Errors propagate to the app's error handler.
 */
export function createRouteRunner(deps: RouteRunnerDeps) {
  const transport = deps.transport ?? { tls: false, proxies: trustNoProxy };
  /** Who is calling, and whether they may: 401/403 otherwise (also what a WebSocket upgrade is answered with). */
  async function admit(route: RouteDefinition<any>, req: FastifyRequest): Promise<Principal | null> {
    // Before anything reads the request: strings no store can hold never reach a query, whatever the route.
    rejectUnstorableInput(req);
    // Who is asking comes first: a caller who may not call the route learns nothing about its input rules.
    // Probes and device polls carry no credential the kit reads: they skip the await (a promise and a microtask).
    const principal = carriesCredentials(route, req) ? await authenticate(route, req) : null;
    // A browser's cookie is sent whoever made the page: writes it authenticates must prove they came from ours.
    assertNotForged(req, principal, forwardedBy(req, transport.proxies, 'x-forwarded-host') ?? req.headers.host);
    if (route.permission !== 'public') {
      if (!principal) throw errors.unauthorized();
      if (route.permission !== 'authenticated' && !mayCall(principal, route)) {
        if (route.audit) await recordDenied(route, req, principal);
        throw errors.forbidden(`permission ${route.permission} is required`, { details: { required_permission: route.permission } });
      }
    }
    return principal;
  }

  async function run(route: RouteDefinition<any>, req: FastifyRequest, reply: FastifyReply) {
    const principal = await admit(route, req);
    ensureCsrfCookie(req, reply, principal, isSecureRequest(req, transport));
    const params = parse(route.schema.params, req.params, 'path parameters');
    const query = parse(route.schema.query, req.query, 'query');
    const body = parse(route.schema.body, req.body, 'body');

    const idem = route.idempotency ? await idempotencyFor(route, req, principal) : null;
    if (idem?.replay) return send(reply, idem.replay, true);

    const control = new ReplyControl(reply, route.status ?? 200, transport);
    const ctx = new HandlerContext(req, control, principal, params, query, body, reply, deps.audit, transport);
    let output: unknown;
    try {
      output = route.audit ? await deps.db.transaction(() => handleAudited(route, ctx)) : await handleUnaudited(route, ctx);
    } catch (err) {
      if (idem) await deps.idempotency.finish(idem.request, { status: 500, body: '', type: '' });
      // A failure row that cannot be written fails the request with that error instead: nothing goes unrecorded.
      if (route.audit) await recordOutcome(route, ctx, 'failure', { error: (err as Error).message });
      throw err;
    }
    if (reply.sent) return reply; // a streaming handler took over the reply
    const status = control.statusCode;
    if (control.redirectTo !== undefined) return reply.code(status).header('location', control.redirectTo).send();
    // Binary bodies (archives) are sent as they are; such routes take no Idempotency-Key, so nothing is stored.
    if (route.produces && output instanceof Uint8Array && status !== 304) return reply.code(status).type(route.produces).send(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
    // Bodies kept in parts (the fleet's rendered host list) are written part after part, never joined in memory.
    if (route.produces && output instanceof Readable && status !== 304) return reply.code(status).type(route.produces).send(output);
    // Pre-serialised JSON that no idempotency record keeps is sent as it is (bytes, when the handler made bytes).
    if (output instanceof JsonText && !idem && status !== 204 && status !== 304) return reply.code(status).type(JSON_TYPE).send(output.payload);
    const response: StoredResponse =
      status === 204 || status === 304
        ? { status, body: '', type: '' }
        : route.produces
          ? { status, body: String(output), type: route.produces }
          : { status, body: output instanceof JsonText ? output.text : JSON.stringify(output ?? null), type: JSON_TYPE };
    if (idem) await deps.idempotency.finish(idem.request, response);
    return send(reply, response, false);
  }

  /** The handler and its audit row, in the one transaction the caller opened. */
  async function handleAudited(route: RouteDefinition<any>, ctx: HandlerContext) {
    const result = await route.handler(ctx);
    await recordOutcome(route, ctx, 'success');
    return result;
  }

  /**
   * A read's queries share one pooled connection (PostgreSQL), so under load it waits for the pool once rather than
   * once per query: with 200 requests in flight a list of 7 queries took 7 turns in the pool's line. Other
   * unaudited routes may do slow work between queries (a password hash) and keep taking one per query.
   */
  function handleUnaudited(route: RouteDefinition<any>, ctx: HandlerContext) {
    const read = route.method === 'GET' && route.produces !== 'text/event-stream';
    return read ? deps.db.oneConnection(async () => route.handler(ctx)) : route.handler(ctx);
  }

  /** The route's audit row, with what the handler named. */
  function recordOutcome(route: RouteDefinition<any>, ctx: HandlerContext, result: AuditResult, details?: Record<string, unknown>) {
    const { resource, details: noted } = ctx.note;
    return ctx.recordAudit({ action: route.audit!, resource, result, details: { ...noted, ...details } });
  }

  function recordDenied(route: RouteDefinition<any>, req: FastifyRequest, principal: Principal) {
    return deps.audit.record({
      actor: actorOf(principal),
      action: route.audit!,
      result: 'denied',
      clientIp: req.ip,
      userAgent: req.headers['user-agent'] ?? null,
      correlationId: String(req.id),
      details: { permission: route.permission },
    });
  }

  /** Whether the kit has a credential to resolve: always on non-public routes, which answer 401 without one. */
  function carriesCredentials(route: RouteDefinition<any>, req: FastifyRequest): boolean {
    if (route.permission !== 'public') return true;
    if (route.credentials === 'own') return false;
    return req.headers.authorization !== undefined || req.headers.cookie !== undefined; // probes carry neither
  }

  /** On public routes a stale or invalid credential (an expired cookie, say) is simply no one. */
  async function authenticate(route: RouteDefinition<any>, req: FastifyRequest): Promise<Principal | null> {
    if (route.permission !== 'public') return deps.authenticator.authenticate(req, route);
    try {
      return await deps.authenticator.authenticate(req, route);
    } catch (err) {
      if ((err as { status?: number }).status === 401) return null;
      throw err;
    }
  }

  async function idempotencyFor(route: RouteDefinition<any>, req: FastifyRequest, principal: Principal | null) {
    if (!route.idempotency) return null;
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') {
      if (route.idempotency === 'required') {
        // OpenWatch's clients read this code; the other surfaces keep the generic validation code.
        if (route.surface === 'fleet') throw new RampartError({ code: 'idempotency.key_required', status: 400, message: 'Idempotency-Key header is required' });
        throw errors.validation('Idempotency-Key header is required');
      }
      return null;
    }
    deps.idempotency.validateKey(key);
    const [path, query = ''] = req.url.split('?');
    const request = { actor: principal ? `${principal.type}:${principal.id}` : 'anonymous', key, method: req.method, path, query, body: req.body };
    const replay = await deps.idempotency.begin(request);
    return { request, replay };
  }
  /**
   * Routes sharing a method and path (route.ts, merge): the caller's identity is resolved once, each route the
   * caller may call runs with its own input schemas, and the answer is the shallow merge of their bodies in
   * declaration order. 403 only when the caller may call none of them.
   */
  async function runMerged(routes: RouteDefinition<any>[], req: FastifyRequest, reply: FastifyReply) {
    rejectUnstorableInput(req);
    const principal = await authenticate(routes[0], req);
    ensureCsrfCookie(req, reply, principal, isSecureRequest(req, transport));
    if (!principal) throw errors.unauthorized();
    const permitted = routes.filter((r) => r.permission === 'authenticated' || mayCall(principal, r));
    if (permitted.length === 0) {
      const required = routes.map((r) => r.permission);
      throw errors.forbidden(`one of the permissions ${required.join(', ')} is required`, { details: { required_permission: required[0] } });
    }
    const merged: Record<string, unknown> = {};
    for (const route of permitted) {
      const params = parse(route.schema.params, req.params, 'path parameters');
      const query = parse(route.schema.query, req.query, 'query');
      const control = new ReplyControl(reply, 200, transport);
      const ctx = new HandlerContext(req, control, principal, params, query, undefined, reply, deps.audit, transport);
      const output = await handleUnaudited(route, ctx);
      if (output && typeof output === 'object' && !Array.isArray(output)) Object.assign(merged, output);
    }
    return send(reply, { status: 200, body: JSON.stringify(merged), type: JSON_TYPE }, false);
  }

  return { run: Object.assign(run, { admit }), runMerged };
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  // Inputs reported in the issues tell a missing field from a mistyped one (the fleet's validation.field_required).
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}), { reportInput: true });
  if (!result.success) throw errors.validation(describeZodError(result.error, where), { cause: result.error });
  return result.data;
}

function send(reply: FastifyReply, response: StoredResponse, replayed: boolean) {
  if (replayed) reply.header('idempotent-replayed', 'true');
  reply.code(response.status);
  if (response.status === 204 || response.status === 304) return reply.send();
  return reply.type(response.type).send(response.body);
}
