import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const operator = { type: 'user' as const, id: '00000000-0000-4000-8000-000000000001', name: 'operator' };
const INVALID_LIMITS = ['0', '-1', '100000', 'abc', '1.5', '0x10'];

/** Every list, on every surface: ?limit/?offset slice it, a default bound holds, a bad limit is a 400 in the surface's envelope. */
describe('list pagination', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const prefix = `pg${Date.now().toString(36)}`;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    // Users without passwords (no argon2 cost), named so that they sort after the admin and the bootstrap user.
    for (let i = 0; i < 60; i++) await r.core.identity.users.create({ username: `${prefix}-user-${String(i).padStart(3, '0')}` });
    for (let i = 0; i < 501; i++) await r.core.identity.serviceAccounts.create({ name: `${prefix}-sa-${String(i).padStart(3, '0')}`, role: 'readonly' }, operator);
    for (let i = 0; i < 3; i++) await r.core.identity.groups.create({ name: `${prefix}-group-${i}` });
  });
  after(() => r.cleanup());

  const get = (url: string) => r.app.inject({ method: 'GET', url, headers: admin.headers });
  const total = (res: LightMyRequestResponse) => Number(res.headers['x-total-count']);

  async function invalidLimits(url: string, envelope: (body: any) => void) {
    // The access spec codes validation failures 422; the other products answer 400.
    const status = url.startsWith('/v1/') ? 422 : 400;
    for (const limit of INVALID_LIMITS) {
      const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=${limit}`);
      assert.equal(res.statusCode, status, `limit=${limit}: ${res.body}`);
      envelope(res.json());
    }
    const offset = await get(`${url}${url.includes('?') ? '&' : '?'}offset=-1`);
    assert.equal(offset.statusCode, status, offset.body);
    envelope(offset.json());
  }

  test('fleet: {items, total, limit, offset} (and users[] / roles[]); limit 1-200, default 50; bad limits answer in the fleet envelope', async () => {
    const all = await get('/api/v1/users');
    assert.equal(all.statusCode, 200, all.body);
    assert.equal(all.json().items.length, 50, 'the default bound');
    assert.equal(all.json().limit, 50);
    const count = all.json().total;
    assert.ok(count >= 61);

    const page = (await get('/api/v1/users?limit=5&offset=10')).json();
    // users[] is the same page as OpenWatch's UI reads it.
    assert.deepEqual({ ...page, items: page.items.length, users: page.users.length }, { items: 5, users: 5, total: count, limit: 5, offset: 10 });
    const wider = (await get('/api/v1/users?limit=15&offset=0')).json();
    assert.deepEqual(page.items.map((u: any) => u.id), wider.items.slice(10).map((u: any) => u.id), 'offset skips rows in the list order');

    const roles = (await get('/api/v1/roles?limit=2&offset=1')).json();
    assert.equal(roles.items.length, 2);
    assert.equal(roles.offset, 1);
    assert.ok(roles.total >= 7);
    await invalidLimits('/api/v1/roles', (body) => {
      assert.match(body.error.code, /^(pagination\.limit_exceeded|validation\.field_(range|format))$/, 'OpenWatch\'s codes for a bad limit or offset');
      assert.equal(typeof body.error.human_message, 'string');
    });
    assert.equal((await get('/api/v1/users?limit=201')).statusCode, 400);
  });

  test('egress: plain arrays keep their shape, with X-Total-Count; the default bound is 500', async () => {
    const first = await get('/api/v1/service-accounts');
    assert.equal(first.statusCode, 200, first.body);
    assert.ok(Array.isArray(first.json()));
    assert.equal(first.json().length, 500, 'at most 500 unless asked');
    assert.equal(total(first), 501);

    const rest = await get('/api/v1/service-accounts?offset=500');
    assert.deepEqual(rest.json().map((a: any) => a.name), [`${prefix}-sa-500`]);
    const slice = await get('/api/v1/service-accounts?limit=3&offset=2');
    assert.deepEqual(slice.json().map((a: any) => a.name), [`${prefix}-sa-002`, `${prefix}-sa-003`, `${prefix}-sa-004`]);
    assert.equal(total(slice), 501);
    assert.equal((await get('/api/v1/service-accounts?limit=1000')).json().length, 501, 'up to 1000 on request');

    await invalidLimits('/api/v1/service-accounts', (body) => assert.equal(typeof body.error, 'string'));
    await invalidLimits('/api/v1/policies', (body) => assert.equal(typeof body.error, 'string'));
    assert.equal(total(await get('/api/v1/integrations?limit=1')), 0);
  });

  test("edge: AiFw's envelopes with X-Total-Count; bad limits in the edge envelope", async () => {
    const res = await get(`/api/v1/auth/users?limit=4&offset=1`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.length, 4);
    const count = total(res);
    assert.ok(count >= 61);
    assert.equal((await get('/api/v1/auth/users')).json().data.length, count, 'the default bound (500) holds them all');
    assert.equal((await get('/api/v1/auth/roles?limit=3')).json().roles.length, 3);
    await invalidLimits('/api/v1/auth/users', (body) => assert.deepEqual(Object.keys(body), ['error']));
  });

  test('access: {users}/{groups} with the total in the body too; bad limits in the access envelope', async () => {
    const users = await get('/v1/admin/users?limit=2&offset=3');
    assert.equal(users.statusCode, 200, users.body);
    assert.equal(users.json().users.length, 2);
    assert.equal(users.json().total, total(users));

    const groups = (await get('/v1/admin/groups?limit=2')).json();
    assert.equal(groups.groups.length, 2);
    assert.equal(groups.total, 3);
    await invalidLimits('/v1/admin/groups', (body) => {
      assert.equal(body.error, 'validation_error');
      assert.equal(typeof body.detail, 'string');
    });
  });

  test('overlay: arrays with X-Total-Count; bad limits in the FastAPI envelope', async () => {
    const users = await get('/api/users?limit=7&offset=0');
    assert.equal(users.statusCode, 200, users.body);
    assert.equal(users.json().length, 7);
    assert.ok(total(users) >= 61);
    for (const url of ['/api/networks', '/api/nodes', '/api/invitations', '/api/node-requests', '/api/access-grants', '/api/certificates']) {
      const res = await get(`${url}?limit=1&offset=0`);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.ok(Array.isArray(res.json()));
      assert.equal(typeof res.headers['x-total-count'], 'string', url);
    }
    await invalidLimits('/api/nodes', (body) => assert.equal(typeof body.detail, 'string'));
    await invalidLimits('/api/users', (body) => assert.equal(typeof body.detail, 'string'));
  });
});
