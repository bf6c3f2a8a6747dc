/**
 * Tenant isolation over every access admin route: three tenants (the provider's and two others, B and C) each with a
 * pool, a gateway, tokens, an enrolled device, a session, a published bundle, a SAML-free provider list, and a user,
 * a group and an API key of the identity core; every GET route of the access admin surface (taken from the
 * registered routes, so a new one is covered when it lands) is called by each tenant's administrator with another
 * tenant's ids, and must never show the other tenant's rows: lists leave them out, gets answer 404. Writes aimed at
 * the other tenant's rows are 404 too and change nothing. The provider's administrators read the identity core's
 * users, groups and keys of every tenant (core/tenancy), as they read the whole audit trail.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RouteDefinition } from '../../src/http/route.js';
import { DEFAULT_TENANT_ID } from '../../src/modules/access/access.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { deviceInfo, wgPublicKey } from '../helpers/access-enroll.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

interface World {
  tenant_id: string;
  admin: SignedIn;
  pool_id: string;
  gateway_id: string;
  gateway_token: string;
  device_id: string;
  token_id: string;
  bundle_id: string;
  digest: string;
  session_id: string;
  playbook_run_id: string;
  /** The identity core's rows made by this tenant's administrator. */
  user_id: string;
  group_id: string;
  api_key_id: string;
  /** Strings only this tenant's rows carry. */
  markers: string[];
}

describe('access tenants: a caller never sees another tenant’s rows', () => {
  let r: TestRampart;
  let provider: SignedIn;
  const worlds: World[] = [];

  const call = (admin: SignedIn, method: string, url: string, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers: admin.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  async function build(tenantId: string, admin: SignedIn, tag: string): Promise<World> {
    const ok = async (res: Awaited<ReturnType<typeof call>>, status = 200) => {
      assert.equal(res.statusCode, status, res.body);
      return res.json();
    };
    const pool = await ok(await call(admin, 'POST', '/v1/admin/settings/gateway-pools', { name: `pool-${tag}`, region: `region-${tag}`, destinations: ['10.246.0.0/16'] }), 201);
    const gwToken = await ok(await call(admin, 'POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: pool.id, name: `gw-token-${tag}` }), 201);
    const gw = await ok(await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: gwToken.secret, public_key: wgPublicKey(), endpoint: '10.246.0.1:51820', name: `gw-${tag}` } }), 201);
    assert.equal(gw.tenant_id, tenantId);
    const devToken = await ok(await call(admin, 'POST', '/v1/admin/tokens/generate', { name: `device-token-${tag}`, bound_user_id: admin.user.id }), 201);
    const enrolled = await ok(await r.app.inject({ method: 'POST', url: '/v1/enroll', payload: { token: devToken.secret, public_key: wgPublicKey(), device: deviceInfo(`laptop-${tag}`) } }), 201);
    assert.equal(enrolled.tenant_id, tenantId, 'a device enrolls into its token’s tenant');
    const bundle = await ok(await call(admin, 'POST', '/v1/admin/policy/publish', {
      channel: 'stable', notes: `bundle-${tag}`,
      rules: [{ name: `rule-${tag}`, sources: { user_ids: [admin.user.id] }, destinations: [{ cidr: '10.246.1.0/24', protocol: 'tcp', ports: ['443'] }] }],
    }));
    const session_id = randomUUID();
    const now = Date.now();
    await ok(await r.app.inject({
      method: 'POST', url: '/v1/gateway/metering', headers: { authorization: `Bearer ${gw.gateway_token}` },
      payload: { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now).toISOString(), active_sessions: 1, sessions: [{ session_id, device_id: enrolled.device_id, bytes_rx: 10, bytes_tx: 5, started_at: new Date(now - 60_000).toISOString() }] },
    }));
    // The audit part's rows: an event the gateway reported, a SIEM connector (disabled: nothing is sent), a playbook run.
    const ingested = await ok(await r.app.inject({
      method: 'POST', url: '/v1/audit/ingest', headers: { authorization: `Bearer ${gw.gateway_token}` },
      payload: { events: [{ id: `gw-event-${tag}`, time: new Date(now - 1_000).toISOString(), action: 'session.open', result: 'success', details: { note: `gw-note-${tag}` } }] },
    }));
    assert.equal(ingested.accepted, 1);
    await ok(await call(admin, 'POST', '/v1/admin/siem/connector', { type: 'webhook', enabled: false, webhook: { url: `https://siem-${tag}.example.invalid/hook`, secret: `secret-${tag}-0123456789` } }));
    const run = await ok(await call(admin, 'POST', '/v1/admin/incident/playbook', { playbook_id: 'rotate_signers', reason: `incident-${tag}` }), 202);
    // The identity core's rows, made through the access surface: they land in the caller's tenant.
    const user = (await ok(await call(admin, 'POST', '/v1/admin/users/lifecycle', { action: 'create', username: `member-${tag}`, display_name: `Member ${tag}` }), 201)).user;
    const group = (await ok(await call(admin, 'POST', '/v1/admin/groups/lifecycle', { action: 'create', name: `team-${tag}`, member_ids: [user.id] }), 201)).group;
    const key = await ok(await call(admin, 'POST', '/v1/admin/api-keys', { name: `apikey-${tag}` }), 201);
    return {
      tenant_id: tenantId, admin, pool_id: pool.id, gateway_id: gw.gateway_id, gateway_token: gw.gateway_token, device_id: enrolled.device_id, token_id: devToken.id,
      bundle_id: bundle.bundle_id, digest: bundle.digest, session_id, playbook_run_id: run.id, user_id: user.id, group_id: group.id, api_key_id: key.id,
      markers: [pool.id, gw.gateway_id, enrolled.device_id, devToken.id, gwToken.id, bundle.bundle_id, session_id, `pool-${tag}`, `laptop-${tag}`, `bundle-${tag}`,
        `gw-event-${tag}`, `gw-note-${tag}`, `siem-${tag}.example.invalid`, run.id, `incident-${tag}`,
        user.id, `member-${tag}`, group.id, `team-${tag}`, key.id, `apikey-${tag}`, admin.user.id],
    };
  }

  before(async () => {
    r = await createTestRampart();
    provider = await signIn(r, { roles: ['admin'] });
    const created = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'create', name: 'Tenant B' });
    assert.equal(created.statusCode, 201, created.body);
    const tenantB = created.json().tenant.id as string;
    const adminB = await signIn(r, { roles: ['admin'] });
    const assigned = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'assign_admin', tenant_id: tenantB, user_id: adminB.user.id });
    assert.equal(assigned.statusCode, 200, assigned.body);
    const createdC = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'create', name: 'Tenant C' });
    assert.equal(createdC.statusCode, 201, createdC.body);
    const tenantC = createdC.json().tenant.id as string;
    const adminC = await signIn(r, { roles: ['admin'] });
    assert.equal((await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'assign_admin', tenant_id: tenantC, user_id: adminC.user.id })).statusCode, 200);
    worlds.push(await build(DEFAULT_TENANT_ID, provider, 'a'));
    worlds.push(await build(tenantB, adminB, 'b'));
    worlds.push(await build(tenantC, adminC, 'c'));
  });
  after(() => r.cleanup());

  /** The concrete URL of a route for a caller looking at `other`'s rows: each parameter filled with other's id of that kind. */
  function urlFor(route: RouteDefinition<any>, other: World): string {
    const byParam: Record<string, string> = {
      device_id: other.device_id, token_id: other.token_id, tenant_id: other.tenant_id, provider_id: other.pool_id,
      id: route.path.includes('/policy/bundles') ? other.bundle_id : route.path.includes('gateway-pools') ? other.pool_id : other.gateway_id,
    };
    let url = route.path.replace(/:([A-Za-z_]+)/g, (_, name: string) => byParam[name] ?? other.device_id);
    if (route.path === '/v1/admin/policy/diff') url += `?from=${other.digest}&to=${other.digest}`;
    return url;
  }

  /** Every admin GET of the access surface, and the audit trail's reads (/v1/audit/...). */
  const adminReads = () =>
    r.routes.filter((x) => x.surface === 'access' && x.method === 'GET' && x.permission !== 'public' && (x.path.startsWith('/v1/admin/') || x.path.startsWith('/v1/audit/')));
  /** The audit trail is the provider's: its reads show the default tenant's administrators every tenant's events. */
  const TRAIL_READS = ['/v1/audit/events', '/v1/admin/audit/export', '/v1/audit/export/syslog'];
  /** The identity core's lists: the provider's administrators see every tenant's users, groups and keys. */
  const IDENTITY_READS = ['/v1/admin/users', '/v1/admin/groups', '/v1/admin/api-keys'];

  test('the matrix covers every access admin read route', () => {
    const paths = adminReads().map((x) => x.path);
    for (const p of ['/v1/admin/devices', '/v1/admin/devices/:device_id', '/v1/admin/tokens', '/v1/admin/tokens/:token_id', '/v1/admin/sessions', '/v1/admin/settings/gateway-pools',
      '/v1/admin/gateway/health', '/v1/admin/connection_truth', '/v1/admin/policy/bundles', '/v1/admin/policy/bundles/:id', '/v1/admin/policy/diff', '/v1/admin/tenants',
      '/v1/admin/tenants/:tenant_id/usage', '/v1/admin/settings/signers', '/v1/admin/settings/providers',
      ...TRAIL_READS, '/v1/audit/export/webhook', '/v1/admin/siem/connector', '/v1/admin/incident/playbook', '/v1/admin/dashboard/overview', '/v1/admin/certs/expiry',
      '/v1/admin/compliance/retention', '/v1/admin/ops/export', ...IDENTITY_READS]) {
      assert.ok(paths.includes(p), `${p} is not registered`);
    }
  });

  const NAMES = ['A (provider)', 'B', 'C'];
  for (const [me, them] of [[0, 1], [1, 0], [1, 2], [2, 1]] as const) {
    test(`tenant ${NAMES[me]}: its own rows are visible, tenant ${NAMES[them]}'s never`, async () => {
      const mine = worlds[me];
      const other = worlds[them];
      const leaks: string[] = [];
      let ownSeen = 0;
      for (const route of adminReads()) {
        // The provider's administrators manage tenants: the tenant list and a tenant's entitlement are theirs to see.
        const providerSeesTenants = me === 0 && route.path.startsWith('/v1/admin/tenants');
        const res = await call(mine.admin, 'GET', urlFor(route, other));
        if (providerSeesTenants) continue;
        if (me === 0 && IDENTITY_READS.includes(route.path)) {
          assert.equal(res.statusCode, 200, res.body);
          const theirs = [other.user_id, other.group_id, other.api_key_id];
          assert.ok(theirs.some((id) => res.body.includes(id)), `${route.path}: the provider sees every tenant's users, groups and keys`);
          continue;
        }
        if (me === 0 && TRAIL_READS.includes(route.path)) {
          // The provider reads the whole trail: the other tenant's gateway event is there (a tenant's reads are checked below).
          assert.equal(res.statusCode, 200, res.body);
          assert.ok(res.body.includes(`gw-event-b`), `${route.path}: the provider reads every tenant's events`);
          continue;
        }
        const hasParam = route.path.includes(':') || route.path === '/v1/admin/policy/diff';
        if (hasParam) {
          if (res.statusCode !== 404) leaks.push(`${route.path}: ${res.statusCode} ${res.body.slice(0, 160)}`);
          else assert.equal(res.json().error, 'not_found');
          continue;
        }
        if (res.statusCode !== 200) {
          leaks.push(`${route.path}: ${res.statusCode} ${res.body.slice(0, 160)}`);
          continue;
        }
        let body = res.body;
        if (me === 0 && route.path === '/v1/admin/ops/export') {
          // The provider's support bundle carries the provider's trail and job queue (TRAIL_READS); the rest is its tenant's.
          const { audit_events: _a, jobs: _j, ...bundle } = res.json();
          body = JSON.stringify(bundle);
        }
        const seen = other.markers.filter((m) => body.includes(m));
        if (seen.length) leaks.push(`${route.path} shows ${seen.join(', ')}`);
        // The same list by the owner shows its own rows, so the check above can fail.
        const own = await call(mine.admin, 'GET', route.path);
        if (mine.markers.some((m) => own.body.includes(m))) ownSeen++;
      }
      assert.deepEqual(leaks, []);
      // The provider's identity lists are checked above (they show every tenant's rows); a tenant's are counted here.
      assert.ok(ownSeen >= (me === 0 ? 12 : 15), `only ${ownSeen} lists showed the caller's own rows`);
    });

    test(`tenant ${NAMES[me]}: writes aimed at tenant ${NAMES[them]}'s rows are not found and change nothing`, async () => {
      const mine = worlds[me];
      const other = worlds[them];
      const attempts: [string, string, unknown][] = [
        ['POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: other.device_id }],
        ['POST', `/v1/admin/tokens/${other.token_id}/revoke`, undefined],
        ['DELETE', `/v1/admin/settings/gateway-pools/${other.pool_id}`, undefined],
        ['POST', '/v1/admin/settings/gateway-pools', { id: other.pool_id, name: 'taken-over', region: 'x' }],
        ['DELETE', `/v1/admin/gateways/${other.gateway_id}`, undefined],
        ['POST', '/v1/spc/revoke', { device_id: other.device_id }],
      ];
      attempts.push(
        ['POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_device', target: { device_id: other.device_id }, reason: 'cross-tenant', dry_run: true }],
        ['POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_device', target: { device_id: other.device_id }, reason: 'cross-tenant' }],
      );
      // A tenant's administrators reach the identity core's users only through their tenant's devices; the provider's reach every user.
      if (me !== 0) attempts.push(['POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_user', target: { user_id: other.admin.user.id }, reason: 'cross-tenant' }]);
      // The identity core's rows of another tenant, for a tenant's administrators (the provider's reach every tenant's).
      if (me !== 0) attempts.push(...identityWrites(other));
      for (const [method, url, payload] of attempts) {
        const res = await call(mine.admin, method, url, payload);
        assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      }
      const batch = await call(mine.admin, 'POST', '/v1/admin/devices/batch', { action: 'suspend', device_ids: [other.device_id] });
      assert.equal(batch.json().results[0].ok, false);
      const otherRun = await call(mine.admin, 'GET', `/v1/admin/incident/playbook?run_id=${other.playbook_run_id}`);
      assert.equal(otherRun.statusCode, 404, otherRun.body);
      const ownRun = await call(other.admin, 'GET', `/v1/admin/incident/playbook?run_id=${other.playbook_run_id}`);
      assert.equal(ownRun.statusCode, 200, ownRun.body);
      const runs = (await call(mine.admin, 'GET', '/v1/admin/incident/playbook')).json().runs as { id: string }[];
      assert.ok(runs.some((x) => x.id === mine.playbook_run_id) && !runs.some((x) => x.id === other.playbook_run_id));
      const otherConnector = (await call(other.admin, 'GET', '/v1/admin/siem/connector')).json();
      assert.equal(otherConnector.webhook.url, `https://siem-${['a', 'b', 'c'][them]}.example.invalid/hook`, 'each tenant keeps its own SIEM connector');
      const device = await call(other.admin, 'GET', `/v1/admin/devices/${other.device_id}`);
      assert.equal(device.json().status, 'active', 'the other tenant’s device is untouched');
      const pools = await call(other.admin, 'GET', '/v1/admin/settings/gateway-pools');
      assert.ok(pools.json().items.some((p: { id: string; name: string }) => p.id === other.pool_id && p.name !== 'taken-over'));
      const gen = await call(mine.admin, 'POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: other.pool_id });
      assert.equal(gen.statusCode, 422, 'a token cannot name another tenant’s pool');
      if (me !== 0) await assertIdentityUntouched(mine, other);
    });
  }

  /** Every identity write of the access surface aimed at another tenant's user, group or API key. */
  function identityWrites(other: World): [string, string, unknown][] {
    const user_id = other.user_id;
    return [
      ...['update', 'suspend', 'reactivate', 'delete'].map((action): [string, string, unknown] => ['POST', '/v1/admin/users/lifecycle', { action, user_id, ...(action === 'update' ? { display_name: 'taken over' } : {}) }]),
      ['POST', '/v1/admin/users/password', { user_id, password: 'Taken-0ver-password!' }],
      ['POST', '/v1/admin/users/suspend', { user_id }],
      ['POST', '/v1/admin/users/reactivate', { user_id }],
      ['POST', '/v1/admin/users/totp/enroll', { user_id }],
      ['POST', '/v1/admin/users/totp/disable', { user_id }],
      ['POST', '/v1/admin/rbac/grant', { user_id, role: 'admin' }],
      ['POST', '/v1/admin/rbac/revoke', { user_id, role: 'admin' }],
      ['POST', '/v1/admin/users/suspend', { user_id: other.admin.user.id }],
      ['POST', '/v1/admin/groups/lifecycle', { action: 'update', group_id: other.group_id, name: 'taken-over', member_ids: [] }],
      ['POST', '/v1/admin/groups/lifecycle', { action: 'delete', group_id: other.group_id }],
      ['DELETE', `/v1/admin/api-keys/${other.api_key_id}`, undefined],
    ];
  }

  /** The other tenant's identity rows as their own administrator sees them: as they were made. */
  async function assertIdentityUntouched(mine: World, other: World) {
    // Another tenant's user answers exactly as an id nobody has: its existence does not leak.
    const unknown = randomUUID();
    const asOther = (await call(mine.admin, 'POST', '/v1/admin/users/suspend', { user_id: other.user_id })).json();
    const asNobody = (await call(mine.admin, 'POST', '/v1/admin/users/suspend', { user_id: unknown })).json();
    assert.deepEqual({ ...asOther, detail: asOther.detail.replace(other.user_id, 'X') }, { ...asNobody, detail: asNobody.detail.replace(unknown, 'X') });
    // Nor can it be made a member of one's own group, or bound to one's token.
    const group = await call(mine.admin, 'POST', '/v1/admin/groups/lifecycle', { action: 'create', name: `poach-${mine.tenant_id}`, member_ids: [other.user_id] });
    assert.equal(group.statusCode, 422, group.body);
    const token = await call(mine.admin, 'POST', '/v1/admin/tokens/generate', { name: 'poach', bound_user_id: other.user_id });
    assert.equal(token.statusCode, 422, token.body);
    const tag = ['a', 'b', 'c'][worlds.indexOf(other)];
    const users = (await call(other.admin, 'GET', '/v1/admin/users')).json().users as { id: string; status: string; display_name: string; roles: string[]; mfa_enabled: boolean }[];
    const user = users.find((u) => u.id === other.user_id);
    assert.ok(user, 'the other tenant still has its user');
    assert.deepEqual([user.status, user.display_name, user.roles], ['active', `Member ${tag}`, []]);
    const pending = await r.core.db.kysely.selectFrom('users').select(['totp_pending_secret', 'password_hash']).where('id', '=', other.user_id).executeTakeFirstOrThrow();
    assert.deepEqual(pending, { totp_pending_secret: null, password_hash: null }, 'no TOTP enrollment or password was set');
    assert.equal(users.find((u) => u.id === other.admin.user.id)?.status, 'active');
    const groups = (await call(other.admin, 'GET', '/v1/admin/groups')).json().groups as { id: string; name: string; member_ids: string[] }[];
    assert.deepEqual(groups.filter((g) => g.id === other.group_id).map((g) => [g.name, g.member_ids]), [[`team-${tag}`, [other.user_id]]]);
    const keys = (await call(other.admin, 'GET', '/v1/admin/api-keys')).json().api_keys as { id: string; revoked_at: string | null }[];
    assert.equal(keys.find((k) => k.id === other.api_key_id)?.revoked_at, null, 'the other tenant’s API key still works');
  }

  test('a gateway of one tenant is refused admission of the other tenant’s device', async () => {
    const [a, b] = worlds;
    const probe = await r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/client-admission-grant?device_id=${b.device_id}&public_key=${encodeURIComponent(wgPublicKey())}`, headers: { authorization: `Bearer ${a.gateway_token}` } });
    assert.equal(probe.statusCode, 200, probe.body);
    assert.equal(probe.json().allow, false);
    assert.equal(probe.json().reason, 'device_unknown');
  });

  test('a tenant administrator cannot manage tenants; the provider can suspend a tenant and its admins are refused', async () => {
    const b = worlds[1];
    const refused = await call(b.admin, 'POST', '/v1/admin/tenants/lifecycle', { action: 'create', name: 'Sneaky' });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'forbidden');
    const list = (await call(b.admin, 'GET', '/v1/admin/tenants')).json();
    assert.deepEqual(list.items.map((t: { id: string }) => t.id), [b.tenant_id]);
    const bad = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'suspend' });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().error, 'validation_error');
    const defaultSuspend = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'suspend', tenant_id: DEFAULT_TENANT_ID });
    assert.equal(defaultSuspend.statusCode, 409);
    const suspended = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'suspend', tenant_id: b.tenant_id });
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().tenant.status, 'suspended');
    const blocked = await call(b.admin, 'GET', '/v1/admin/devices');
    assert.equal(blocked.statusCode, 403);
    const heartbeat = await r.app.inject({ method: 'POST', url: '/v1/gateway/heartbeat', headers: { authorization: `Bearer ${b.gateway_token}` }, payload: {} });
    assert.equal(heartbeat.statusCode, 403, 'the suspended tenant’s gateway is refused');
    const audit = await r.core.db.kysely.selectFrom('audit_events').select(['action', 'result']).where('resource_id', '=', b.tenant_id).execute();
    assert.ok(audit.some((e) => e.action === 'access.tenant.lifecycle' && e.result === 'success'));
    const back = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'reactivate', tenant_id: b.tenant_id });
    assert.equal(back.statusCode, 200);
    assert.equal((await call(b.admin, 'GET', '/v1/admin/devices')).statusCode, 200);
  });

  test("removing a tenant's administrator leaves them the tenant's user: they never fall back to the provider's view", async () => {
    const c = worlds[2];
    const removed = await call(provider, 'POST', '/v1/admin/tenants/lifecycle', { action: 'remove_admin', tenant_id: c.tenant_id, user_id: c.admin.user.id });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json().tenant.admin_count, 0);
    const tenants = (await call(c.admin, 'GET', '/v1/admin/tenants')).json().items as { id: string }[];
    assert.deepEqual(tenants.map((t) => t.id), [c.tenant_id], 'still confined to tenant C');
    const users = (await call(c.admin, 'GET', '/v1/admin/users')).json().users as { id: string }[];
    assert.ok(!users.some((u) => u.id === worlds[0].user_id || u.id === worlds[1].user_id), 'no other tenant’s users');
  });
});
