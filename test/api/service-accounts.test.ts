import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('service accounts over HTTP (egress)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let n = 0;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { permissions: ['service_account:read', 'service_account:write'] });
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>, headers = admin.headers) =>
    r.app.inject({ method, url: `/api/v1/service-accounts${url}`, headers, payload });
  const createAccount = async (role: 'admin' | 'readonly') => (await call('POST', '', { name: `robot-${++n}`, description: 'automation account', role })).json();
  const mint = (id: string, payload: Record<string, unknown> = {}) => call('POST', `/${id}/tokens`, payload);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** Within a second: JWT expiry has whole seconds, created_at has milliseconds. */
  const assertLifetime = (meta: { created_at: string; expires_at: string }, seconds: number) =>
    assert.ok(Math.abs(Date.parse(meta.expires_at) - Date.parse(meta.created_at) - seconds * 1000) < 1000, JSON.stringify(meta));
  const whoami = (token: string) => r.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(token) });

  test('create, list, update and the spec\'s error dialect', async () => {
    const res = await call('POST', '', { name: 'terraform', description: 'automation account', role: 'admin' });
    assert.equal(res.statusCode, 200, 'Neuwerk answers 200 with the account');
    const account = res.json();
    assert.equal(account.role, 'admin');
    assert.equal(account.status, 'active');
    assert.equal(account.created_by, admin.user.username);
    const list = await call('GET', '');
    assert.ok(list.json().some((a: { id: string }) => a.id === account.id));
    const dup = await call('POST', '', { name: 'terraform', role: 'readonly' });
    assert.equal(dup.statusCode, 409);
    assert.deepEqual(Object.keys(dup.json()), ['error']);
    const updated = await call('PUT', `/${account.id}`, { name: 'terraform-ci', description: 'ci robot', role: 'readonly' });
    assert.equal(updated.statusCode, 200);
    assert.deepEqual([updated.json().name, updated.json().description, updated.json().role, updated.json().status], ['terraform-ci', 'ci robot', 'readonly', 'active']);
    assert.equal((await call('POST', '', { name: 'bad', role: 'owner' })).statusCode, 400);
    assert.equal((await call('PUT', '/00000000-0000-4000-8000-000000000000', { name: 'x', role: 'readonly' })).statusCode, 404);
  });

  test('PUT replaces the record as Neuwerk does: name and role required, a description left out is cleared', async () => {
    const account = await createAccount('admin');
    const before = (await call('GET', '')).json().find((a: { id: string }) => a.id === account.id);
    for (const [payload, message] of [[{ role: 'admin' }, /name/], [{ name: 'x' }, /role/], [{ name: ' ', role: 'admin' }, /name/], [{ name: 'x', role: 'root' }, /role/]] as const) {
      const bad = await call('PUT', `/${account.id}`, payload);
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      assert.match(bad.json().error, message);
    }
    assert.deepEqual((await call('GET', '')).json().find((a: { id: string }) => a.id === account.id), before, 'a refused PUT changes nothing');

    const replaced = await call('PUT', `/${account.id}`, { name: account.name, role: 'readonly' });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().description, null, 'left out: cleared');
    assert.equal(replaced.json().role, 'readonly');
    assert.equal((await call('PUT', `/${account.id}`, { name: account.name, role: 'readonly', description: '   ' })).json().description, null);
    // Rampart's status field still works, and left out keeps the status.
    assert.equal((await call('PUT', `/${account.id}`, { name: account.name, role: 'readonly', status: 'disabled' })).json().status, 'disabled');
    assert.equal((await call('PUT', `/${account.id}`, { name: account.name, role: 'readonly' })).json().status, 'disabled');
  });

  test('reading needs service_account:read and writing service_account:write', async () => {
    const reader = await signIn(r, { permissions: ['service_account:read'] });
    assert.equal((await call('GET', '', undefined, reader.headers)).statusCode, 200);
    const denied = await call('POST', '', { name: 'nope', role: 'readonly' }, reader.headers);
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json().error, /service_account:write/);
    assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/service-accounts' })).statusCode, 401);
  });

  test('a minted token is returned once, authenticates as the account, and lists without its value', async () => {
    const account = await createAccount('admin');
    const res = await mint(account.id, { name: 'ci', ttl: '24h', role: 'readonly' });
    assert.equal(res.statusCode, 200, 'Neuwerk answers 200 with the token');
    const { token, token_meta } = res.json();
    assert.deepEqual(Object.keys(token_meta).sort(), [
      'created_at', 'created_by', 'expires_at', 'id', 'kid', 'last_used_at', 'name', 'revoked_at', 'role', 'service_account_id', 'status',
    ]);
    assert.equal(token_meta.service_account_id, account.id);
    assert.equal(token_meta.role, 'readonly');
    assert.equal(token_meta.status, 'active');
    assertLifetime(token_meta, 24 * 3_600);

    const who = await whoami(token);
    assert.equal(who.statusCode, 200);
    assert.equal(who.json().sa_id, account.id);
    // readonly: reads work, writes do not
    assert.equal((await call('GET', '', undefined, bearer(token))).statusCode, 200);
    assert.equal((await call('POST', '', { name: 'by-robot', role: 'readonly' }, bearer(token))).statusCode, 403);

    const tokens = await call('GET', `/${account.id}/tokens`);
    assert.equal(tokens.statusCode, 200);
    assert.deepEqual(tokens.json().map((t: { id: string }) => t.id), [token_meta.id]);
    assert.ok(!tokens.body.includes(token));
    assert.ok(tokens.json()[0].last_used_at, 'last_used_at is set once the token has been used');
  });

  test('a token cannot exceed its account\'s role: readonly account, admin token -> 403', async () => {
    const account = await createAccount('readonly');
    const res = await mint(account.id, { role: 'admin' });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error, /readonly/);
    assert.deepEqual((await call('GET', `/${account.id}/tokens`)).json(), []);
  });

  test('ttl and eternal together are 400; eternal alone never expires; bad ttls are 400', async () => {
    const account = await createAccount('readonly');
    const both = await mint(account.id, { ttl: '24h', eternal: true });
    assert.equal(both.statusCode, 400);
    assert.deepEqual(both.json(), { error: 'ttl and eternal are mutually exclusive' });
    const eternal = await mint(account.id, { eternal: true });
    assert.equal(eternal.statusCode, 200);
    assert.equal(eternal.json().token_meta.expires_at, null);
    assert.equal((await whoami(eternal.json().token)).statusCode, 200);
    assert.equal((await mint(account.id, { ttl: 'forever' })).statusCode, 400);
    const defaulted = (await mint(account.id, {})).json().token_meta;
    assertLifetime(defaulted, 90 * 86_400);
  });

  test('revoking a token: 204, then 401 for it', async () => {
    const account = await createAccount('admin');
    const { token, token_meta } = (await mint(account.id)).json();
    assert.equal((await whoami(token)).statusCode, 200);
    assert.equal((await call('DELETE', `/${account.id}/tokens/${token_meta.id}`)).statusCode, 204);
    assert.equal((await whoami(token)).statusCode, 401);
    const listed = (await call('GET', `/${account.id}/tokens`)).json();
    assert.equal(listed[0].status, 'revoked');
    assert.equal((await call('DELETE', `/${account.id}/tokens/00000000-0000-4000-8000-000000000000`)).statusCode, 404);
  });

  test('disabling an account (DELETE) revokes all its tokens: a token that worked before gets 401 after', async () => {
    const account = await createAccount('admin');
    const first = (await mint(account.id)).json();
    const second = (await mint(account.id, { eternal: true })).json();
    assert.equal((await whoami(first.token)).statusCode, 200);
    assert.equal((await whoami(second.token)).statusCode, 200);
    assert.equal((await call('DELETE', `/${account.id}`)).statusCode, 204);
    assert.equal((await whoami(first.token)).statusCode, 401);
    assert.equal((await whoami(second.token)).statusCode, 401);
    const listed = (await call('GET', `/${account.id}/tokens`)).json();
    assert.ok(listed.every((t: { status: string; revoked_at: string | null }) => t.status === 'revoked' && t.revoked_at));
    assert.equal((await call('GET', '')).json().find((a: { id: string }) => a.id === account.id).status, 'disabled');
    assert.equal((await mint(account.id)).statusCode, 400, 'a disabled account gets no new tokens');
  });

  test('every change is audited, never with a raw token', async () => {
    const account = await createAccount('admin');
    const { token, token_meta } = (await mint(account.id, { name: 'audited' })).json();
    await call('DELETE', `/${account.id}/tokens/${token_meta.id}`);
    await call('PUT', `/${account.id}`, { name: account.name, role: 'admin', description: 'changed' });
    await call('DELETE', `/${account.id}`);
    const actions = async (resourceType: string, resourceId: string) =>
      (await r.core.audit.list({ resourceType, resourceId }, { limit: 20, offset: 0 })).items;
    const onAccount = await actions('service_account', account.id);
    assert.deepEqual(onAccount.map((e) => e.action).sort(), [
      'identity.service_account.create',
      'identity.service_account.disable',
      'identity.service_account.update',
    ]);
    const onToken = await actions('service_account_token', token_meta.id);
    assert.deepEqual(onToken.map((e) => e.action).sort(), ['identity.service_account.token.create', 'identity.service_account.token.revoke']);
    assert.ok(![...onAccount, ...onToken].some((e) => JSON.stringify(e).includes(token)));
  });
});
