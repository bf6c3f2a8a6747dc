import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import { AIFW_PERMISSION_BITS } from '../../src/core/rbac/aifw-permission-bits.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
/** AiFw's UI decoding of the perm claim (aifw-ui/src/lib/permissions.ts, 32-bit JS arithmetic included). */
function decodeLikeAifw(bits: number): Set<string> {
  const perms = new Set<string>();
  AIFW_PERMISSION_BITS.forEach((name, i) => {
    const on = i < 32 ? (bits >>> 0) & (1 << i) : Math.floor(bits / 2 ** 32) & (1 << (i - 32));
    if (on) perms.add(name);
  });
  return perms;
}

describe("edge identity in AiFw's shapes", () => {
  let r: TestRampart;
  let admin: SignedIn;
  let clock = new Date('2026-06-10T12:00:10Z');
  before(async () => {
    r = await createTestRampart({ now: () => clock });
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());
  const call = (method: string, url: string, headers: Record<string, string> = {}, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

  test('login answers AiFw\'s tokens beside the top-level token; the access token carries username, role and perm', async () => {
    const viewer = await signIn(r, { roles: ['viewer'] });
    const res = await call('POST', '/api/v1/auth/login', {}, { username: viewer.user.username, password: viewer.password });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.totp_required, false);
    assert.equal(typeof body.access_token, 'string', 'the spec reads .access_token at the top level');
    assert.equal(body.tokens.access_token, body.access_token);
    assert.equal(body.tokens.token_type, 'Bearer');
    assert.ok(Date.parse(body.tokens.access_expires_at) > clock.getTime());
    assert.ok(Date.parse(body.tokens.refresh_expires_at) > Date.parse(body.tokens.access_expires_at));
    assert.equal(typeof body.user.id, 'string', "OpenWatch's shape is still there");
    const claims = claimsOf(body.tokens.access_token);
    assert.equal(claims.username, viewer.user.username);
    assert.equal(claims.role, 'viewer');
    const perms = decodeLikeAifw(claims.perm);
    assert.ok(perms.has('rules:read') && perms.has('dashboard:view') && perms.has('connections:view'));
    assert.ok(!perms.has('rules:write') && !perms.has('users:read'), 'viewer: no writes, no users');

    const full = claimsOf((await call('POST', '/api/v1/auth/login', {}, { username: admin.user.username, password: admin.password })).json().access_token);
    assert.equal(full.perm, 2 ** 37 - 1, 'admin: every one of the 37 bits');
  });

  test('the perm claim is never trusted: permissions are read server-side', async () => {
    const op = await signIn(r, { roles: ['operator'] });
    const token = (await call('POST', '/api/v1/auth/login', {}, { username: op.user.username, password: op.password })).json().access_token;
    assert.ok(decodeLikeAifw(claimsOf(token).perm).has('users:read'));
    assert.equal((await call('GET', '/api/v1/auth/users', { authorization: `Bearer ${token}` })).statusCode, 200);
    await call('PUT', `/api/v1/auth/users/${op.user.id}`, admin.headers, { role: 'viewer' });
    const after = await call('GET', '/api/v1/auth/users', { authorization: `Bearer ${token}` });
    assert.equal(after.statusCode, 403, 'the old token still says users:read; the server no longer grants it');
    assert.equal(typeof after.json().error, 'string', 'edge errors: a plain string under error');
  });

  test("TOTP: AiFw's client gets 200 totp_required and signs in with username, password and totp_code; others keep 401 mfa_required", async () => {
    const user = await signIn(r, { roles: ['viewer'] });
    const { secret } = (await call('POST', '/api/v1/auth/totp/setup', user.headers)).json();
    const code = () => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: clock.getTime() });
    assert.equal((await call('POST', '/api/v1/auth/totp/verify', user.headers, { code: code() })).statusCode, 200);
    clock = new Date(clock.getTime() + 30_000);

    const fleet = await call('POST', '/api/v1/auth/login', {}, { username: user.user.username, password: user.password });
    assert.equal(fleet.statusCode, 401);
    assert.equal(fleet.json().error.code, 'mfa_required');

    const aifw = await call('POST', '/api/v1/auth/login', { 'x-aifw-csrf': '1' }, { username: user.user.username, password: user.password });
    assert.equal(aifw.statusCode, 200, aifw.body);
    assert.deepEqual({ tokens: aifw.json().tokens, totp_required: aifw.json().totp_required }, { tokens: null, totp_required: true });
    assert.equal(aifw.headers['set-cookie'], undefined, 'no session before the code');

    const wrong = await call('POST', '/api/v1/auth/totp/login', {}, { username: user.user.username, password: 'not the password', totp_code: code() });
    assert.equal(wrong.statusCode, 401);
    const step = await call('POST', '/api/v1/auth/totp/login', {}, { username: user.user.username, password: user.password, totp_code: code() });
    assert.equal(step.statusCode, 200, step.body);
    assert.equal(typeof step.json().access_token, 'string', 'AiFw reads access_token at the top level here');
    assert.equal((await call('GET', '/api/v1/auth/me', { authorization: `Bearer ${step.json().access_token}` })).statusCode, 200);
    assert.equal((await call('POST', '/api/v1/auth/totp/login', {}, { totp_code: '123456' })).statusCode, 400, 'neither form complete');
  });

  test('ws-ticket: Content-Type json with no body is accepted; the answer has expires_in_seconds', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/auth/ws-ticket', headers: { ...admin.headers, 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().ticket, /^[0-9a-f]{64}$/);
    assert.equal(res.json().expires_in_seconds, 30);
    const fleet = await r.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { 'content-type': 'application/json' } });
    assert.equal(fleet.statusCode, 400, 'an empty JSON body stays a 400 off the edge surface');
    const session = await signIn(r);
    const logout = await r.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { ...session.headers, 'content-type': 'application/json' } });
    assert.equal(logout.statusCode, 204, `AiFw's UI logs out with an empty JSON body: ${logout.body}`);
    assert.equal((await call('GET', '/api/v1/auth/me', session.headers)).statusCode, 401, 'the session is revoked');
  });

  test('users {data}, roles {roles}, audit {data}, auth settings in AiFw\'s names', async () => {
    const users = await call('GET', '/api/v1/auth/users', admin.headers);
    const me = users.json().data.find((u: { id: string }) => u.id === admin.user.id);
    assert.deepEqual([me.role, me.enabled, me.totp_enabled, me.auth_provider], ['admin', true, false, 'local']);
    const edited = await call('PUT', `/api/v1/auth/users/${me.id}`, admin.headers, { username: me.username, role: 'admin', enabled: true });
    assert.equal(edited.statusCode, 200, "AiFw's edit form sends the username back");
    assert.equal((await call('PUT', `/api/v1/auth/users/${me.id}`, admin.headers, { username: 'someone-else' })).statusCode, 400);

    const roles = (await call('GET', '/api/v1/auth/roles', admin.headers)).json().roles as Array<{ name: string; builtin: boolean; permissions: string[] }>;
    const viewer = roles.find((x) => x.name === 'viewer')!;
    assert.ok(viewer.builtin && viewer.permissions.includes('rules:read'), 'built-in roles list their permissions expanded');

    const audit = (await call('GET', '/api/v1/auth/audit?limit=50', admin.headers)).json();
    const row = audit.data.find((e: { action: string }) => e.action === 'identity.user.update');
    assert.ok(row && row.actor_id === admin.user.id && typeof row.created_at === 'string');

    const settings = (await call('GET', '/api/v1/auth/settings', admin.headers)).json();
    assert.equal(settings.require_totp, false);
    assert.equal(settings.access_token_expiry_mins * 60, settings.access_token_ttl_s);
    const put = await call('PUT', '/api/v1/auth/settings', admin.headers, { access_token_expiry_mins: 30, require_totp: false });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().access_token_ttl_s, 1800);
    assert.equal((await call('PUT', '/api/v1/auth/settings', admin.headers, { access_token_expiry_mins: 0 })).statusCode, 400);
  });

  test('API keys: bound to the caller, within their permissions; listed and revoked', async () => {
    const op = await signIn(r, { roles: ['operator'] });
    const plain = await call('POST', '/api/v1/auth/api-keys', op.headers, { name: 'prom' });
    assert.equal(plain.statusCode, 201, plain.body);
    assert.equal(plain.json().prefix, plain.json().key.slice(0, 12));
    const scoped = await call('POST', '/api/v1/auth/api-keys', op.headers, { name: 'scraper', permissions: ['dashboard:view', 'connections:view'] });
    assert.equal(scoped.statusCode, 201);
    const key = { authorization: `ApiKey ${scoped.json().key}` };
    assert.equal((await call('GET', '/api/v1/status', key)).statusCode, 200);
    assert.equal((await call('GET', '/api/v1/vlans', key)).statusCode, 403, 'only what was asked for');
    const above = await call('POST', '/api/v1/auth/api-keys', op.headers, { name: 'escalate', permissions: ['users:write'] });
    assert.ok([400, 403].includes(above.statusCode), 'never more than the caller holds');
    const list = (await call('GET', '/api/v1/auth/api-keys', op.headers)).json() as Array<{ id: string }>;
    assert.ok(list.some((k) => k.id === scoped.json().id));
    assert.equal((await call('DELETE', `/api/v1/auth/api-keys/${scoped.json().id}`, op.headers)).statusCode, 204);
    assert.equal((await call('GET', '/api/v1/status', key)).statusCode, 401);
  });
});
