/**
 * Walks every declared route of every surface: anonymous calls get 401, and a principal holding every
 * permission but the one a route requires gets 403, in the route's own error dialect. A route that forgot its
 * permission, or checks it only inside its handler after doing work, fails here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Surface } from '../../src/http/dialects.js';
import type { RouteDefinition } from '../../src/http/route.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/**
 * A concrete URL for a declared path: parameters (and their regular expression constraints) filled in, Fastify's
 * `::` (a literal colon) unescaped.
 */
export function concretePath(path: string): string {
  return path
    .replaceAll('::', '\u0000')
    // A parameter, with its regular expression constraint if any (`:id(^[^:]+)`).
    .replace(/:[A-Za-z_][A-Za-z0-9_]*(?:\((?:[^()]|\([^()]*\))*\))?/g, PLACEHOLDER_ID)
    .replaceAll('\u0000', ':');
}

/** The error code (or message) a client of the surface reads, asserting the envelope's shape on the way. */
function errorOf(surface: Surface, body: any): string {
  switch (surface) {
    case 'fleet':
      assert.equal(typeof body.error?.code, 'string', JSON.stringify(body));
      assert.equal(typeof body.error?.correlation_id, 'string');
      return body.error.code;
    case 'access':
      assert.equal(typeof body.detail, 'string', JSON.stringify(body));
      return body.error;
    case 'overlay':
      assert.deepEqual(Object.keys(body), ['detail']);
      return body.detail;
    case 'egress':
    case 'edge':
      assert.deepEqual(Object.keys(body), ['error']);
      return body.error;
  }
}

describe('route matrix: every declared route refuses the anonymous and the under-privileged', () => {
  let r: TestRampart;
  let guarded: RouteDefinition<any>[];
  before(async () => {
    r = await createTestRampart();
    guarded = r.routes.filter((route) => route.permission !== 'public');
  });
  after(() => r.cleanup());

  const call = (route: RouteDefinition<any>, headers: Record<string, string> = {}) =>
    r.app.inject({
      method: route.method,
      url: concretePath(route.path),
      headers,
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
    });

  test('every surface declares guarded routes (the matrix is not empty)', () => {
    const surfaces = new Set(guarded.map((route) => route.surface));
    for (const surface of ['fleet', 'edge', 'egress', 'access', 'overlay'] as const) assert.ok(surfaces.has(surface), `no guarded ${surface} route`);
  });

  test('anonymous calls get 401 in the route dialect', async () => {
    const wrong: string[] = [];
    for (const route of guarded) {
      const res = await call(route);
      if (res.statusCode !== 401) wrong.push(`${route.method} ${route.path}: ${res.statusCode}`);
      else errorOf(route.surface, res.json());
    }
    assert.deepEqual(wrong, []);
  });

  test('a forged bearer token gets 401 too', async () => {
    const wrong: string[] = [];
    for (const route of guarded) {
      const res = await call(route, { authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln' });
      if (res.statusCode !== 401) wrong.push(`${route.method} ${route.path}: ${res.statusCode}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('a principal with every permission but the route’s own gets 403 in the route dialect', async () => {
    const registered = r.core.identity.rbac.registry.list().map((p) => p.name);
    // Routes grouped by what a caller must lack to be refused: the route's permission and the narrower ones it accepts.
    const byWithheld = new Map<string, RouteDefinition<any>[]>();
    for (const route of guarded) {
      if (route.permission === 'authenticated') continue;
      // Routes sharing a path through `merge` answer whoever may call one of them: the caller lacks all of theirs.
      const siblings = route.merge ? guarded.filter((x) => x.merge && x.method === route.method && x.path === route.path) : [route];
      const key = [...new Set(siblings.flatMap((x) => [x.permission, ...(x.alsoPermittedBy ?? [])]))].sort().join(' ');
      byWithheld.set(key, [...(byWithheld.get(key) ?? []), route]);
    }
    assert.ok(byWithheld.size > 10, `only ${byWithheld.size} distinct permissions are required by routes`);
    const wrong: string[] = [];
    for (const [key, routes] of byWithheld) {
      const withheld = key.split(' ');
      for (const permission of withheld) assert.ok(registered.includes(permission), `${permission} (required by ${routes[0].path}) is not in the registry`);
      const { headers } = await signIn(r, { permissions: registered.filter((p) => !withheld.includes(p)) });
      for (const route of routes) {
        const res = await call(route, headers);
        if (res.statusCode !== 403) wrong.push(`${route.method} ${route.path} (${key}): ${res.statusCode} ${res.body.slice(0, 120)}`);
        else errorOf(route.surface, res.json());
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('routes open to any signed-in principal answer a principal with no permissions at all', async () => {
    const { headers } = await signIn(r, { roles: [] });
    const wrong: string[] = [];
    for (const route of guarded.filter((x) => x.permission === 'authenticated')) {
      const res = await call(route, headers);
      if (res.statusCode === 401 || res.statusCode === 403) wrong.push(`${route.method} ${route.path}: ${res.statusCode}`);
    }
    assert.deepEqual(wrong, []);
  });
});
