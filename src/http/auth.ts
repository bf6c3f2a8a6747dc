import type { FastifyRequest } from 'fastify';
import type { Authenticator as CoreAuthenticator, Credentials } from '../core/identity/identity.types.js';
import type { Principal } from '../core/principal.js';
import type { RouteDefinition } from './route.js';

/** Resolves who is calling from a request's credentials (bearer token, API key, session cookie, ticket). */
export interface Authenticator {
  authenticate(request: FastifyRequest, route: RouteDefinition<any>): Promise<Principal | null>;
}

/** Nobody is authenticated: every non-public route answers 401 (tests of the kit alone). */
export const noAuthentication: Authenticator = {
  authenticate: async () => null,
};

/** The HTTP side of identity: lifts the credentials out of the request and hands them to the core authenticator. */
export function httpAuthenticator(core: CoreAuthenticator): Authenticator {
  return {
    authenticate(req, route) {
      return core.authenticate(credentialsOf(req, route));
    },
  };
}

/** The request's cookies, parsed on first use: most API calls carry none, so no hook parses them up front. */
export function cookiesOf(req: FastifyRequest): Record<string, string | undefined> {
  req.cookies ??= req.headers.cookie ? req.server.parseCookie(req.headers.cookie) : {};
  return req.cookies;
}

export function credentialsOf(req: FastifyRequest, route: Pick<RouteDefinition<any>, 'tickets'>): Credentials {
  const query = (req.query ?? {}) as Record<string, unknown>;
  return {
    authorization: req.headers.authorization,
    cookies: cookiesOf(req),
    ticket: route.tickets && typeof query.ticket === 'string' ? query.ticket : undefined,
    queryToken: typeof query.token === 'string' || typeof query.access_token === 'string' || (!route.tickets && typeof query.ticket === 'string'),
  };
}
