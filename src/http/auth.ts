import type { FastifyRequest } from 'fastify';
import type { Principal } from '../core/principal.js';

/** Resolves who is calling from a request's credentials (bearer token, API key, session cookie, ticket). */
export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<Principal | null>;
}

/** Until identity is wired in, nobody is authenticated: every non-public route answers 401. */
export const noAuthentication: Authenticator = {
  authenticate: async () => null,
};
