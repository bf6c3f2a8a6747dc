import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import type { ProbeReport } from '../../src/modules/fleet/liveness/probes.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('fleet hosts API', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let auditor: SignedIn;
  let secAdmin: SignedIn;
  /** What the next probe of any host reports (the real layers are exercised by the liveness e2e test). */
  let probe: Omit<ProbeReport, 'responseMs'> = { icmp: true, ssh: true, privilege: true, privilegeKind: 'root', error: null, errorType: null };

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    auditor = await signIn(r, { roles: ['auditor'] });
    secAdmin = await signIn(r, { roles: ['security_admin'] });
    fleetServices(r.core).hooks.prober = async () => ({ ...probe, responseMs: 1 });
  });
  after(() => r.cleanup());

  const call = (who: SignedIn | null, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    r.app.inject({ method, url, headers: { ...(who ? who.headers : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const create = (body: Record<string, unknown>, who: SignedIn = admin) => call(who, 'POST', '/api/v1/hosts', body);
  const hostCount = async () => Number((await r.core.db.kysely.selectFrom('fleet_hosts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  function assertFleetError(res: { statusCode: number; json(): any }, status: number, code?: string) {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    const body = res.json();
    assert.equal(typeof body.error, 'object', 'the fleet envelope: {error: {...}}');
    for (const key of ['code', 'fault', 'retryable', 'human_message', 'correlation_id']) assert.ok(key in body.error, `error.${key}`);
    if (code) assert.equal(body.error.code, code);
  }

  test('create answers 201 with the host, defaults filled in', async () => {
    const res = await create({ hostname: 'web01.example.com', ip_address: '10.0.1.50', tags: ['web', 'rhel9'] });
    assert.equal(res.statusCode, 201, res.body);
    const host = res.json();
    assert.equal(host.hostname, 'web01.example.com');
    assert.equal(host.port, 22);
    assert.equal(host.environment, 'production');
    assert.deepEqual(host.tags, ['web', 'rhel9']);
    assert.equal(host.maintenance_mode, false);
    assert.equal(host.check_priority, 5);
    assert.equal(host.created_by, admin.user.id);
    const audit = await r.core.audit.list({ action: 'host.created', resourceId: host.id }, { limit: 5 });
    assert.equal(audit.items.length, 1, 'one audit row names the host');
  });

  test('invalid bodies are 400 in the fleet envelope and create nothing', async () => {
    const before = await hostCount();
    const bad = [
      { ip_address: '10.0.0.1' },
      { hostname: 'a', ip_address: '' },
      { hostname: 'a', ip_address: '10.0.0.1', port: 0 },
      { hostname: 'a', ip_address: '10.0.0.1', port: 65_536 },
      { hostname: 'has space', ip_address: '10.0.0.1' },
      { hostname: 'a', ip_address: '-f' },
      { hostname: 'x'.repeat(257), ip_address: '10.0.0.1' },
      { hostname: 'a', ip_address: '10.0.0.1', description: 'd'.repeat(1_025) },
      { hostname: 'a', ip_address: '10.0.0.1', environment: 'e'.repeat(65) },
      { hostname: 'a', ip_address: '10.0.0.1', tags: ['t'.repeat(65)] },
      { hostname: 'a', ip_address: '10.0.0.1', group_id: 'not-a-uuid' },
      { hostname: 'a', ip_address: '10.0.0.1', surprise: true },
    ];
    for (const body of bad) assertFleetError(await create(body), 400);
    assert.equal(await hostCount(), before);
  });

  test('a duplicate (hostname, environment) is 409 hosts.duplicate; another environment is fine', async () => {
    assert.equal((await create({ hostname: 'dup01', ip_address: '10.0.0.2' })).statusCode, 201);
    assertFleetError(await create({ hostname: 'dup01', ip_address: '10.0.0.3' }), 409, 'hosts.duplicate');
    assert.equal((await create({ hostname: 'dup01', ip_address: '10.0.0.3', environment: 'staging' })).statusCode, 201);
  });

  test('list filters by environment and tag; items carry liveness and compliance summary', async () => {
    await create({ hostname: 'db01', ip_address: '10.0.0.10', environment: 'lab', tags: ['db'] });
    await create({ hostname: 'db02', ip_address: '10.0.0.11', environment: 'lab', tags: ['db', 'primary'] });
    await create({ hostname: 'app01', ip_address: '10.0.0.12', environment: 'lab', tags: ['app'] });
    const lab = (await call(viewer, 'GET', '/api/v1/hosts?environment=lab')).json();
    assert.deepEqual(lab.hosts.map((h: any) => h.hostname), ['app01', 'db01', 'db02']);
    const primary = (await call(viewer, 'GET', '/api/v1/hosts?environment=lab&tag=primary')).json();
    assert.deepEqual(primary.hosts.map((h: any) => h.hostname), ['db02']);
    const item = lab.hosts[0];
    assert.equal(item.liveness, null, 'never probed');
    assert.equal(item.compliance_summary, null, 'never scanned');
    assert.equal(item.last_scan_at, null);
    assert.equal(item.scan_state, null);
    const detail = (await call(viewer, 'GET', `/api/v1/hosts/${item.id}`)).json();
    assert.deepEqual(detail.compliance_summary, { passing: 0, failing: 0, skipped: 0, error: 0, total: 0, critical_failing: 0 });
  });

  test('the compliance hook fills the summary of list items and the detail', async () => {
    const host = (await create({ hostname: 'scanned01', ip_address: '10.0.0.20' })).json();
    const hooks = fleetServices(r.core).hooks;
    const original = hooks.complianceOf;
    hooks.complianceOf = async (ids, framework) =>
      new Map(
        ids.filter((id) => id === host.id).map((id) => [
          id,
          {
            compliance_summary: { passing: framework === 'cis' ? 7 : 9, failing: 1, skipped: 0, error: 0, total: 10, critical_failing: 1 },
            last_scan_at: '2026-12-01T00:00:00.000Z',
            latest_scan_id: '00000000-0000-4000-8000-000000000001',
            scan_state: 'queued' as const,
          },
        ]),
      );
    // Swapping the hook is no write, so nothing announces it: the rendered list starts over.
    fleetServices(r.core).hostListCache.clear();
    try {
      const detail = (await call(viewer, 'GET', `/api/v1/hosts/${host.id}?framework=cis`)).json();
      assert.equal(detail.host.id, host.id);
      assert.equal(detail.compliance_summary.passing, 7);
      assert.equal(detail.scan_state, 'queued');
      const listed = (await call(viewer, 'GET', '/api/v1/hosts')).json().hosts.find((h: any) => h.id === host.id);
      assert.equal(listed.compliance_summary.passing, 9);
      assert.equal(listed.latest_scan_id, '00000000-0000-4000-8000-000000000001');
    } finally {
      hooks.complianceOf = original;
      fleetServices(r.core).hostListCache.clear();
    }
  });

  /** Hosts of one tag, made in an order unlike the list's; two share a hostname (other environments), so order needs the id too. */
  async function pagedFleet(tag: string) {
    const made = [];
    for (const [hostname, env] of [['pg-e', 1], ['pg-a', 1], ['pg-c', 1], ['pg-a', 2], ['pg-d', 1], ['pg-b', 1], ['pg-a', 3]] as const) {
      made.push((await create({ hostname, environment: `${tag}-${env}`, ip_address: '10.0.0.60', tags: [tag] })).json());
    }
    return made;
  }
  const byListOrder = (a: any, b: any) => (a.hostname === b.hostname ? (a.id < b.id ? -1 : 1) : a.hostname < b.hostname ? -1 : 1);

  test('?limit and ?offset page the list in a stable order; every page says the total; pages together are the whole list', async () => {
    const made = await pagedFleet('paged');
    const whole = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged')).json();
    assert.equal(whole.total, 7);
    assert.equal(whole.limit, null, 'unpaged: every host, as OpenWatch\'s UI reads the list');
    assert.deepEqual(whole.hosts.map((h: any) => h.id), [...made].sort(byListOrder).map((h) => h.id), 'by hostname, ties by id');

    const pages = [];
    for (const offset of [0, 3, 6]) {
      const res = await call(viewer, 'GET', `/api/v1/hosts?tag=paged&limit=3&offset=${offset}`);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json();
      assert.equal(page.total, 7, `the total on the page at ${offset}`);
      assert.equal(page.limit, 3);
      assert.equal(page.offset, offset);
      pages.push(page.hosts);
    }
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
    assert.deepEqual(pages.flat(), whole.hosts, 'the pages, field for field, are the whole list: no host twice, none left out');
    for (let i = 0; i < 2; i++) {
      assert.deepEqual((await call(viewer, 'GET', '/api/v1/hosts?tag=paged&limit=3&offset=3')).json().hosts, pages[1], 'the same page twice is the same hosts');
    }

    const past = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged&limit=3&offset=7')).json();
    assert.deepEqual([past.hosts, past.total], [[], 7], 'past the end: no hosts, the total still said');
    const offsetOnly = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged&offset=5')).json();
    assert.deepEqual([offsetOnly.hosts.map((h: any) => h.id), offsetOnly.limit], [whole.hosts.slice(5).map((h: any) => h.id), 50], 'an offset alone pages by 50');

    // Filters narrow the total as well as the page; a deleted host leaves both.
    const pg1 = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged&environment=paged-1&limit=2')).json();
    assert.deepEqual([pg1.total, pg1.hosts.map((h: any) => h.hostname)], [5, ['pg-a', 'pg-b']]);
    assert.equal((await call(admin, 'DELETE', `/api/v1/hosts/${pg1.hosts[0].id}`)).statusCode, 204);
    const after = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged&environment=paged-1&limit=2')).json();
    assert.deepEqual([after.total, after.hosts.map((h: any) => h.hostname)], [4, ['pg-b', 'pg-c']]);
  });

  test('a page carries the same liveness and compliance columns as the whole list', async () => {
    const made = await pagedFleet('paged-columns');
    const fleet = fleetServices(r.core);
    const probed = made[2];
    await fleet.liveness.check(probed.id);
    const original = fleet.hooks.complianceOf;
    fleet.hooks.complianceOf = async (ids) =>
      new Map(ids.filter((id) => id === probed.id).map((id) => [id, {
        compliance_summary: { passing: 5, failing: 2, skipped: 1, error: 0, total: 8, critical_failing: 1 },
        last_scan_at: '2026-12-01T00:00:00.000Z', latest_scan_id: '00000000-0000-4000-8000-000000000002', scan_state: null,
      }]));
    try {
      const whole = (await call(viewer, 'GET', '/api/v1/hosts?tag=paged-columns')).json().hosts;
      const at = whole.findIndex((h: any) => h.id === probed.id);
      const page = (await call(viewer, 'GET', `/api/v1/hosts?tag=paged-columns&limit=1&offset=${at}`)).json().hosts;
      assert.deepEqual(page, [whole[at]]);
      assert.equal(page[0].liveness.reachability_status, 'reachable');
      assert.equal(page[0].compliance_summary.failing, 2);
      assert.ok(whole.filter((h: any) => h.id !== probed.id).every((h: any) => h.liveness === null && h.compliance_summary === null), 'the others: never probed nor scanned');
    } finally {
      fleet.hooks.complianceOf = original;
    }
  });

  test('paging input out of range is 400 in the fleet envelope', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'offset=-1', 'offset=x', 'limit=10&offset=1e3']) {
      assertFleetError(await call(viewer, 'GET', `/api/v1/hosts?${query}`), 400);
    }
    assert.equal((await call(viewer, 'GET', '/api/v1/hosts?limit=1000')).statusCode, 200, 'the largest page');
    assert.equal((await call(viewer, 'GET', '/api/v1/hosts?limit=1')).json().hosts.length, 1, 'the smallest page');
  });

  test('patch changes the fields given; hostname cannot be patched; moving onto a taken name is 409', async () => {
    const host = (await create({ hostname: 'patch01', ip_address: '10.0.0.30', environment: 'dev' })).json();
    await create({ hostname: 'patch01', ip_address: '10.0.0.31', environment: 'prod2' });
    const res = await call(admin, 'PATCH', `/api/v1/hosts/${host.id}`, { port: 2222, tags: ['x'], description: 'lab box', check_priority: 2 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().port, 2222);
    assert.deepEqual(res.json().tags, ['x']);
    assert.equal(res.json().check_priority, 2);
    assert.equal(res.json().ip_address, '10.0.0.30', 'fields left out keep their values');
    assertFleetError(await call(admin, 'PATCH', `/api/v1/hosts/${host.id}`, { hostname: 'renamed' }), 400);
    assertFleetError(await call(admin, 'PATCH', `/api/v1/hosts/${host.id}`, { check_priority: 11 }), 400);
    assertFleetError(await call(admin, 'PATCH', `/api/v1/hosts/${host.id}`, { environment: 'prod2' }), 409, 'hosts.duplicate');
    assert.equal((await call(viewer, 'GET', `/api/v1/hosts/${host.id}`)).json().host.environment, 'dev');
  });

  test(':target sets and clears the framework a host is graded against, as OpenWatch\'s host page does', async () => {
    const host = (await create({ hostname: 'target01', ip_address: '10.0.0.40' })).json();
    const set = await call(admin, 'POST', `/api/v1/hosts/${host.id}:target`, { target_framework: 'cis_debian12' });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().target_framework, 'cis_debian12');
    assert.equal((await call(viewer, 'GET', `/api/v1/hosts/${host.id}`)).json().host.target_framework, 'cis_debian12');
    assert.equal((await call(admin, 'POST', `/api/v1/hosts/${host.id}:target`, { target_framework: '' })).json().target_framework, null);
    assertFleetError(await call(viewer, 'POST', `/api/v1/hosts/${host.id}:target`, { target_framework: 'x' }), 403);
    assertFleetError(await call(admin, 'POST', `/api/v1/hosts/${host.id}:target`, { target_framework: 7 }), 400);
    assertFleetError(await call(admin, 'POST', '/api/v1/hosts/00000000-0000-4000-8000-000000000009:target', { target_framework: null }), 404);
  });

  test('the trusted SSH host key: shown with its fingerprint, forgotten by a host writer (audited), then 404', async () => {
    const host = (await create({ hostname: 'rebuilt01', ip_address: '10.0.0.41' })).json();
    const url = `/api/v1/hosts/${host.id}/ssh-host-key`;
    assertFleetError(await call(viewer, 'GET', url), 404, 'hosts.ssh_host_key_not_found');
    // What the first SSH connection to the host does: trust the key it presents.
    await fleetServices(r.core).hostKeys.check('rebuilt01', { keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', publicKey: 'AAAAC3NzaC1lZDI1NTE5' });
    const shown = await call(viewer, 'GET', url);
    assert.equal(shown.statusCode, 200, shown.body);
    assert.equal(shown.json().fingerprint, 'SHA256:abc');
    assert.equal(shown.json().key_type, 'ssh-ed25519');
    assertFleetError(await call(viewer, 'DELETE', url), 403);
    assert.equal((await call(admin, 'DELETE', url)).statusCode, 204);
    const audit = await r.core.db.kysely.selectFrom('audit_events').select(['action', 'actor_id']).where('action', '=', 'fleet.ssh_host_key.forgotten').where('resource_id', '=', host.id).execute();
    assert.equal(audit.length, 1);
    assertFleetError(await call(viewer, 'GET', url), 404, 'hosts.ssh_host_key_not_found');
    assertFleetError(await call(admin, 'DELETE', url), 404, 'hosts.ssh_host_key_not_found');
    assertFleetError(await call(admin, 'DELETE', '/api/v1/hosts/00000000-0000-4000-8000-000000000009/ssh-host-key'), 404, 'hosts.not_found');
  });

  test('unknown and malformed ids are 404 hosts.not_found', async () => {
    for (const id of ['00000000-0000-4000-8000-00000000dead', 'nope']) {
      assertFleetError(await call(admin, 'GET', `/api/v1/hosts/${id}`), 404, 'hosts.not_found');
      assertFleetError(await call(admin, 'PATCH', `/api/v1/hosts/${id}`, { port: 23 }), 404, 'hosts.not_found');
      assertFleetError(await call(admin, 'DELETE', `/api/v1/hosts/${id}`), 404, 'hosts.not_found');
      assertFleetError(await call(admin, 'PUT', `/api/v1/hosts/${id}/maintenance`, { enabled: true }), 404, 'hosts.not_found');
      assertFleetError(await call(admin, 'GET', `/api/v1/hosts/${id}/monitoring/history`), 404, 'hosts.not_found');
    }
  });

  test('delete is soft: 204, then 404 everywhere, and the hostname is free again', async () => {
    const host = (await create({ hostname: 'gone01', ip_address: '10.0.0.40' })).json();
    const res = await call(admin, 'DELETE', `/api/v1/hosts/${host.id}`);
    assert.equal(res.statusCode, 204);
    assertFleetError(await call(admin, 'GET', `/api/v1/hosts/${host.id}`), 404, 'hosts.not_found');
    assertFleetError(await call(admin, 'PATCH', `/api/v1/hosts/${host.id}`, { port: 23 }), 404, 'hosts.not_found');
    assertFleetError(await call(admin, 'DELETE', `/api/v1/hosts/${host.id}`), 404, 'hosts.not_found');
    assert.ok(!(await call(admin, 'GET', '/api/v1/hosts')).json().hosts.some((h: any) => h.id === host.id));
    const row = await r.core.db.kysely.selectFrom('fleet_hosts').select('deleted_at').where('id', '=', host.id).executeTakeFirstOrThrow();
    assert.ok(row.deleted_at, 'the row stays, marked deleted');
    const again = await create({ hostname: 'gone01', ip_address: '10.0.0.41' });
    assert.equal(again.statusCode, 201, 'the deleted host freed its name');
    assert.notEqual(again.json().id, host.id);
  });

  test('permissions follow the handlers: viewer and auditor read only; security_admin manages hosts', async () => {
    const host = (await create({ hostname: 'perm01', ip_address: '10.0.0.50' })).json();
    for (const who of [viewer, auditor]) {
      assert.equal((await call(who, 'GET', '/api/v1/hosts')).statusCode, 200);
      assert.equal((await call(who, 'GET', `/api/v1/hosts/${host.id}`)).statusCode, 200);
      assertFleetError(await create({ hostname: 'nope01', ip_address: '10.0.0.51' }, who), 403);
      assertFleetError(await call(who, 'PATCH', `/api/v1/hosts/${host.id}`, { port: 23 }), 403);
      assertFleetError(await call(who, 'DELETE', `/api/v1/hosts/${host.id}`), 403);
      assertFleetError(await call(who, 'POST', `/api/v1/hosts/${host.id}/maintenance`), 403);
      assertFleetError(await call(who, 'POST', `/api/v1/hosts/${host.id}/connectivity:check`, undefined, { 'idempotency-key': 'k-perm' }), 403);
    }
    assertFleetError(await call(null, 'GET', '/api/v1/hosts'), 401);
    const made = await create({ hostname: 'secadmin01', ip_address: '10.0.0.52' }, secAdmin);
    assert.equal(made.statusCode, 201);
    assert.equal((await call(secAdmin, 'DELETE', `/api/v1/hosts/${made.json().id}`)).statusCode, 204);
  });

  test('maintenance: POST toggles or sets, PUT sets; history records it and the host is not probed', async () => {
    const host = (await create({ hostname: 'maint01', ip_address: '10.0.0.60' })).json();
    const on = await call(admin, 'POST', `/api/v1/hosts/${host.id}/maintenance`);
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().maintenance_mode, true);
    const detail = (await call(viewer, 'GET', `/api/v1/hosts/${host.id}`)).json();
    assert.equal(detail.liveness.monitoring_state, 'maintenance');
    assert.equal((await call(admin, 'POST', `/api/v1/hosts/${host.id}/maintenance`, { enabled: true })).json().maintenance_mode, true, 'set, not toggled');
    const due = await fleetServices(r.core).liveness.store.due(1_000);
    assert.ok(!due.some((d) => d.host_id === host.id), 'a host in maintenance is never due');
    const off = await call(admin, 'PUT', `/api/v1/hosts/${host.id}/maintenance`, { enabled: false });
    assert.equal(off.json().maintenance_mode, false);
    assertFleetError(await call(admin, 'PUT', `/api/v1/hosts/${host.id}/maintenance`, {}), 400);
    const history = (await call(viewer, 'GET', `/api/v1/hosts/${host.id}/monitoring/history`)).json().entries;
    assert.deepEqual(history.map((h: any) => h.monitoring_state), ['unknown', 'maintenance']);
    const audit = await r.core.audit.list({ action: 'host.updated', resourceId: host.id }, { limit: 10 });
    assert.equal(audit.items.length, 3, 'every maintenance request is audited as host.updated');
    assert.equal(history[1].previous_state, 'unknown');
  });

  test('connectivity:check needs an Idempotency-Key, probes, replays the same key and refuses it elsewhere', async () => {
    const host = (await create({ hostname: 'check01', ip_address: '10.0.0.70' })).json();
    const other = (await create({ hostname: 'check02', ip_address: '10.0.0.71' })).json();
    const url = (id: string) => `/api/v1/hosts/${id}/connectivity:check`;
    assertFleetError(await call(secAdmin, 'POST', url(host.id)), 400, 'idempotency.key_required');
    probe = { icmp: true, ssh: false, privilege: null, privilegeKind: null, error: 'ssh refused', errorType: 'unreachable' };
    const first = await call(secAdmin, 'POST', url(host.id), undefined, { 'idempotency-key': 'check-1' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().monitoring_state, 'degraded');
    assert.deepEqual(first.json().layers, { icmp: true, ssh: false, privilege: null });
    assert.equal(first.json().reachable, false);
    assert.equal(first.json().new_reachability_status, 'unreachable');
    assert.equal(first.json().error_type, 'unreachable');
    const replay = await call(secAdmin, 'POST', url(host.id), undefined, { 'idempotency-key': 'check-1' });
    assert.deepEqual(replay.json(), first.json());
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assertFleetError(await call(secAdmin, 'POST', url(other.id), undefined, { 'idempotency-key': 'check-1' }), 409);
    const second = await call(secAdmin, 'POST', url(host.id), undefined, { 'idempotency-key': 'check-2' });
    assert.equal(second.json().monitoring_state, 'critical', 'two SSH failures in a row');
    const history = (await call(viewer, 'GET', `/api/v1/hosts/${host.id}/monitoring/history?limit=1`)).json().entries;
    assert.equal(history.length, 1);
    assert.equal(history[0].monitoring_state, 'critical');
    assert.equal(history[0].ssh_ok, false);
    assert.equal(history[0].failed_layer, 'ssh');
    assert.equal(history[0].error_type, 'unreachable');
    assert.equal((await call(viewer, 'GET', `/api/v1/hosts/${host.id}/monitoring/history?limit=9999`)).json().entries.length, 2, 'an out-of-range limit reads as 50');
    const live = (await call(viewer, 'GET', `/api/v1/hosts/${host.id}`)).json().liveness;
    assert.equal(live.ssh_consecutive_failures, 2);
    assert.equal(live.ping_consecutive_successes, 2);
    assert.equal(live.last_error_type, 'unreachable');
    assertFleetError(await call(secAdmin, 'POST', url('00000000-0000-4000-8000-00000000dead'), undefined, { 'idempotency-key': 'check-3' }), 404, 'hosts.not_found');
    probe = { icmp: true, ssh: true, privilege: true, privilegeKind: 'root', error: null, errorType: null };
  });

  test('the scheduler probes due hosts, at most rate_limit per round, and tells the listener about changes', async () => {
    const fleet = fleetServices(r.core);
    const changes: string[] = [];
    fleet.hooks.onLivenessChange = (host, from, to) => void changes.push(`${host.hostname}:${from}->${to}`);
    await call(admin, 'PUT', '/api/v1/system/connectivity/config', { rate_limit: 2, maintenance_global: true });
    await fleet.liveness.store.ensureRows();
    assert.equal(await fleet.liveness.tick(), 0, 'global maintenance probes nothing');
    await call(admin, 'PUT', '/api/v1/system/connectivity/config', { maintenance_global: false });
    const before = (await fleet.liveness.store.due(10_000)).length;
    assert.ok(before > 2, 'every host is due at first');
    const probed = await fleet.liveness.tick();
    assert.equal(probed, 2, 'rate_limit caps one round');
    assert.equal((await fleet.liveness.store.due(10_000)).length, before - 2, 'probed hosts are no longer due');
    assert.equal(changes.length, 2);
    assert.ok(changes.every((c) => c.endsWith('unknown->online')), changes.join());
    const breakdown = (await call(viewer, 'GET', '/api/v1/fleet/connectivity/breakdown')).json();
    assert.ok(breakdown.online >= 2);
    const liveness = (await call(viewer, 'GET', '/api/v1/fleet/liveness')).json();
    assert.ok(liveness.reachable >= 2);
    assert.ok(liveness.never_probed >= 1);
    const status = (await call(viewer, 'GET', '/api/v1/system/connectivity/status')).json();
    assert.ok(status.probe_count >= 4);
    assert.ok(status.state_transition_count >= 2);
    assert.equal((await call(auditor, 'GET', '/api/v1/fleet/liveness')).statusCode, 200);
    assertFleetError(await call(null, 'GET', '/api/v1/fleet/liveness'), 401);
    assertFleetError(await call(null, 'GET', '/api/v1/fleet/connectivity/breakdown'), 401);
  });
  test('groups: sites and OS categories with their rules, members, rollups and summary; unknown 404', async () => {
    const made = await call(admin, 'POST', '/api/v1/groups', { name: 'dc-east', kind: 'site', membership: 'manual', color: '#336699' });
    assert.equal(made.statusCode, 201, made.body);
    const site = made.json();
    assert.equal(site.maintenance, false);
    assertFleetError(await call(admin, 'POST', '/api/v1/groups', { name: '  ' }), 400);
    assertFleetError(await call(admin, 'POST', '/api/v1/groups', { name: 'x', kind: 'site', membership: 'auto', match_family: 'debian' }), 400, 'validation.invalid');
    assertFleetError(await call(admin, 'POST', '/api/v1/groups', { name: 'x', kind: 'os_category', membership: 'auto' }), 400, 'validation.invalid');
    assertFleetError(await call(admin, 'POST', '/api/v1/groups', { name: 'x', kind: 'os_category', membership: 'manual', match_family: 'debian' }), 400, 'validation.invalid');
    const auto = (await call(admin, 'POST', '/api/v1/groups', { name: 'Debian', kind: 'os_category', membership: 'auto', match_family: 'debian' })).json();
    assertFleetError(await call(admin, 'POST', '/api/v1/groups', { name: 'Debian again', kind: 'os_category', membership: 'auto', match_family: 'debian' }), 409, 'groups.duplicate_family');

    assertFleetError(await create({ hostname: 'grouped00', ip_address: '10.0.0.80', group_id: '00000000-0000-4000-8000-00000000dead' }), 400);
    const a = (await create({ hostname: 'grouped01', ip_address: '10.0.0.81', group_id: site.id })).json();
    const b = (await create({ hostname: 'grouped02', ip_address: '10.0.0.82' })).json();
    await r.core.db.kysely.updateTable('fleet_hosts').set({ os_family: 'debian' }).where('id', '=', b.id).execute(); // as discovery would
    assert.equal((await call(admin, 'POST', `/api/v1/groups/${site.id}/members`, { host_id: b.id })).statusCode, 204);
    assertFleetError(await call(admin, 'POST', `/api/v1/groups/${auto.id}/members`, { host_id: a.id }), 400, 'groups.auto_membership');
    assertFleetError(await call(admin, 'POST', `/api/v1/groups/${site.id}/members`, { host_id: '00000000-0000-4000-8000-00000000dead' }), 404, 'hosts.not_found');

    const listed = (await call(viewer, 'GET', '/api/v1/groups')).json();
    const siteItem = listed.groups.find((g: any) => g.id === site.id);
    assert.deepEqual(siteItem.rollup.members.map((m: any) => m.hostname), ['grouped01', 'grouped02']);
    assert.equal(siteItem.rollup.hosts, 2);
    assert.deepEqual(listed.groups.find((g: any) => g.id === auto.id).rollup.members.map((m: any) => m.hostname), ['grouped02'], 'auto membership by OS family');
    assert.equal(listed.summary.sites, 1);
    assert.equal(listed.summary.os_categories, 1);
    assert.ok(listed.summary.ungrouped >= 1);

    const target = await call(admin, 'POST', `/api/v1/groups/${site.id}:target`, { target_framework: 'cis_debian12' });
    assert.equal(target.json().target_framework, 'cis_debian12');
    assertFleetError(await call(admin, 'POST', `/api/v1/groups/${auto.id}:target`, { target_framework: 'cis' }), 400, 'validation.invalid');

    // A group in maintenance keeps its hosts from being probed.
    const fleet = fleetServices(r.core);
    await fleet.liveness.store.ensureRows();
    await r.core.db.kysely.updateTable('fleet_host_liveness').set({ next_probe_at: new Date(0).toISOString() }).execute();
    const due = async () => new Set((await fleet.liveness.store.due(10_000)).map((d) => d.host_id));
    assert.ok((await due()).has(a.id));
    assert.equal((await call(admin, 'POST', `/api/v1/groups/${site.id}:maintenance`, { on: true })).json().maintenance, true);
    assert.ok(!(await due()).has(a.id) && !(await due()).has(b.id), 'members of a group in maintenance are not probed');
    assert.ok((await call(viewer, 'GET', '/api/v1/groups')).json().summary.hosts_maintenance >= 2);
    await call(admin, 'POST', `/api/v1/groups/${site.id}:maintenance`, { on: false });
    assert.ok((await due()).has(a.id));

    assertFleetError(await call(viewer, 'POST', '/api/v1/groups', { name: 'viewer-group' }), 403);
    assertFleetError(await call(viewer, 'DELETE', `/api/v1/groups/${site.id}`), 403);
    assert.equal((await call(admin, 'PATCH', `/api/v1/groups/${site.id}`, { name: 'dc-west' })).json().name, 'dc-west');
    assert.equal((await call(admin, 'DELETE', `/api/v1/groups/${site.id}/members/${b.id}`)).statusCode, 204);
    assert.deepEqual((await call(viewer, 'GET', `/api/v1/groups/${site.id}`)).json().rollup.members.map((m: any) => m.hostname), ['grouped01']);
    assert.equal((await call(admin, 'DELETE', `/api/v1/groups/${site.id}`)).statusCode, 204);
    assertFleetError(await call(viewer, 'GET', `/api/v1/groups/${site.id}`), 404, 'groups.not_found');
    assertFleetError(await call(admin, 'PATCH', '/api/v1/groups/nope', { name: 'x' }), 404, 'groups.not_found');
    assert.equal((await call(viewer, 'GET', `/api/v1/hosts/${a.id}`)).json().host.group_id, null, 'the host stays, ungrouped');
  });

  test('a new host is queued for discovery on first contact unless the discovery config says not to', async () => {
    const queued = async (hostId: string) =>
      (await r.core.jobs.store.list({ type: 'fleet.discovery' }, { limit: 1000, offset: 0 })).items.filter((j) => (j.payload as { host_id: string }).host_id === hostId).length;
    const first = (await create({ hostname: 'discover01', ip_address: '10.0.0.90' })).json();
    assert.equal(await queued(first.id), 1);
    await call(admin, 'PUT', '/api/v1/system/discovery/config', { detect_on_first_contact: false });
    const second = (await create({ hostname: 'discover02', ip_address: '10.0.0.91' })).json();
    assert.equal(await queued(second.id), 0);
    await call(admin, 'PUT', '/api/v1/system/discovery/config', { detect_on_first_contact: true });
  });
});
