import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { RampartError } from '../../../core/errors.js';
import { createdBy, credentialSchema, notFound } from './fleet.schemas.js';

const tags = ['fleet credentials'];
const surface = 'fleet' as const;

const scope = z.enum(['system', 'host']);
const secrets = {
  password: z.string().min(1).max(1_024),
  private_key: z.string().min(1).max(64 * 1024),
  private_key_passphrase: z.string().max(1_024),
};
const createBody = z.object({
  scope,
  scope_id: z.string().uuid().nullable().optional(),
  name: z.string().min(1).max(256),
  description: z.string().max(1_024).nullable().optional(),
  username: z.string().min(1).max(256),
  auth_method: z.enum(['ssh_key', 'password', 'both']),
  password: secrets.password.optional(),
  private_key: secrets.private_key.optional(),
  private_key_passphrase: secrets.private_key_passphrase.optional(),
  is_default: z.boolean().optional(),
});
const patchBody = z.object({
  name: z.string().min(1).max(256).optional(),
  description: z.string().max(1_024).nullable().optional(),
  username: z.string().min(1).max(256).optional(),
  auth_method: z.enum(['ssh_key', 'password', 'both']).optional(),
  password: secrets.password.optional(),
  private_key: secrets.private_key.optional(),
  private_key_passphrase: secrets.private_key_passphrase.optional(),
  is_default: z.boolean().optional(),
});
const cloneBody = z.object({
  scope,
  scope_id: z.string().uuid().nullable().optional(),
  name: z.string().min(1).max(256).optional(),
  is_default: z.boolean().optional(),
});
const idParams = z.object({ id: z.string() });
const noneAvailable = () => new RampartError({ code: 'credentials.none_available', status: 404, message: 'no credential available for the host or as system default' });
const conflicts = { 409: { description: 'credentials.multiple_system_defaults, or credentials.duplicate (name taken in the scope)' } };

/** /api/v1/credentials: SSH credentials, secrets sealed at rest and never returned. */
export function credentialsRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { credentials } = fleet;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/credentials', surface, permission: 'credential:read', tags,
      summary: 'List active credentials (metadata only); filters scope, scope_id',
      schema: { query: z.object({ scope: scope.optional(), scope_id: z.string().uuid().optional() }), response: z.object({ credentials: z.array(credentialSchema) }) },
      handler: async (ctx) => ({ credentials: await credentials.list(ctx.query) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/credentials', surface, permission: 'credential:write', tags, audit: 'credential.created', status: 201,
      summary: 'Create a credential: scope system or host (scope_id = host id); ssh_key needs private_key, password needs password, both needs both',
      description: 'The private key is parsed (with private_key_passphrase) to fill ssh_key_fingerprint, type, bits and comment; a key that does not parse is a 400.',
      schema: {
        body: createBody,
        response: credentialSchema,
        responses: { ...conflicts, 400: { description: 'credentials.invalid_scope, credentials.missing_secret, credentials.invalid_key, credentials.host_not_found, or a malformed field' } },
      },
      handler: async (ctx) => {
        const created = await credentials.create(ctx.body, createdBy(ctx.principal));
        ctx.auditResource('credential', created.id, { name: created.name, scope: created.scope, scope_id: created.scope_id, auth_method: created.auth_method, is_default: created.is_default });
        return created;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/credentials/:id', surface, permission: 'credential:read', tags,
      summary: 'One credential (metadata only)',
      schema: { params: idParams, response: credentialSchema, responses: notFound('credential') },
      handler: (ctx) => credentials.get(ctx.params.id),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/credentials/:id', surface, permission: 'credential:write', tags, audit: 'credential.updated',
      summary: 'Change a credential; a secret given replaces the stored one, is_default on a system credential demotes the previous default',
      schema: { params: idParams, body: patchBody, response: credentialSchema, responses: { ...notFound('credential'), ...conflicts } },
      handler: async (ctx) => {
        const { credential, secretRotated } = await credentials.update(ctx.params.id, ctx.body);
        ctx.auditResource('credential', credential.id, { name: credential.name, changed: Object.keys(ctx.body).filter((k) => !(k in secrets)), secret_rotated: secretRotated });
        return credential;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/credentials/:id', surface, permission: 'credential:delete', tags, audit: 'credential.deleted', status: 204,
      summary: 'Delete (deactivate) a credential',
      schema: { params: idParams, responses: notFound('credential') },
      handler: async (ctx) => {
        const removed = await credentials.remove(ctx.params.id);
        ctx.auditResource('credential', removed.id, { name: removed.name, scope: removed.scope });
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/credentials/:id(^[^:]+)::clone', surface, permission: 'credential:write', tags, audit: 'credential.created', status: 201,
      summary: 'Copy a credential into another scope; the secrets are copied sealed, never sent',
      schema: { params: idParams, body: cloneBody, response: credentialSchema, responses: { ...notFound('credential'), ...conflicts } },
      handler: async (ctx) => {
        const clone = await credentials.clone(ctx.params.id, ctx.body, createdBy(ctx.principal));
        ctx.auditResource('credential', clone.id, { cloned_from: ctx.params.id, scope: clone.scope, scope_id: clone.scope_id });
        return clone;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:host_id/credentials::resolve', surface, permission: 'credential:read', tags,
      summary: "The credential SSH work uses for the host: its own (scope host) first, else the system default",
      schema: {
        params: z.object({ host_id: z.string() }),
        response: credentialSchema,
        responses: { 404: { description: 'hosts.not_found, or credentials.none_available when no credential resolves' } },
      },
      handler: async (ctx) => {
        const resolved = await credentials.resolve(ctx.params.host_id);
        if (!resolved) throw noneAvailable();
        return resolved.credential;
      },
    }),
  ];
}
