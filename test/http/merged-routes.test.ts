/**
 * Routes sharing a method and path (route.ts `merge`): the app answers with the shallow merge of the bodies of the
 * routes the caller may call, each parsing its own query; 403 only when it may call none; declaring two routes at
 * one path without merge fails at startup.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { defineRoute } from '../../src/http/route.js';
import { mergeGroups } from '../../src/http/app.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

const path = '/api/v1/merge-probe';
const shared: RampartModule = {
  name: 'merge-probe',
  http: () => ({
    name: 'merge-probe',
    routes: [
      defineRoute({
        method: 'GET', path, surface: 'fleet', permission: 'scan:read', merge: true, summary: 'fleet half',
        schema: { query: z.object({ framework: z.string().max(20).optional() }) },
        handler: ({ query }) => ({ rules: [query.framework ?? 'all'], total: 1 }),
      }),
      defineRoute({
        method: 'GET', path, surface: 'edge', permission: 'rules:read', merge: true, summary: 'edge half',
        schema: {}, handler: () => ({ data: ['edge'] }),
      }),
    ],
  }),
};

let r: TestRampart;
before(async () => {
  r = await createTestRampart({ modules: [shared] });
});
after(() => r.cleanup());

const get = async (permissions: string[] | null, url = path) => {
  const headers = permissions ? (await signIn(r, { permissions })).headers : {};
  return r.app.inject({ method: 'GET', url, headers });
};

test('the caller gets the merge of the bodies it may read, each route with its own query', async () => {
  assert.deepEqual((await get(['scan:read', 'rules:read'], `${path}?framework=cis`)).json(), { rules: ['cis'], total: 1, data: ['edge'] });
  assert.deepEqual((await get(['rules:read'])).json(), { data: ['edge'] });
  assert.deepEqual((await get(['scan:read'])).json(), { rules: ['all'], total: 1 });
});

test('403 only when the caller may call none of them; 401 without credentials', async () => {
  const res = await get(['nat:read']);
  assert.equal(res.statusCode, 403);
  assert.match(res.json().error.message ?? res.body, /scan:read, rules:read/);
  assert.equal((await get(null)).statusCode, 401);
});

test('two routes at one method and path without merge are a declaration error', () => {
  const route = (merge?: boolean) => defineRoute({ method: 'GET', path: '/x', surface: 'edge', permission: 'rules:read', merge, summary: 'x', schema: {}, handler: () => ({}) });
  assert.throws(() => mergeGroups([route(), route(true)]), /declared twice/);
  assert.equal(mergeGroups([route(true), route(true)]).length, 1);
  assert.equal(mergeGroups([route(), { ...route(), path: '/y' }]).length, 2);
});
