/**
 * Request schemas, as every route declares them and the OpenAPI documents publish them: every string and array a
 * client may send is bounded, and identity mutations refuse fields they do not know (a password sent to a
 * profile update is refused, not silently dropped).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { identityModule } from '../../src/modules/identity/index.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

type Json = Record<string, any>;

const DOCUMENTS = ['/api/v1/openapi.json', '/api/openapi.json', '/v1/openapi.json'];
/** Identity routes that ignore unknown fields, and why. */
const LENIENT_IDENTITY: Record<string, string> = {
  'POST /api/v1/auth/login': 'login forms may post more than a login reads',
  'POST /api/v1/auth/refresh': 'a login step',
  'POST /api/v1/auth/totp/login': 'a login step',
  'POST /api/v1/auth/token-login': 'a login step',
};

let r: TestRampart;
before(async () => {
  r = await createTestRampart();
});
after(() => r?.cleanup());

test('every string and array of every request body, query and path parameter has a maximum', async () => {
  const unbounded: string[] = [];
  for (const url of DOCUMENTS) {
    const doc = (await r.app.inject({ method: 'GET', url })).json() as Json;
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const body = op.requestBody?.content?.['application/json']?.schema;
        if (body) walk(doc, body, `${where} body`, new Set(), unbounded);
        for (const p of op.parameters ?? []) if (p.in !== 'header') walk(doc, p.schema, `${where} ${p.in} ${p.name}`, new Set(), unbounded);
      }
    }
  }
  assert.deepEqual(unbounded, []);
});

test('identity mutations refuse unknown fields in their bodies', () => {
  const lenient: string[] = [];
  for (const route of identityModule.http!(r.core).routes) {
    if (!route.schema.body || route.method === 'GET') continue;
    const key = `${route.method} ${route.path}`;
    if (route.unknownFields === 'ignore') lenient.push(key);
    else assert.equal(route.unknownFields, 'reject', `${key} must reject unknown fields`);
  }
  assert.deepEqual(lenient.sort(), Object.keys(LENIENT_IDENTITY).sort());
});

test('bodies of the fleet, edge and access surfaces refuse unknown fields unless their route says otherwise', () => {
  const loose: string[] = [];
  for (const route of r.routes) {
    if (!route.schema.body || ['overlay', 'egress'].includes(route.surface) || route.unknownFields === 'ignore') continue;
    const json = z.toJSONSchema(route.schema.body, { io: 'input', unrepresentable: 'any' }) as Json;
    if (json.type === 'object' && json.additionalProperties !== false) loose.push(`${route.method} ${route.path}`);
  }
  assert.deepEqual(loose, []);
});

test('PATCH /api/v1/users/{id} with a password answers 400 naming it, and changes nothing', async () => {
  const admin = await signIn(r, { roles: ['admin'] });
  const target = await signIn(r);
  const res = await r.app.inject({
    method: 'PATCH', url: `/api/v1/users/${target.user.id}`, headers: admin.headers,
    payload: { email: 'changed@example.com', password: 'a whole new password' },
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.json().error.human_message, /password/);
  assert.equal((await r.core.identity.users.get(target.user.id)).email, target.user.email);
});

test('OAuth provider role mappings are bounded', async () => {
  const admin = await signIn(r, { roles: ['admin'] });
  const mapping = { role: 'viewer', groups: ['g'] };
  const res = await r.app.inject({
    method: 'POST', url: '/api/v1/auth/oauth/providers', headers: admin.headers,
    payload: { name: 'big', issuer_url: 'https://idp.example.com', client_id: 'x', role_mappings: Array(5_000).fill(mapping) },
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.body, /role_mappings/);
});

function walk(doc: Json, input: Json | undefined, where: string, seen: Set<string>, out: string[]): void {
  if (!input || typeof input !== 'object') return;
  let s = input;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!;
    if (seen.has(name)) return; // recursive schemas are walked once
    seen.add(name);
    s = doc.components.schemas[name];
  }
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('array') && s.maxItems === undefined) out.push(`${where}: array without maxItems`);
  if (types.includes('string') && s.maxLength === undefined && s.enum === undefined && s.const === undefined) out.push(`${where}: string without maxLength`);
  for (const [k, v] of Object.entries<Json>(s.properties ?? {})) walk(doc, v, `${where}.${k}`, seen, out);
  if (s.items) walk(doc, s.items, `${where}[]`, seen, out);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(doc, s.additionalProperties, `${where}{}`, seen, out);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const option of s[key] ?? []) walk(doc, option, where, seen, out);
}
