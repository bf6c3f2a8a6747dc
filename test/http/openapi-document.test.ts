import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/http/openapi/document.js';
import { defineRoute, type RouteDefinition } from '../../src/http/route.js';

const build = (routes: RouteDefinition<any>[], include: (r: RouteDefinition<any>) => boolean = () => true) =>
  buildOpenApiDocument({ title: 'test', version: '1.0.0', routes, include });

async function assertValid(doc: OpenApiDocument) {
  const result = await new Validator().validate(structuredClone(doc));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
}

/** Every $ref in the document points at something that exists in it (the validator does not check this). */
function assertRefsResolve(doc: OpenApiDocument) {
  const refs: string[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    for (const [key, value] of Object.entries(node)) key === '$ref' ? refs.push(value as string) : visit(value);
  };
  visit(doc);
  assert.ok(refs.length > 0);
  for (const ref of refs) {
    assert.match(ref, /^#\//, `${ref} is not local to the document`);
    const target = ref
      .slice(2)
      .split('/')
      .reduce<any>((node, part) => node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    assert.ok(target !== undefined, `${ref} does not resolve`);
  }
}

const route = (over: Partial<RouteDefinition<any>> & Pick<RouteDefinition<any>, 'method' | 'path'>): RouteDefinition<any> =>
  defineRoute({ surface: 'fleet', permission: 'public', summary: 's', schema: {}, handler: () => null, ...over });

test('recursive and shared schemas become components that the operations reference', async () => {
  const tree: z.ZodType = z.object({ name: z.string(), get children() { return z.array(tree); } });
  const address = z.object({ host: z.string(), port: z.number().int() }).meta({ id: 'OpenApiTestAddress' });
  const doc = build([
    route({ method: 'GET', path: '/api/v1/tree', schema: { response: tree } }),
    route({ method: 'GET', path: '/api/v1/forest', schema: { response: z.object({ trees: z.array(tree), primary: address }) } }),
    route({ method: 'POST', path: '/api/v1/targets', schema: { body: z.object({ a: address, b: address }), response: address } }),
  ]);
  await assertValid(doc);
  assertRefsResolve(doc);
  const targets = doc.paths['/api/v1/targets'].post as any;
  assert.deepEqual(targets.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/OpenApiTestAddress' });
  // A request may carry extra keys (the server strips them), so the request side is its own component.
  const body = targets.requestBody.content['application/json'].schema;
  assert.deepEqual(body.properties.a, { $ref: '#/components/schemas/OpenApiTestAddressInput' });
  assert.deepEqual(body.properties.b, body.properties.a);
  const treeRef = (doc.paths['/api/v1/tree'].get as any).responses['200'].content['application/json'].schema.$ref;
  const treeSchema = doc.components.schemas[treeRef.split('/').pop()] as any;
  assert.deepEqual(treeSchema.properties.children.items, { $ref: treeRef }, 'the recursion points at the component');
  assert.equal(JSON.stringify(doc).includes('$defs'), false);
  assert.equal(JSON.stringify(doc).includes('"$schema"'), false);
});

test('the same named schema differing between request and response gets a separate input component', async () => {
  const item = z.object({ name: z.string(), size: z.number().default(1) }).meta({ id: 'OpenApiTestItem' });
  const routes = [
    route({ method: 'POST', path: '/api/v1/items', schema: { body: item, response: item } }),
    route({ method: 'GET', path: '/api/v1/item', schema: { response: item } }),
  ];
  const doc = build(routes);
  await assertValid(doc);
  assertRefsResolve(doc);
  assert.deepEqual((doc.components.schemas.OpenApiTestItem as any).required, ['name', 'size']);
  assert.deepEqual((doc.components.schemas.OpenApiTestItemInput as any).required, ['name'], 'a defaulted field is optional to send');
  assert.deepEqual(Object.keys(doc.components.schemas).filter((n) => n.startsWith('OpenApiTestItem')).sort(), ['OpenApiTestItem', 'OpenApiTestItemInput']);
});

test('Fastify path syntax becomes OpenAPI templates with stable, unique operation ids', async () => {
  const routes = [
    route({ method: 'POST', path: '/api/v1/auth/password::change', permission: 'self', schema: { body: z.object({ new_password: z.string() }) } }),
    route({ method: 'GET', path: '/api/v1/hosts/:hostId/checks/:checkId', schema: { params: z.object({ hostId: z.uuid(), checkId: z.string() }) } }),
    route({ method: 'GET', path: '/api/v1/a-b' }),
    route({ method: 'GET', path: '/api/v1/a_b' }),
  ];
  const doc = build(routes);
  await assertValid(doc);
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/a-b', '/api/v1/a_b', '/api/v1/auth/password:change', '/api/v1/hosts/{hostId}/checks/{checkId}']);
  const op = doc.paths['/api/v1/hosts/{hostId}/checks/{checkId}'].get as any;
  assert.equal(op.operationId, 'getApiV1HostsByHostIdChecksByCheckId');
  assert.deepEqual(op.parameters.map((p: any) => [p.name, p.in, p.required]), [['hostId', 'path', true], ['checkId', 'path', true]]);
  assert.equal((doc.paths['/api/v1/auth/password:change'].post as any).operationId, 'postApiV1AuthPasswordChange');
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o: any) => o.operationId));
  assert.equal(new Set(ids).size, ids.length, `duplicate operation ids: ${ids}`);
  assert.deepEqual(build([...routes].reverse()), doc, 'the document does not depend on declaration order');
});

test('hidden and excluded routes are left out; rate limits, optional bodies and content types are documented', async () => {
  const doc = build(
    [
      route({ method: 'GET', path: '/api/v1/secret-page', hidden: true }),
      route({ method: 'GET', path: '/elsewhere' }),
      route({
        method: 'POST', path: '/api/v1/login', rateLimit: { max: 5, windowMs: 60_000 },
        schema: { body: z.object({ user: z.string() }).optional(), response: z.object({ token: z.string() }) },
      }),
      route({ method: 'GET', path: '/api/v1/export', permission: 'export:read', produces: 'text/csv; charset=utf-8', status: 200 }),
      route({
        method: 'GET', path: '/api/v1/thing/:id', permission: 'thing:read',
        schema: { params: z.object({ id: z.string() }), responses: { 404: { description: 'no such thing', schema: z.object({ hint: z.string() }) } } },
      }),
    ],
    (r) => r.path.startsWith('/api/v1/'),
  );
  await assertValid(doc);
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/export', '/api/v1/login', '/api/v1/thing/{id}']);
  const login = doc.paths['/api/v1/login'].post as any;
  assert.equal(login.requestBody.required, false);
  assert.ok(login.responses['429'].headers['Retry-After']);
  const exportOp = doc.paths['/api/v1/export'].get as any;
  assert.deepEqual(Object.keys(exportOp.responses['200'].content), ['text/csv']);
  assert.equal(exportOp['x-rampart-permission'], 'export:read');
  const thing = doc.paths['/api/v1/thing/{id}'].get as any;
  assert.equal(thing.responses['404'].description, 'no such thing', 'a declared response wins over the generic one');
  assert.ok(thing.responses['404'].content['application/json'].schema.properties.hint);
});
