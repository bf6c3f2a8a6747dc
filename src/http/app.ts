import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import cors from '@fastify/cors';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import FindMyWay from 'find-my-way';
import type { Logger } from '../core/logger.js';
import { errors, type RampartError } from '../core/errors.js';
import { errorForSurface, renderError, surfaceForPath, type Surface } from './dialects.js';
import { BODY_LIMIT_BYTES, drainRejectedBody, MAX_PARAM_LENGTH, toRampartError } from './error-mapping.js';
import { trustNoProxy } from './proxy.js';
import { CORRELATION_HEADER, correlationIdFor } from './correlation.js';
import type { Metrics } from './metrics.js';
import type { RouteDefinition } from './route.js';
import { createRouteRunner, type RouteRunnerDeps } from './route-runner.js';
import { closeSseStreams } from './sse.js';
import { writeAccessLine } from './access-log.js';
import { requestLogger } from './request-logger.js';
import { createTurnGate } from './turn-gate.js';
import type { ConsoleAssets } from './console.js';
import { noteJsonBodyText } from './input-guard.js';

export interface HttpAppOptions extends RouteRunnerDeps {
  logger: Logger;
  metrics: Metrics;
  routes: RouteDefinition<any>[];
  https?: { cert: string | Buffer; key: string | Buffer };
  corsOrigins?: string[];
  /** The web console, served on every GET of a path no route declared, outside the APIs' prefixes. */
  console?: ConsoleAssets;
}

interface RouteConfig {
  surface?: Surface;
  accessLog?: 'info' | 'debug';
  emptyJsonIsNoBody?: boolean;
  parseJsonBody?: (text: string) => unknown;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The one Fastify instance that serves every surface, with the shared kit wired around each route. */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const transport = opts.transport ?? { tls: Boolean(opts.https), proxies: trustNoProxy };
  // Wrong methods answer 405 with Allow; a mirror router knows which methods each declared path takes.
  // Its store remembers the path's surface, so the 405 speaks the dialect of the route that was missed.
  // Built on the first miss, not at start-up: registering every route twice cost `serve` a tenth of its start.
  const routeGroups = mergeGroups(opts.routes);
  let mirrored: FindMyWay.Instance<FindMyWay.HTTPVersion.V1> | undefined;
  const mirror = () => {
    if (mirrored) return mirrored;
    mirrored = FindMyWay({ maxParamLength: Number.MAX_SAFE_INTEGER });
    for (const [route] of routeGroups) {
      const store: RouteConfig = { surface: route.surface };
      mirrored.on(route.method, route.path, () => {}, store);
      if (route.method === 'GET') mirrored.on('HEAD', route.path, () => {}, store);
    }
    return mirrored;
  };
  const app = Fastify({
    loggerInstance: opts.logger,
    genReqId: correlationIdFor,
    // Each request's logger is made when something logs through it (request-logger.ts): most requests never do.
    childLoggerFactory: (parent, bindings, opts) => requestLogger(parent as Logger, bindings, opts),
    // Requests are logged once, on response, by the hook below.
    logController: new LogController({ requestIdLogLabel: 'correlation_id', disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // X-Forwarded-For names the client only when it comes from a proxy the operator trusts.
    trustProxy: (address: string) => transport.proxies.trusts(address),
    // The router's own errors (bad percent-encoding, an over-long parameter) answer like any other error.
    frameworkErrors: (err, req, reply) => {
      decorate(req, reply);
      const error = toRampartError(err);
      // No response hook runs for these: log the access line here (without the path, which is what was wrong).
      req.log.info({ method: req.method, route: 'unmatched', status: error.status }, 'request');
      return sendError(req, reply, error, surfaceOf(mirror(), req.raw.url ?? '/'));
    },
    // Routes validate with zod in the route runner and give Fastify no schema, so Fastify's own compilers (ajv and
    // fast-json-stringify, a tenth of the start-up) are never loaded; a route given a Fastify schema fails at start.
    schemaController: { compilersFactory: { buildValidator: noFastifySchemas, buildSerializer: noFastifySchemas } },
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;

  // AiFw's UI sends Content-Type: application/json on bodiless POSTs (reload, ws-ticket, logout): on the edge surface
  // and on the routes that UI shares (route.emptyJsonIsNoBody) an empty JSON body is no body. Everywhere else it
  // stays a 400, and the parser is otherwise Fastify's own.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const config = req.routeOptions.config as RouteConfig | undefined;
    if (body === '' && (config?.surface === 'edge' || config?.emptyJsonIsNoBody)) return done(null, undefined);
    noteJsonBodyText(req, body as string);
    const parsed = config?.parseJsonBody?.(body as string);
    if (parsed !== undefined) return done(null, parsed);
    parseJson(req, body as string, done);
  });

  const securityHeaders: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'; object-src 'none'",
    ...(opts.https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
  const decorate = (req: FastifyRequest, reply: FastifyReply) => {
    reply.header(CORRELATION_HEADER, req.id);
    reply.headers(securityHeaders);
  };
  // Callback hooks, not async ones: an async hook costs each request a promise and a microtask turn per hook.
  // Requests start through the turn gate, which keeps event-loop turns short so new connections are accepted under load.
  const gate = createTurnGate();
  opts.metrics.watchTurnGate(() => gate.waiting);
  app.server.on('connection', () => gate.accepted());
  app.addHook('onRequest', (req, reply, done) => {
    decorate(req, reply);
    gate.admit(done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    // routeOptions is a getter that builds a fresh object: read once.
    const { url, config } = req.routeOptions;
    const route = url ?? 'unmatched';
    const ms = reply.elapsedTime;
    opts.metrics.observeRequest(req.method, route, reply.statusCode, ms / 1000);
    const level = (config as RouteConfig | undefined)?.accessLog ?? 'info';
    // Built only when written: probes log at debug, below the default level.
    if ((req.log as Logger).isLevelEnabled(level)) {
      // The path only: query strings may carry tickets or tokens.
      const path = req.url.split('?')[0];
      writeAccessLine(req.log as Logger, level, { method: req.method, route, path, status: reply.statusCode, ms: Math.round(ms * 10) / 10 });
    }
    done();
  });

  app.setErrorHandler(async (err, req, reply) => {
    // A client still sending a refused body would see its connection reset instead of the answer: read it first.
    if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' && (await drainRejectedBody(req.raw))) reply.removeHeader('connection');
    return sendError(req, reply, toRampartError(err));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const matches = METHODS.map((m) => ({ method: m, found: mirror().find(m, path) })).filter((x) => x.found);
    if (matches.length === 0 && (req.method === 'GET' || req.method === 'HEAD') && opts.console?.serve(req, reply)) return reply;
    // The path is not echoed: it is the client's own input, and may be long or hostile.
    if (matches.length === 0) return sendError(req, reply, errors.notFound(`no route for ${req.method} at this path`));
    const surface = (matches[0].found!.store as RouteConfig).surface;
    return sendError(req, reply, errors.methodNotAllowed(matches.map((x) => x.method)), surface);
  });

  // Open event streams never end by themselves; close them so shutdown can finish in-flight work.
  app.addHook('preClose', async () => closeSseStreams(app));

  await app.register(rateLimit, {
    global: false,
    // A unix-socket client has no address; all of them share one bucket (the proxy in front limits per client).
    keyGenerator: (req) => req.ip ?? 'unix-socket',
    errorResponseBuilder: (_req, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  // Cookies are parsed when a route asks for them (http/auth.ts), not by a hook on every request.
  await app.register(cookie, { hook: false });
  if (opts.corsOrigins?.length) await app.register(cors, { origin: opts.corsOrigins, credentials: true });
  // WebSocket routes only (route.websocket); an upgrade to any other path is closed. Frames are small JSON.
  if (opts.routes.some((r) => r.websocket)) await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const { run, runMerged } = createRouteRunner({ ...opts, transport });
  for (const group of routeGroups) {
    const route = group[0];
    app.route({
      // HEAD shares its GET's registration (node:http sends HEAD's headers without the body) instead of Fastify
      // registering a second route of its own for it: that second copy of every GET route cost `serve` a tenth of
      // its start-up and ~8 MiB of idle memory.
      method: route.method === 'GET' ? ['GET', 'HEAD'] : route.method,
      exposeHeadRoute: false,
      url: route.path,
      config: {
        surface: route.surface,
        accessLog: route.accessLog,
        emptyJsonIsNoBody: group.some((r) => r.emptyJsonIsNoBody),
        ...(group.length === 1 && route.parseJsonBody ? { parseJsonBody: route.parseJsonBody } : {}),
        ...(route.rateLimit ? { rateLimit: { max: route.rateLimit.max, timeWindow: route.rateLimit.windowMs } } : {}),
      },
      handler: group.length > 1 ? (req, reply) => runMerged(group, req, reply) : (req, reply) => run(route, req, reply),
      ...(route.websocket ? (webSocketOf(route, run.admit) as object) : {}),
    });
  }
  return app;
}

/**
 * Routes by method and path: one per group, except where routes declare `merge` (route.ts), which share one
 * registration. Two routes at one method and path without merge on both are a declaration error.
 */
export function mergeGroups(routes: RouteDefinition<any>[]): RouteDefinition<any>[][] {
  const groups = new Map<string, RouteDefinition<any>[]>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, [route]);
      continue;
    }
    for (const r of [...group, route]) {
      if (!r.merge || r.method !== 'GET' || r.audit || r.permission === 'public' || r.websocket) {
        throw new Error(`${key} is declared twice: routes sharing a path must all declare merge (GET, guarded, no audit)`);
      }
    }
    group.push(route);
  }
  return [...groups.values()];
}

const PRINCIPAL = Symbol('websocket principal');

/** An upgrade is admitted like a request (401/403 answered over HTTP), then given to the route's socket handler. */
function webSocketOf(route: RouteDefinition<any>, admit: (route: RouteDefinition<any>, req: FastifyRequest) => Promise<unknown>) {
  return {
    preHandler: async (req: FastifyRequest) => {
      if ((req as { ws?: boolean }).ws) (req as unknown as Record<symbol, unknown>)[PRINCIPAL] = await admit(route, req);
    },
    wsHandler: (socket: import('ws').WebSocket, req: FastifyRequest) =>
      route.websocket!(socket, ((req as unknown as Record<symbol, unknown>)[PRINCIPAL] ?? null) as Parameters<NonNullable<RouteDefinition['websocket']>>[1]),
  };
}

function noFastifySchemas(): never {
  throw new Error('Fastify schemas are not used: declare the route with defineRoute, whose zod schemas the route runner applies');
}

/** The surface of the declared route a raw (possibly malformed) URL was aimed at, by its prefix otherwise. */
function surfaceOf(mirror: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, url: string): Surface {
  // Malformed escapes are neutralised so the mirror can still match the route's shape.
  const path = url.split('?')[0].replace(/%[0-9A-Fa-f]{0,2}/g, '_');
  for (const method of METHODS) {
    const found = mirror.find(method, path);
    if (found) return (found.store as RouteConfig).surface ?? surfaceForPath(path);
  }
  return surfaceForPath(path);
}

function sendError(req: FastifyRequest, reply: FastifyReply, raised: RampartError, surfaceHint?: Surface) {
  if (raised.status >= 500) req.log.error({ err: raised.cause ?? raised, code: raised.code }, 'request failed');
  const surface =
    surfaceHint ?? (req.routeOptions.config as RouteConfig | undefined)?.surface ?? surfaceForPath(req.url.split('?')[0]);
  const err = errorForSurface(surface, raised);
  if (err.headers) reply.headers(err.headers);
  return reply
    .code(err.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(renderError(surface, err, String(req.id))));
}
