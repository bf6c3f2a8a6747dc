import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('API keys over HTTP', () => {
  let r: TestRampart;
  let offsetMs = 0;
  const later = (seconds: number) => void (offsetMs += seconds * 1000);

  before(async () => {
    r = await createTestRampart({ now: () => new Date(Date.now() + offsetMs) });
  });
  after(() => r.cleanup());

  const createKey = (who: SignedIn, payload: Record<string, unknown>) =>
    r.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: who.headers, payload });
  const withKey = (secret: string) => ({ authorization: `ApiKey ${secret}` });
  const me = (secret: string) => r.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: withKey(secret) });

  test('a created key is shown once and works with the ApiKey scheme, within its scope', async () => {
    const alice = await signIn(r, { permissions: ['host:*', 'service_account:read'] });
    const res = await createKey(alice, { name: 'prom-scraper', permissions: ['host:read', 'service_account:read'] });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['created_at', 'expires_at', 'id', 'key', 'name', 'permissions', 'prefix']);
    assert.equal(body.prefix, body.key.slice(0, 12), "AiFw's prefix: the key's first 12 characters");
    assert.equal(body.name, 'prom-scraper');
    assert.deepEqual(body.permissions, ['host:read', 'service_account:read']);
    assert.equal(body.expires_at, null);

    const whoami = await me(body.key);
    assert.equal(whoami.statusCode, 200);
    assert.equal(whoami.json().type, 'api_key');
    assert.equal(whoami.json().id, body.id);
    assert.deepEqual(whoami.json().permissions, ['host:read', 'service_account:read']);
    assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/service-accounts', headers: withKey(body.key) })).statusCode, 200);
    assert.equal((await r.app.inject({ method: 'POST', url: '/api/v1/service-accounts', headers: withKey(body.key), payload: { name: 'x', role: 'readonly' } })).statusCode, 403);
    assert.equal((await me('rk_wrong')).statusCode, 401);
  });

  test('a scope beyond the creator\'s permissions is refused with 403 naming the permission', async () => {
    const bob = await signIn(r, { permissions: ['host:read'] });
    const res = await createKey(bob, { name: 'greedy', permissions: ['host:read', 'users:write'] });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error, /users:write/);
    const wildcard = await createKey(bob, { name: 'greedy', permissions: ['*'] });
    assert.equal(wildcard.statusCode, 403);
    const list = await r.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: bob.headers });
    assert.deepEqual(list.json(), [], 'nothing was created');
    const unknown = await createKey(bob, { name: 'typo', permissions: ['host:reed'] });
    assert.equal(unknown.statusCode, 400);
  });

  test('when its creator loses a permission, the key loses it too', async () => {
    const carol = await signIn(r, { permissions: ['service_account:read', 'host:read'] });
    const { key } = (await createKey(carol, { name: 'reader', permissions: ['service_account:read'] })).json();
    const listAccounts = () => r.app.inject({ method: 'GET', url: '/api/v1/service-accounts', headers: withKey(key) });
    assert.equal((await listAccounts()).statusCode, 200);
    const [roleName] = carol.user.roles;
    await r.core.identity.rbac.updateRole(roleName!, { permissions: ['host:read'] });
    const res = await listAccounts();
    assert.equal(res.statusCode, 403);
    assert.deepEqual((await me(key)).json().permissions, []);
  });

  test('an API key cannot create keys', async () => {
    const dave = await signIn(r, { roles: ['admin'] });
    const { key } = (await createKey(dave, { name: 'automation', permissions: ['*'] })).json();
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: withKey(key), payload: { name: 'child', permissions: ['host:read'] } });
    assert.equal(res.statusCode, 403);
  });

  test('lists are masked: never the secret or its hash; others\' keys only with users:read', async () => {
    const erin = await signIn(r, { permissions: ['host:read'] });
    const auditor = await signIn(r, { permissions: ['users:read'] });
    const { id, key } = (await createKey(erin, { name: 'mine', permissions: ['host:read'] })).json();
    const own = await r.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: erin.headers });
    assert.equal(own.statusCode, 200);
    assert.deepEqual(own.json().map((k: { id: string }) => k.id), [id]);
    const view = own.json()[0];
    assert.equal(view.masked_key, `${key.slice(0, 10)}…`);
    assert.equal(view.created_by, erin.user.id);
    const all = await r.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: auditor.headers });
    assert.ok(all.json().some((k: { id: string }) => k.id === id), 'users:read sees every key');
    const hash = createHash('sha256').update(key).digest('hex');
    for (const body of [own.body, all.body]) {
      assert.ok(!body.includes(key));
      assert.ok(!body.includes(hash));
    }
  });

  test('revoked keys answer 401; revoking another user\'s key needs users:write', async () => {
    const frank = await signIn(r, { permissions: ['host:read'] });
    const mallory = await signIn(r, { permissions: ['host:read'] });
    const admin = await signIn(r, { permissions: ['users:write'] });
    const { id, key } = (await createKey(frank, { name: 'to-revoke', permissions: ['host:read'] })).json();
    const revoke = (who: SignedIn, keyId: string) => r.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${keyId}`, headers: who.headers });
    assert.equal((await me(key)).statusCode, 200);
    assert.equal((await revoke(mallory, id)).statusCode, 403);
    assert.equal((await me(key)).statusCode, 200);
    assert.equal((await revoke(frank, id)).statusCode, 204);
    assert.equal((await me(key)).statusCode, 401);
    const other = (await createKey(frank, { name: 'second', permissions: ['host:read'] })).json();
    assert.equal((await revoke(admin, other.id)).statusCode, 204);
    assert.equal((await me(other.key)).statusCode, 401);
    assert.equal((await revoke(admin, '00000000-0000-4000-8000-000000000000')).statusCode, 404);
  });

  test('an expired key answers 401', async () => {
    const grace = await signIn(r, { permissions: ['host:read'] });
    const expires_at = new Date(Date.now() + offsetMs + 60_000).toISOString();
    const { key } = (await createKey(grace, { name: 'short-lived', permissions: ['host:read'], expires_at })).json();
    assert.equal((await me(key)).statusCode, 200);
    later(61);
    assert.equal((await me(key)).statusCode, 401);
    const past = await createKey(grace, { name: 'already-gone', permissions: ['host:read'], expires_at: '2020-01-01T00:00:00Z' });
    assert.equal(past.statusCode, 400);
  });

  test('last_used_at is set once a key is used', async () => {
    const heidi = await signIn(r, { permissions: ['host:read'] });
    const { id, key } = (await createKey(heidi, { name: 'used', permissions: ['host:read'] })).json();
    const listed = async () => (await r.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: heidi.headers })).json().find((k: { id: string }) => k.id === id);
    assert.equal((await listed()).last_used_at, null);
    await me(key);
    assert.ok((await listed()).last_used_at);
  });

  test('creation and revocation are audited without the secret', async () => {
    const ivan = await signIn(r, { permissions: ['host:read'] });
    const { id, key } = (await createKey(ivan, { name: 'audited', permissions: ['host:read'] })).json();
    await r.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${id}`, headers: ivan.headers });
    const events = (await r.core.audit.list({ resourceType: 'api_key', resourceId: id }, { limit: 10, offset: 0 })).items;
    assert.deepEqual(events.map((e) => `${e.action}:${e.result}`).sort(), ['identity.api_key.create:success', 'identity.api_key.revoke:success']);
    assert.ok(events.every((e) => e.actor_id === ivan.user.id));
    assert.ok(!JSON.stringify(events).includes(key));
  });

  test('access: POST /v1/admin/api-keys needs token:write, and defaults to the caller\'s permissions', async () => {
    const plain = await signIn(r, { permissions: ['host:read'] });
    const denied = await r.app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: plain.headers, payload: { name: 'm2m' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error, 'forbidden');

    const admin = await signIn(r, { permissions: ['token:write', 'token:read', 'host:read'] });
    const res = await r.app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: admin.headers, payload: { name: 'm2m' } });
    assert.equal(res.statusCode, 201);
    assert.deepEqual([...res.json().permissions].sort(), ['host:read', 'token:read', 'token:write']);
    assert.deepEqual((await me(res.json().key)).json().permissions, ['host:read', 'token:read', 'token:write']);

    const scoped = await r.app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: admin.headers, payload: { name: 'beyond', permissions: ['user:delete'] } });
    assert.equal(scoped.statusCode, 403);
    assert.equal(scoped.json().error, 'forbidden');

    const mine = await r.app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: plain.headers });
    assert.deepEqual(mine.json(), { api_keys: [] });
    const all = await r.app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: admin.headers });
    assert.ok(all.json().api_keys.length > 1, 'token:read lists every key');
    assert.ok(!all.body.includes(res.json().key));
  });

  test('access: DELETE /v1/admin/api-keys/{id} revokes your own key, another\'s only with token:write', async () => {
    const owner = await signIn(r, { permissions: ['token:write', 'host:read'] });
    const other = await signIn(r, { permissions: ['host:read'] });
    const admin = await signIn(r, { permissions: ['token:write', 'token:read'] });
    const made = await r.app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: owner.headers, payload: { name: 'ci' } });
    assert.equal(made.statusCode, 201);
    const { id, key } = made.json();
    const del = (who: SignedIn, keyId: string) => r.app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${keyId}`, headers: who.headers });

    const unknown = await del(admin, '00000000-0000-4000-8000-00000000dead');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error, 'not_found');
    assert.equal((await del(admin, 'not-a-uuid')).json().error, 'validation_error');

    const forbidden = await del(other, id);
    assert.equal(forbidden.statusCode, 403);
    assert.deepEqual(Object.keys(forbidden.json()).sort(), ['detail', 'error']);
    assert.equal(forbidden.json().error, 'forbidden');
    assert.equal((await me(key)).statusCode, 200, 'a refused revoke leaves the key working');
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${id}` })).statusCode, 401);

    assert.equal((await del(owner, id)).statusCode, 204);
    assert.equal((await me(key)).statusCode, 401, 'a revoked key stops authenticating');
    const listed = (await r.app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: owner.headers })).json().api_keys;
    assert.ok(listed.find((k: { id: string; revoked_at: string | null }) => k.id === id)?.revoked_at);

    const second = (await r.app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: owner.headers, payload: { name: 'ci2' } })).json();
    assert.equal((await del(admin, second.id)).statusCode, 204, 'token:write revokes anyone\'s key');
    assert.equal((await me(second.key)).statusCode, 401);
    const events = (await r.core.audit.list({ resourceType: 'api_key', resourceId: id }, { limit: 10, offset: 0 })).items;
    assert.ok(events.some((e) => e.action === 'identity.api_key.revoke' && e.result === 'success' && e.actor_id === owner.user.id));
  });
});
