import type { Surface } from '../../http/dialects.js';
import type { RouteDefinition } from '../../http/route.js';

/** One served OpenAPI document: where it lives and which routes it describes. */
export interface DocumentSpec {
  path: string;
  surface: Surface;
  title: string;
  description: string;
  include(route: RouteDefinition<any>): boolean;
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** The three documents the specs promise: /api/v1 (egress, fleet, edge share it), overlay's /api, access's /v1. */
export const documentSpecs: DocumentSpec[] = [
  {
    path: '/api/v1/openapi.json',
    surface: 'fleet',
    title: 'Rampart API v1',
    description: 'The /api/v1 management API (egress, fleet and edge surfaces) and the /health and /ready probes.',
    include: (r) => under(r.path, '/api/v1') || r.path === '/health' || r.path === '/ready',
  },
  {
    path: '/api/openapi.json',
    surface: 'overlay',
    title: 'Rampart overlay API',
    description: [
      'The Nebula overlay API under /api (Nebula Commander compatible). Interactive documentation: /api/docs (Swagger UI), /api/redoc (ReDoc).',
      '',
      '**Signing in.** With an OIDC provider configured, `GET /api/auth/login` redirects to it, as in Nebula Commander. Without one',
      "(a fresh install), use a local account: `POST /api/v1/auth/login` with `{\"username\": \"admin\", \"password\": \"...\"}` answers an",
      '`access_token`; send it as `Authorization: Bearer <token>` (the Authorize button here takes it), or let the browser keep the',
      '`rampart_session` cookie the same call sets: every /api route accepts either (a write the cookie authenticates must also send',
      'the `rampart_csrf` cookie\'s value in `X-CSRF-Token`). The first administrator is `admin`, its',
      'password printed once at first start and kept in `<data_dir>/initial-admin-password`. Devices use their device token instead.',
    ].join('\n'),
    include: (r) => under(r.path, '/api') && !under(r.path, '/api/v1'),
  },
  {
    path: '/v1/openapi.json',
    surface: 'access',
    title: 'Rampart access API',
    description: 'The zero-trust access API under /v1 and /admin, and the /healthz and /readyz probes.',
    include: (r) => under(r.path, '/v1') || under(r.path, '/admin') || r.path === '/healthz' || r.path === '/readyz',
  },
];
