import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { defineRoute, type HttpModule } from '../../src/http/route.js';
import { createHealthService } from '../../src/modules/health/health.service.js';
import { healthRoutes } from '../../src/modules/health/health.routes.js';
import { docsRoutes } from '../../src/modules/docs/docs.routes.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

/** Representative routes on each surface: public and guarded, params, query, body, 201 and 204, idempotency. */
function probeRoutes(): HttpModule {
  const probe = z.object({ id: z.uuid(), name: z.string(), port: z.number().int() });
  return {
    name: 'openapi-probe',
    routes: [
      defineRoute({
        method: 'GET', path: '/api/v1/probes', surface: 'fleet', permission: 'probe:read', tags: ['probes'],
        summary: 'List probes',
        schema: {
          query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), tag: z.string().optional(), kind: z.enum(['tcp', 'udp']) }),
          response: z.object({ items: z.array(probe) }),
        },
        handler: () => ({ items: [] }),
      }),
      defineRoute({
        method: 'POST', path: '/api/v1/probes', surface: 'fleet', permission: 'probe:write', tags: ['probes'],
        summary: 'Create a probe', audit: 'probe.create', idempotency: 'required', status: 201,
        schema: { body: z.object({ name: z.string().min(1), port: z.number().int().default(443) }), response: probe },
        handler: ({ body }) => ({ id: '00000000-0000-4000-8000-000000000000', ...body }),
      }),
      defineRoute({
        method: 'DELETE', path: '/api/v1/probes/:id', surface: 'fleet', permission: 'probe:write', tags: ['probes'],
        summary: 'Delete a probe', audit: 'probe.delete', status: 204,
        schema: { params: z.object({ id: z.uuid() }) },
        handler: () => undefined,
      }),
      defineRoute({
        method: 'GET', path: '/api/v1/probes/:id/report', surface: 'egress', permission: 'public', tags: ['probes'],
        summary: 'Probe report as text', produces: 'text/plain; charset=utf-8',
        schema: { params: z.object({ id: z.uuid() }) },
        handler: () => 'ok',
      }),
      defineRoute({
        method: 'GET', path: '/api/probe-nodes/:id', surface: 'overlay', permission: 'overlay:read', tags: ['nodes'],
        summary: 'Get a node', schema: { params: z.object({ id: z.coerce.number().int() }), response: z.object({ id: z.number() }) },
        handler: ({ params }) => ({ id: params.id }),
      }),
      defineRoute({
        method: 'POST', path: '/v1/devices', surface: 'access', permission: 'device:write', tags: ['devices'],
        summary: 'Register a device', audit: 'device.register', idempotency: 'optional', status: 201,
        schema: { body: z.object({ public_key: z.string() }), response: z.object({ id: z.string() }) },
        handler: () => ({ id: 'd1' }),
      }),
      defineRoute({
        method: 'GET', path: '/admin/stats', surface: 'access', permission: 'public', summary: 'Public stats',
        schema: { response: z.object({ devices: z.number() }) },
        handler: () => ({ devices: 0 }),
      }),
    ],
  };
}

const probeModule: RampartModule = { name: 'openapi-probe', http: () => probeRoutes() };

/**
 * Until src/server.ts mounts the docs module itself, the test mounts it over the built-in and probe routes. The
 * check keeps this test valid on both sides of that wiring.
 */
async function startRampart(): Promise<TestRampart> {
  const r = await createTestRampart({ modules: [probeModule] });
  if (r.app.hasRoute({ method: 'GET', url: '/api/openapi.json' })) return r;
  await r.cleanup();
  const docsModule: RampartModule = {
    name: 'docs',
    http: (core) => {
      const health = healthRoutes(createHealthService({ db: core.db, migrator: core.migrator }));
      const docs: HttpModule = docsRoutes(() => [...health.routes, ...probeRoutes().routes, ...docs.routes]);
      return docs;
    },
  };
  return createTestRampart({ modules: [probeModule, docsModule] });
}

async function getJson(r: TestRampart, url: string): Promise<any> {
  const res = await r.app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return res.json();
}

const DOCUMENTS = ['/api/v1/openapi.json', '/api/openapi.json', '/v1/openapi.json'];

describe('OpenAPI documents', () => {
  let r: TestRampart;
  const docs: Record<string, any> = {};
  before(async () => {
    r = await startRampart();
    for (const url of DOCUMENTS) docs[url] = await getJson(r, url);
  });
  after(() => r?.cleanup());

  test('each document is a valid OpenAPI 3.1 document', async () => {
    for (const url of DOCUMENTS) {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(docs[url]));
      assert.equal(result.valid, true, `${url} is invalid: ${JSON.stringify(result.errors, null, 2)}`);
      assert.equal(docs[url].openapi, '3.1.0');
      assert.equal(validator.version, '3.1');
    }
  });

  test('paths are split between the three documents by surface prefix', () => {
    const paths = (url: string) => Object.keys(docs[url].paths).sort();
    const owns: Record<string, (path: string) => boolean> = {
      '/api/v1/openapi.json': (p) => p.startsWith('/api/v1/') || p === '/health' || p === '/ready',
      '/api/openapi.json': (p) => (p === '/api' || p.startsWith('/api/')) && !p.startsWith('/api/v1/'),
      '/v1/openapi.json': (p) => p.startsWith('/v1/') || p.startsWith('/admin/') || p === '/healthz' || p === '/readyz',
    };
    const expected: Record<string, string[]> = {
      '/api/v1/openapi.json': ['/api/v1/health', '/api/v1/probes', '/api/v1/probes/{id}', '/api/v1/probes/{id}/report', '/api/v1/version', '/health', '/ready'],
      '/api/openapi.json': ['/api', '/api/health', '/api/probe-nodes/{id}'],
      '/v1/openapi.json': ['/admin/stats', '/healthz', '/readyz', '/v1/devices'],
    };
    for (const [url, belongs] of Object.entries(owns)) {
      assert.deepEqual(paths(url).filter((p) => !belongs(p)), [], `${url} holds another surface's paths`);
      for (const p of expected[url]) assert.ok(paths(url).includes(p), `${url} lacks ${p}`);
    }
  });

  test('a guarded list route documents its query, credentials, permission and error envelope', () => {
    const op = docs['/api/v1/openapi.json'].paths['/api/v1/probes'].get;
    assert.equal(op.operationId, 'getApiV1Probes');
    assert.deepEqual(op.tags, ['probes']);
    assert.deepEqual(op.security, [{ bearerAuth: [] }, { cookieAuth: [] }, { apiKeyAuth: [] }]);
    assert.equal(op['x-rampart-permission'], 'probe:read');
    const params = Object.fromEntries(op.parameters.map((p: any) => [p.name, p]));
    assert.deepEqual(Object.keys(params).sort(), ['kind', 'limit', 'tag']);
    assert.equal(params.limit.in, 'query');
    assert.equal(params.limit.required, false, 'a defaulted query parameter is optional for the client');
    assert.equal(params.limit.schema.type, 'integer');
    assert.equal(params.kind.required, true);
    assert.deepEqual(params.kind.schema.enum, ['tcp', 'udp']);
    assert.equal(op.responses['200'].content['application/json'].schema.properties.items.type, 'array');
    for (const status of ['400', '401', '403', '500']) {
      assert.deepEqual(op.responses[status].content['application/json'].schema, { $ref: '#/components/schemas/FleetError' }, status);
    }
    const fleetError = docs['/api/v1/openapi.json'].components.schemas.FleetError;
    assert.deepEqual(fleetError.properties.error.required, ['code', 'fault', 'retryable', 'human_message', 'correlation_id']);
  });

  test('a create route documents its body, 201, audit action and required Idempotency-Key', () => {
    const op = docs['/api/v1/openapi.json'].paths['/api/v1/probes'].post;
    assert.equal(op['x-rampart-audit-action'], 'probe.create');
    assert.equal(op.requestBody.required, true);
    const body = op.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['name'], 'a defaulted body field is optional for the client');
    const key = op.parameters.find((p: any) => p.name === 'Idempotency-Key');
    assert.equal(key.in, 'header');
    assert.equal(key.required, true);
    assert.ok(op.responses['201'].content['application/json'].schema.properties.id);
    assert.equal(op.responses['200'], undefined);
    assert.ok(op.responses['409'], 'a reused Idempotency-Key answers 409');
    assert.ok(op.responses['413']);
  });

  test('a delete route documents its path parameter and a 204 without content', () => {
    const op = docs['/api/v1/openapi.json'].paths['/api/v1/probes/{id}'].delete;
    assert.deepEqual(op.parameters, [{ name: 'id', in: 'path', required: true, schema: op.parameters[0].schema }]);
    assert.equal(op.parameters[0].schema.format, 'uuid');
    assert.equal(op.responses['204'].content, undefined);
    assert.ok(op.responses['404']);
  });

  test('public routes carry no security and no 401/403; non-JSON routes declare their content type', () => {
    const v1 = docs['/api/v1/openapi.json'];
    for (const op of [v1.paths['/api/v1/health'].get, v1.paths['/health'].get, v1.paths['/api/v1/probes/{id}/report'].get]) {
      assert.equal(op.security, undefined);
      assert.equal(op['x-rampart-permission'], 'public');
      assert.equal(op.responses['401'], undefined);
      assert.equal(op.responses['403'], undefined);
    }
    assert.deepEqual(Object.keys(v1.paths['/api/v1/probes/{id}/report'].get.responses['200'].content), ['text/plain']);
    assert.deepEqual(v1.paths['/health'].get.responses['500'].content['application/json'].schema, { $ref: '#/components/schemas/EgressError' });
    assert.equal(v1.paths['/ready'].get.responses['503'].description, 'not ready');
    assert.deepEqual(Object.keys(v1.components.securitySchemes).sort(), ['apiKeyAuth', 'bearerAuth', 'cookieAuth']);
    assert.equal(v1.components.securitySchemes.cookieAuth.name, 'rampart_session');
  });

  test('the overlay and access documents use their own error envelopes', () => {
    const overlay = docs['/api/openapi.json'];
    assert.deepEqual(overlay.paths['/api/probe-nodes/{id}'].get.responses['401'].content['application/json'].schema, { $ref: '#/components/schemas/OverlayError' });
    assert.deepEqual(overlay.components.schemas.OverlayError.required, ['detail']);
    assert.equal(overlay.components.schemas.FleetError, undefined);

    const access = docs['/v1/openapi.json'];
    const op = access.paths['/v1/devices'].post;
    assert.deepEqual(op.responses['403'].content['application/json'].schema, { $ref: '#/components/schemas/AccessError' });
    assert.deepEqual(access.components.schemas.AccessError.required, ['error', 'detail']);
    assert.equal(op.parameters.find((p: any) => p.name === 'Idempotency-Key').required, false);
  });

  test('a document is served the same on every request', async () => {
    const again = await getJson(r, '/api/v1/openapi.json');
    assert.deepEqual(again, docs['/api/v1/openapi.json']);
  });
});

describe('documentation pages', () => {
  let r: TestRampart;
  before(async () => {
    r = await startRampart();
  });
  after(() => r?.cleanup());

  /** Fetches a page and every script and stylesheet it references, as a browser would. */
  async function loadPage(url: string) {
    const page = await r.app.inject({ method: 'GET', url });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/, 'scripts come from Rampart only');
    assert.match(csp, /style-src 'self' 'unsafe-inline'/, 'the renderers inject styles at runtime');
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script: the CSP would block it');
    assert.doesNotMatch(page.body, /https?:\/\//, 'nothing is loaded from the internet');
    const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)]
      .filter((m) => !m[1].startsWith('data:')) // inline data (the empty favicon) is no request
      .map((m) => new URL(m[1], `http://rampart${url}`).pathname);
    const assets: Record<string, { type: string; body: string }> = {};
    for (const ref of refs) {
      const res = await r.app.inject({ method: 'GET', url: ref });
      assert.equal(res.statusCode, 200, `${ref}: ${res.body.slice(0, 200)}`);
      assets[ref] = { type: String(res.headers['content-type']), body: res.body };
    }
    return { refs, assets };
  }

  test('Swagger UI at /api/docs loads its bundle and initializer from Rampart', async () => {
    const { refs, assets } = await loadPage('/api/docs');
    const bundle = refs.find((ref) => ref.endsWith('swagger-ui-bundle.js'));
    assert.ok(bundle, `no Swagger UI bundle among ${refs}`);
    assert.match(assets[bundle].type, /^text\/javascript/);
    assert.match(assets[bundle].body, /SwaggerUIBundle/);
    const init = refs.find((ref) => ref.endsWith('init.js'))!;
    assert.match(assets[init].type, /^text\/javascript/);
    assert.match(assets[init].body, /openapi\.json/);
    const css = refs.find((ref) => ref.endsWith('.css'))!;
    assert.match(assets[css].type, /^text\/css/);
    assert.match(assets[css].body, /\.swagger-ui/);
  });

  test('ReDoc at /api/redoc loads its standalone bundle and initializer from Rampart', async () => {
    const { refs, assets } = await loadPage('/api/redoc');
    const bundle = refs.find((ref) => ref.endsWith('redoc.standalone.js'));
    assert.ok(bundle, `no ReDoc bundle among ${refs}`);
    assert.match(assets[bundle].type, /^text\/javascript/);
    assert.ok(assets[bundle].body.length > 100_000);
    const init = refs.find((ref) => ref.endsWith('init.js'))!;
    assert.match(assets[init].body, /Redoc\.init\(/);
    const csp = String((await r.app.inject({ method: 'GET', url: '/api/redoc' })).headers['content-security-policy']);
    assert.match(csp, /worker-src [^;]*blob:/, 'ReDoc runs its search in a blob: worker');
  });

  test('the documentation routes are not listed in any document', async () => {
    for (const url of DOCUMENTS) {
      const paths = Object.keys((await getJson(r, url)).paths);
      assert.deepEqual(paths.filter((p) => /openapi\.json|\/docs|\/redoc/.test(p)), [], url);
    }
  });

  test('only the listed asset files are served: traversal and other package files are 404', async () => {
    for (const url of [
      '/api/docs/assets/..%2f..%2fpackage.json',
      '/api/docs/assets/..%2F..%2F..%2F..%2Fpackage.json',
      '/api/docs/assets/../../../package.json',
      '/api/docs/assets/swagger-ui-bundle.js.map',
      '/api/docs/assets/index.html',
      '/api/redoc/..%2f..%2fpackage.json',
      '/api/redoc/redoc.lib.js',
    ]) {
      const res = await r.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, `${url} answered ${res.statusCode}`);
      assert.doesNotMatch(res.body, /"dependencies"|sourceMappingURL/, url);
    }
  });
});
