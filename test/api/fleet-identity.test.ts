import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

/** The identity surface as OpenWatch's web UI uses it: behaviour beyond the shapes the contract test checks. */
const STRONG = 'a much longer passphrase 42';

describe('fleet identity: the calls behind OpenWatch UI pages', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
  });
  after(() => r.cleanup());

  const call = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  const login = (username: string, password: string) => call('POST', '/api/v1/auth/login', {}, { username, password });

  test('users: disable ends the sessions and shows disabled_at, enable clears it; disabling yourself is 409', async () => {
    const target = await signIn(r, { roles: ['viewer'] });
    const disabled = await call('POST', `/api/v1/users/${target.user.id}:disable`, admin.headers);
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.equal(disabled.json().status, 'disabled');
    assert.equal((await call('GET', '/api/v1/auth/me', target.headers)).statusCode, 401, 'the session ended');
    assert.equal((await login(target.user.username, target.password)).statusCode, 401, 'and sign-in is refused');
    const listed = (await call('GET', '/api/v1/users?limit=200', admin.headers)).json().users.find((u: { id: string }) => u.id === target.user.id);
    assert.equal(typeof listed.disabled_at, 'string');

    const enabled = await call('POST', `/api/v1/users/${target.user.id}:enable`, admin.headers);
    assert.equal(enabled.json().disabled_at, null);
    assert.equal((await login(target.user.username, target.password)).statusCode, 200);

    const self = await call('POST', `/api/v1/users/${admin.user.id}:disable`, admin.headers);
    assert.equal(self.statusCode, 409);
    assert.equal(self.json().error.code, 'users.cannot_disable_self');
    assert.equal((await call('GET', '/api/v1/auth/me', admin.headers)).statusCode, 200, 'nothing changed');
  });

  test('users: reset-password sets a new password the policy accepts and ends the sessions; bad input is 400', async () => {
    const target = await signIn(r, { roles: ['viewer'] });
    const before = (await call('GET', `/api/v1/users/${target.user.id}`, admin.headers)).json().last_password_change_at;
    const weak = await call('POST', `/api/v1/users/${target.user.id}:reset-password`, admin.headers, { new_password: 'short' });
    assert.equal(weak.statusCode, 400);
    assert.equal((await call('POST', `/api/v1/users/${target.user.id}:reset-password`, admin.headers, {})).statusCode, 400, 'new_password is required');
    assert.equal((await call('POST', `/api/v1/users/${target.user.id}:explode`, admin.headers)).statusCode, 400, 'an unknown action');
    assert.equal((await login(target.user.username, target.password)).statusCode, 200, 'the failed resets changed nothing');

    const reset = await call('POST', `/api/v1/users/${target.user.id}:reset-password`, admin.headers, { new_password: STRONG });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.notEqual(reset.json().last_password_change_at, before);
    assert.equal((await call('GET', '/api/v1/auth/me', target.headers)).statusCode, 401, 'signed out everywhere');
    assert.equal((await login(target.user.username, target.password)).statusCode, 401);
    assert.equal((await login(target.user.username, STRONG)).statusCode, 200);
    assert.equal((await call('POST', `/api/v1/users/${randomUUID()}:enable`, admin.headers)).statusCode, 404);
  });

  test('users: the administrator actions need admin:user_manage, not only user:write', async () => {
    const manager = await signIn(r, { permissions: ['user:read', 'user:write'] });
    const target = await signIn(r, { roles: ['viewer'] });
    const res = await call('POST', `/api/v1/users/${target.user.id}:disable`, manager.headers);
    assert.equal(res.statusCode, 403);
    assert.equal((await call('GET', '/api/v1/auth/me', target.headers)).statusCode, 200);
  });

  test('auth policy: read and replaced within bounds; out of bounds is 400 and changes nothing', async () => {
    assert.equal((await call('GET', '/api/v1/auth-policy', viewer.headers)).statusCode, 403, 'needs system:auth_policy_read');
    const first = (await call('GET', '/api/v1/auth-policy', admin.headers)).json();
    assert.deepEqual(Object.keys(first).sort(), ['require_mfa', 'session_absolute_timeout_seconds', 'session_idle_timeout_seconds']);
    assert.equal(first.session_idle_timeout_seconds, 900);
    assert.equal((await login(admin.user.username, admin.password)).json().mfa_enrollment_required, false);
    for (const bad of [{ session_idle_timeout_seconds: 60 }, { session_absolute_timeout_seconds: 600 }, { require_mfa: 'yes' }]) {
      const res = await call('PUT', '/api/v1/auth-policy', admin.headers, { ...first, ...bad });
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal(typeof res.json().error.human_message, 'string');
    }
    assert.deepEqual((await call('GET', '/api/v1/auth-policy', admin.headers)).json(), first);
    const next = { require_mfa: true, session_idle_timeout_seconds: 1800, session_absolute_timeout_seconds: 7200 };
    const put = await call('PUT', '/api/v1/auth-policy', admin.headers, { ...next, updated_at: new Date().toISOString() });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual((await call('GET', '/api/v1/auth-policy', admin.headers)).json(), next);
    const fresh = await signIn(r, { roles: ['viewer'] });
    assert.equal((await login(fresh.user.username, fresh.password)).json().mfa_enrollment_required, true, 'a user without MFA must enroll');
    // The edge's auth settings keep AiFw's shape: the policy's new fields stay off it.
    const edge = (await call('GET', '/api/v1/auth/settings', admin.headers)).json();
    assert.equal(edge.session_ttl_s, 7200, 'one setting underneath');
    assert.equal('mfa_required' in edge, false);
    await call('PUT', '/api/v1/auth-policy', admin.headers, first);
  });

  test('API tokens: owk_ secret shown once, stored hashed, acts as its role, refused on per-user routes, revocable', async () => {
    await r.core.identity.rbac.createRole({ name: 'role_reader', permissions: ['role:read'] });
    const created = await call('POST', '/api/v1/tokens', admin.headers, { name: 'ci reader', role_id: 'role_reader' });
    assert.equal(created.statusCode, 201, created.body);
    const { token, id } = created.json();
    assert.match(token, /^owk_[A-Za-z0-9_-]{43}$/);
    const list = await call('GET', '/api/v1/tokens', admin.headers);
    assert.ok(!list.body.includes(token), 'never listed');
    assert.equal(list.json().tokens.find((t: { id: string }) => t.id === id).role_id, 'role_reader');
    const row = await r.core.db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(token.slice(4)), 'only a hash is stored');

    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await call('GET', '/api/v1/roles', bearer)).statusCode, 200, 'the role reads roles');
    assert.equal((await call('GET', '/api/v1/users', bearer)).statusCode, 403, 'and nothing else');
    const feed = await call('GET', '/api/v1/notifications/feed', bearer);
    assert.equal(feed.statusCode, 403);
    assert.equal(feed.json().error.code, 'auth.api_token_not_allowed');
    assert.equal((await call('PATCH', '/api/v1/auth/me', bearer, { display_name: 'x' })).statusCode, 403);

    assert.equal((await call('DELETE', `/api/v1/tokens/${id}`, admin.headers)).statusCode, 204);
    assert.equal((await call('GET', '/api/v1/roles', bearer)).statusCode, 401, 'revoked at once');

    const lead = await signIn(r, { permissions: ['token:read', 'token:write', 'role:read'] });
    assert.equal((await call('POST', '/api/v1/tokens', lead.headers, { name: 'escalate', role_id: 'admin' })).statusCode, 403, 'no token above its creator');
    assert.equal((await call('POST', '/api/v1/tokens', admin.headers, { name: 'x', role_id: 'no_such_role' })).statusCode, 404);
    const past = await call('POST', '/api/v1/tokens', admin.headers, { name: 'x', role_id: 'viewer', expires_at: '2001-01-01T00:00:00Z' });
    assert.equal(past.statusCode, 400);
  });

  test('SSO: the login page sees enabled providers by id and name only; administrators never see the secret', async () => {
    const on = await call('POST', '/api/v1/sso/providers', admin.headers, { name: 'Okta', issuer: 'https://okta.example.com', client_id: 'rampart', client_secret: 'sso-client-secret', enabled: true });
    assert.equal(on.statusCode, 201, on.body);
    assert.equal(on.json().client_secret_set, true);
    await call('POST', '/api/v1/sso/providers', admin.headers, { name: 'Hidden', issuer: 'https://hidden.example.com', client_id: 'x', client_secret: 'other-secret' });
    assert.equal((await call('POST', '/api/v1/sso/providers', admin.headers, { name: 'Bad', issuer: 'not a url', client_id: 'x', client_secret: 'y' })).statusCode, 400);

    const anonymous = await call('GET', '/api/v1/sso/providers/enabled', {});
    assert.equal(anonymous.statusCode, 200);
    assert.deepEqual(anonymous.json().providers, [{ id: on.json().id, name: 'Okta' }]);
    const all = await call('GET', '/api/v1/sso/providers', admin.headers);
    assert.equal(all.json().providers.length, 2);
    assert.ok(!all.body.includes('sso-client-secret') && !all.body.includes('other-secret'));
    assert.equal((await call('GET', '/api/v1/sso/providers', viewer.headers)).statusCode, 403);
    assert.equal((await call('DELETE', `/api/v1/sso/providers/${on.json().id}`, admin.headers)).statusCode, 204);
    assert.deepEqual((await call('GET', '/api/v1/sso/providers/enabled', {})).json().providers, []);
  });

  test('notification feed: per user; another user\'s item is not found; read and read-all count', async () => {
    const { notifications } = fleetServices(r.core);
    const mine = await notifications.record({ userId: viewer.user.id, kind: 'drift_major', severity: 'high', title: 'web-1 dropped' });
    await notifications.record({ userId: viewer.user.id, kind: 'host_unreachable', severity: 'high', title: 'web-2 down', link: '/hosts' });
    const theirs = await notifications.record({ userId: admin.user.id, kind: 'drift_minor', severity: 'medium', title: 'db-1 dropped' });

    const feed = (await call('GET', '/api/v1/notifications/feed', viewer.headers)).json();
    assert.equal(feed.unread_count, 2);
    assert.deepEqual(feed.items.map((n: { title: string }) => n.title).sort(), ['web-1 dropped', 'web-2 down'], 'only mine');
    assert.equal((await call('POST', `/api/v1/notifications/feed/${theirs.id}:read`, viewer.headers)).statusCode, 404);
    assert.equal((await call('POST', `/api/v1/notifications/feed/${mine.id}:read`, viewer.headers)).statusCode, 204);
    assert.equal((await call('GET', '/api/v1/notifications/feed', viewer.headers)).json().unread_count, 1);
    assert.deepEqual((await call('POST', '/api/v1/notifications/feed:read-all', viewer.headers)).json(), { marked: 1 });
    assert.equal((await call('GET', '/api/v1/notifications/feed', admin.headers)).json().unread_count >= 1, true, "the other user's stays unread");
    assert.equal((await call('GET', '/api/v1/notifications/feed', {})).statusCode, 401);
  });

  test('preferences: stored per user and merged; a value the UI does not know is 400 and changes nothing', async () => {
    assert.deepEqual((await call('GET', '/api/v1/users/me/preferences', viewer.headers)).json(), {});
    const set = await call('PATCH', '/api/v1/users/me/preferences', viewer.headers, { density: 'compact', landing_page: 'dashboard' });
    assert.deepEqual(set.json(), { density: 'compact', landing_page: 'dashboard' });
    const merged = await call('PATCH', '/api/v1/users/me/preferences', viewer.headers, { reduce_motion: true });
    assert.deepEqual(merged.json(), { density: 'compact', landing_page: 'dashboard', reduce_motion: true });
    for (const bad of [{ density: 'tiny' }, { theme: 'dark' }, { reduce_motion: 'yes' }]) {
      assert.equal((await call('PATCH', '/api/v1/users/me/preferences', viewer.headers, bad)).statusCode, 400, JSON.stringify(bad));
    }
    assert.deepEqual((await call('GET', '/api/v1/users/me/preferences', viewer.headers)).json(), merged.json());
    assert.equal((await call('GET', '/api/v1/users/me/preferences', admin.headers)).json().density, undefined, 'not shared');
  });

  test('PATCH auth/me changes the caller\'s own profile only', async () => {
    const me = await signIn(r, { roles: ['viewer'] });
    const res = await call('PATCH', '/api/v1/auth/me', me.headers, { display_name: 'Ops Person', email: 'ops@example.com' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().display_name, 'Ops Person');
    assert.equal((await r.core.identity.users.get(me.user.id)).email, 'ops@example.com');
    assert.equal((await call('PATCH', '/api/v1/auth/me', me.headers, { status: 'disabled' })).statusCode, 400, 'not a profile field');
  });

  test('version: OpenWatch\'s keys carry Rampart\'s own values, beside Rampart\'s keys', async () => {
    const v = (await call('GET', '/api/v1/version', {})).json();
    assert.equal(v.openwatch, v.rampart);
    assert.match(v.go, /^node \d+\./);
    for (const key of ['kensa', 'commit', 'build_time', 'node']) assert.equal(typeof v[key], 'string', key);
  });

  test('audit: readable messages and severities; CSV export neutralizes formulas; JSON export matches the list', async () => {
    const mallory = await signIn(r, { roles: ['viewer'], username: '@mallory' });
    await call('PATCH', '/api/v1/auth/me', mallory.headers, { display_name: 'x' });
    await r.core.audit.record({ actor: { type: 'user', id: null, name: '=HYPERLINK("http://evil")' }, action: 'identity.login', result: 'failure', details: { reason: 'bad' } });

    const page = (await call('GET', '/api/v1/audit/events?action=identity.user.update&limit=5', admin.headers)).json();
    const row = page.items.find((e: { actor_label: string }) => e.actor_label === '@mallory');
    assert.match(row.message, /^@mallory: identity\.user\.update on user /);
    assert.equal(row.severity, 'info');
    assert.deepEqual(row.redactions, []);
    assert.equal(typeof row.detail, 'object');
    const failures = (await call('GET', '/api/v1/audit/events?action=identity.login&limit=200', admin.headers)).json().items;
    assert.equal(failures.find((e: { actor_label: string }) => e.actor_label.startsWith('=HYPERLINK')).severity, 'warning');

    const csv = await call('GET', '/api/v1/audit/events/export?format=csv', admin.headers);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'id,occurred_at,action,message,severity,result,actor_type,actor_id,actor_label,resource_type,resource_id,correlation_id,client_ip,detail');
    assert.ok(lines.some((l) => l.includes(",'@mallory,")), 'a leading @ is prefixed');
    assert.ok(csv.body.includes(`"'=HYPERLINK(""http://evil"")"`), 'a leading = is prefixed and quoted');
    for (const line of lines.slice(1)) for (const cell of line.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []) assert.doesNotMatch(cell, /^"?[=+\-@\t\r]/, line);

    const json = await call('GET', '/api/v1/audit/events/export?format=json&action=identity.user.update', admin.headers);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const listed = (await call('GET', '/api/v1/audit/events?action=identity.user.update&limit=200', admin.headers)).json().items;
    assert.deepEqual(json.json().map((e: { id: string }) => e.id), listed.map((e: { id: string }) => e.id));
    assert.equal((await call('GET', '/api/v1/audit/events/export?format=xml', admin.headers)).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/audit/events/export', viewer.headers)).statusCode, 403, 'needs audit:read');
  });

  test('events stream: only the subscribed kinds reach the browser; an unknown topic is 400', async () => {
    assert.equal((await call('GET', '/api/v1/events?topics=host.changed,bogus.kind', admin.headers)).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/events', {})).statusCode, 401);
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (r.app.server.address() as AddressInfo).port;
    let text = '';
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/events?topics=host.changed', headers: admin.headers }, (res) => {
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
    });
    req.on('error', () => {});
    req.end();
    try {
      await waitFor('the stream to open', () => text.length > 0, 30_000);
      const hostId = randomUUID();
      await r.core.events.publish('fleet.scan.completed', { host_id: hostId });
      await r.core.events.publish('fleet.host.changed', { host_id: hostId });
      await waitFor('host.changed', () => text.includes('event: host.changed'), 30_000);
      assert.ok(!text.includes('scan.completed'), 'not subscribed');
      const data = JSON.parse(/event: host\.changed\nid: .*\ndata: (.*)\n/.exec(text)![1]!);
      assert.equal(data.kind, 'host.changed');
      assert.deepEqual(data.payload, { host_id: hostId });
      assert.ok(!Number.isNaN(Date.parse(data.timestamp)));
    } finally {
      req.destroy();
    }
  });
});

describe('fleet identity: the absolute session timeout bounds cookie renewal', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-01T08:00:00Z');
  before(async () => {
    r = await createTestRampart({ now: () => clock });
  });
  after(() => r.cleanup());

  test('renewal works inside the absolute timeout, never past it, and then the session is over', async () => {
    const admin = await signIn(r, { roles: ['admin'] });
    const put = await r.app.inject({ method: 'PUT', url: '/api/v1/auth-policy', headers: admin.headers, payload: { require_mfa: false, session_idle_timeout_seconds: 900, session_absolute_timeout_seconds: 3600 } });
    assert.equal(put.statusCode, 200, put.body);
    const login = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: admin.user.username, password: admin.password } });
    const cookies = () => [login.headers['set-cookie']].flat().map((c) => String(c).split(';')[0]);
    const session = cookies().find((c) => c.startsWith('rampart_session='))!;
    const csrf = cookies().find((c) => c.startsWith('XSRF-TOKEN='))!;
    const renew = () => r.app.inject({ method: 'POST', url: '/api/v1/auth/refresh-cookie', headers: { cookie: `${session}; ${csrf}`, 'x-csrf-token': csrf.split('=')[1]! } });

    clock = new Date(clock.getTime() + 50 * 60_000);
    const inside = await renew();
    assert.equal(inside.statusCode, 204, inside.body);
    const maxAge = Number(/Max-Age=(\d+)/.exec([inside.headers['set-cookie']].flat().find((c) => String(c).startsWith('rampart_session='))!)![1]);
    assert.ok(maxAge <= 600 && maxAge > 0, `the renewed cookie ends with the session's hour, not an hour later (${maxAge}s)`);

    clock = new Date(clock.getTime() + 11 * 60_000);
    assert.equal((await renew()).statusCode, 401);
    assert.equal((await r.app.inject({ method: 'POST', url: '/api/v1/auth/refresh-cookie' })).statusCode, 401, 'no session, no renewal');
  });
});
