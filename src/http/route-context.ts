import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEventInput } from '../core/audit/audit.types.js';
import type { Principal } from '../core/principal.js';
import { cookiesOf } from './auth.js';
import type { AuditService } from '../core/audit/audit.service.js';
import { errors } from '../core/errors.js';
import { forwardedBy, isSecureRequest, type Transport } from './proxy.js';
import { CSRF_COOKIE, isSessionCookie, OPENWATCH_CSRF_COOKIE, setCsrfCookie } from './csrf.js';
import type { CookieOptions, RequestAuditEvent, RouteContext } from './route.js';

/** What the handler named for its audit row. */
export interface AuditNote {
  resource?: { type: string; id?: string | null };
  details?: Record<string, unknown>;
}

/**
 * The reply side a handler may steer: status, headers, cookies, a redirect. A class, not an object of closures:
 * it is built on every request, and prototype methods cost nothing to create.
 */
export class ReplyControl {
  redirectTo: string | undefined;

  constructor(
    private readonly reply: FastifyReply,
    public statusCode: number,
    private readonly transport: Transport,
  ) {}

  status(code: number): void {
    this.statusCode = code;
  }

  header(name: string, value: string): void {
    this.reply.header(name, value);
  }

  cookie(name: string, value: string, options?: CookieOptions): void {
    this.reply.setCookie(name, value, {
      path: options?.path ?? '/',
      httpOnly: options?.httpOnly ?? true,
      sameSite: options?.sameSite ?? 'lax',
      // Secure whenever the client's browser reached us over https, directly or through a trusted proxy.
      secure: isSecureRequest(this.reply.request, this.transport),
      ...(options?.maxAgeSeconds !== undefined ? { maxAge: options.maxAgeSeconds } : {}),
    });
    // Each new browser session gets a fresh CSRF token beside it (http/csrf.ts).
    if (isSessionCookie(name)) setCsrfCookie(this.reply, isSecureRequest(this.reply.request, this.transport), options?.maxAgeSeconds);
  }

  clearCookie(name: string, options?: Pick<CookieOptions, 'path'>): void {
    this.reply.clearCookie(name, { path: options?.path ?? '/' });
    if (isSessionCookie(name)) {
      this.reply.clearCookie(CSRF_COOKIE, { path: '/' });
      this.reply.clearCookie(OPENWATCH_CSRF_COOKIE, { path: '/' });
    }
  }

  redirect(url: string, code: 301 | 302 | 303 | 307 = 302): void {
    this.statusCode = code;
    this.redirectTo = url;
  }
}

/** What a handler sees of its request; fields are assigned one by one (a spread costs more, see bench/). */
export class HandlerContext implements RouteContext<any> {
  readonly correlationId: string;
  readonly clientIp: string;
  readonly userAgent: string | null;
  readonly headers: IncomingHttpHeaders;
  readonly note: AuditNote = {};
  readonly raw: { request: FastifyRequest; reply: FastifyReply };

  constructor(
    req: FastifyRequest,
    readonly reply: ReplyControl,
    readonly principal: Principal | null,
    readonly params: any,
    readonly query: any,
    readonly body: any,
    fastifyReply: FastifyReply,
    private readonly audit: AuditService,
    private readonly transport: Transport,
  ) {
    this.correlationId = String(req.id);
    this.clientIp = req.ip ?? 'unix-socket';
    this.userAgent = req.headers['user-agent'] ?? null;
    this.headers = req.headers;
    this.raw = { request: req, reply: fastifyReply };
  }

  get cookies(): Record<string, string | undefined> {
    return cookiesOf(this.raw.request);
  }

  get origin(): string {
    const req = this.raw.request;
    const proto = isSecureRequest(req, this.transport) ? 'https' : 'http';
    const host = forwardedBy(req, this.transport.proxies, 'x-forwarded-host') ?? req.headers.host;
    if (!host) throw errors.badRequest('the Host header is required');
    return `${proto}://${host}`;
  }

  auditResource(type: string, id?: string | null, details?: Record<string, unknown>): void {
    this.note.resource = { type, id };
    if (details) this.note.details = { ...this.note.details, ...details };
  }

  /** Throws when the row cannot be written: a request whose audit row is lost must fail, never go on silently. */
  async recordAudit(event: RequestAuditEvent): Promise<void> {
    await this.audit.record({
      ...event,
      actor: event.actor ?? actorOf(this.principal),
      clientIp: this.clientIp,
      userAgent: this.userAgent,
      correlationId: this.correlationId,
    });
  }
}

/** Who an audit row names for a principal, or anonymous. */
export function actorOf(principal: Principal | null): AuditEventInput['actor'] {
  return principal ? { type: principal.type, id: principal.id, name: principal.name } : { type: 'anonymous', id: null, name: null };
}
