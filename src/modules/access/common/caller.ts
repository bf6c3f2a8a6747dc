import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { assertNotForged } from '../../../http/csrf.js';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { hasPermission, type Principal } from '../../../core/principal.js';
import type { AccessDevice, AccessHooks, DeviceCaller, GatewayCaller } from '../access.types.js';
import { SECRET_PREFIX } from './secrets.js';

/** An administrator calling a device or gateway route (the console, a script): Rampart's normal principal. */
export interface AdminCaller {
  kind: 'admin';
  principal: Principal;
}
export type AccessCaller = DeviceCaller | GatewayCaller | AdminCaller;

/** What a route hands the resolver: its request's headers and cookies (a RouteContext has all of these). */
export interface CallerRequest {
  headers: IncomingHttpHeaders;
  cookies: Record<string, string | undefined>;
  /** The request itself and the origin the client sees: a cookie-authenticated admin write is checked for forgery. */
  raw?: { request: FastifyRequest };
  origin?: string;
}

export interface CallerOptions {
  /** A suspended device may call (to read its status, say); revoked ones never can. */
  allowSuspended?: boolean;
}

export interface AccessCallers {
  /** The device behind `Authorization: Bearer <device_token>`: 401 without one, 403 when it is suspended. */
  device(req: CallerRequest, opts?: CallerOptions): Promise<DeviceCaller>;
  /** The gateway behind `Authorization: Bearer <gateway_token>` (the gateways part resolves it): 401 otherwise. */
  gateway(req: CallerRequest): Promise<GatewayCaller>;
  /**
   * Whichever the credential is: a device or gateway token, or an admin principal (session cookie, bearer JWT,
   * API key) holding adminPermission when one is given (403 otherwise; admins are refused when it is omitted).
   */
  any(req: CallerRequest, accept: { device?: boolean | CallerOptions; gateway?: boolean; adminPermission?: string }): Promise<AccessCaller>;
}

interface CallerDeps {
  core: Core;
  hooks: AccessHooks;
  /** The device row behind a device token (enrollment/device.service.ts), whatever its status. */
  deviceByToken(secret: string): Promise<(AccessDevice & { status: AccessDevice['status'] }) | undefined>;
  /** The device deviceByToken would give from its cache, without a promise: device polls mostly end here. */
  cachedDevice?(secret: string): AccessDevice | undefined;
}

function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/**
 * Resolves the Authorization header of the access module's device and gateway routes. These routes are declared
 * `permission: 'public', credentials: 'own'` and call one of these first: the runner's own authentication knows
 * nothing of device and gateway tokens. The kind is told by the secret's prefix (common/secrets.ts).
 */
export function createCallers(deps: CallerDeps): AccessCallers {
  async function device(req: CallerRequest, opts: CallerOptions = {}): Promise<DeviceCaller> {
    const secret = bearerOf(req.headers);
    if (!secret?.startsWith(SECRET_PREFIX.device)) throw errors.unauthorized('a device token is required (Authorization: Bearer <device_token>)');
    const found = deps.cachedDevice?.(secret) ?? (await deps.deviceByToken(secret));
    if (!found || found.status === 'revoked') throw errors.unauthorized('device token is not valid');
    if (found.status === 'suspended' && !opts.allowSuspended) throw errors.forbidden('device is suspended');
    if (found.status === 'pending') throw errors.forbidden('device is waiting for approval');
    if (!(await deps.hooks.tenantActive(found.tenant_id))) throw errors.forbidden("the device's tenant is suspended");
    return { kind: 'device', device: found };
  }

  async function gateway(req: CallerRequest): Promise<GatewayCaller> {
    const secret = bearerOf(req.headers);
    if (!secret?.startsWith(SECRET_PREFIX.gateway)) throw errors.unauthorized('a gateway token is required (Authorization: Bearer <gateway_token>)');
    const found = await deps.hooks.gatewayCaller(secret);
    if (!found) throw errors.unauthorized('gateway token is not valid');
    if (!(await deps.hooks.tenantActive(found.tenant_id))) throw errors.forbidden("the gateway's tenant is suspended");
    return found;
  }

  async function admin(req: CallerRequest, permission: string): Promise<AdminCaller> {
    const principal = await deps.core.identity.authenticator.authenticate({ authorization: req.headers.authorization, cookies: req.cookies });
    if (!principal) throw errors.unauthorized();
    // These routes resolve their own credentials, so the runner's CSRF check saw no principal: a browser's
    // cookie-authenticated write must prove it came from the console, as on every other route.
    if (req.raw) assertNotForged(req.raw.request, principal, req.origin ? new URL(req.origin).host : req.headers.host);
    else if (principal.via === 'cookie') throw errors.unauthorized('a session cookie is not accepted here');
    if (!hasPermission(principal, permission)) throw errors.forbidden(`permission ${permission} is required`);
    return { kind: 'admin', principal };
  }

  return {
    device,
    gateway,
    async any(req, accept) {
      const secret = bearerOf(req.headers);
      if (accept.device && secret?.startsWith(SECRET_PREFIX.device)) return device(req, typeof accept.device === 'object' ? accept.device : {});
      if (accept.gateway && secret?.startsWith(SECRET_PREFIX.gateway)) return gateway(req);
      if (accept.adminPermission && (req.headers.authorization !== undefined || Object.keys(req.cookies).length > 0)) return admin(req, accept.adminPermission);
      throw errors.unauthorized('a device, gateway or administrator credential is required');
    },
  };
}
