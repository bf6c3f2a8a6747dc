import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('fleet system configs API', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let auditor: SignedIn;
  let secAdmin: SignedIn;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    auditor = await signIn(r, { roles: ['auditor'] });
    secAdmin = await signIn(r, { roles: ['security_admin'] });
  });
  after(() => r.cleanup());

  const call = (who: SignedIn | null, method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    r.app.inject({ method, url, headers: { ...(who ? who.headers : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const get = async (section: string) => (await call(viewer, 'GET', `/api/v1/system/${section}/config`)).json();

  function assertFleetError(res: { statusCode: number; json(): any }, status: number, code?: string) {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    assert.equal(typeof res.json().error?.human_message, 'string', 'the fleet envelope');
    if (code) assert.equal(res.json().error.code, code);
  }

  test('each section reads as {config, defaults} with OpenWatch defaults', async () => {
    const connectivity = await get('connectivity');
    assert.deepEqual(connectivity.defaults, {
      online_sec: 900, degraded_sec: 300, critical_sec: 120, down_sec: 1800, maintenance_sec: 3600,
      timeout_sec: 5, unreachable_threshold: 2, rate_limit: 50, maintenance_global: false,
    });
    assert.deepEqual(connectivity.config, connectivity.defaults);
    assert.deepEqual((await get('intelligence')).defaults, { interval_sec: 3600, rate_limit: 10, maintenance_global: false });
    assert.deepEqual((await get('discovery')).defaults, { interval_sec: 86400, rate_limit: 25, detect_on_first_contact: true, maintenance_global: false });
    assert.deepEqual((await get('scan')).defaults, {
      enabled: true, unknown_mins: 360, critical_mins: 240, non_compliant_mins: 480, partial_mins: 720,
      mostly_compliant_mins: 1440, compliant_mins: 2880, rate_limit: 25, maintenance_global: false,
    });
    assert.deepEqual((await get('compliance')).defaults, { default_framework: '', enabled_frameworks: [] });
  });

  test('PUT stores the fields given over the current config and returns the bare config', async () => {
    const res = await call(admin, 'PUT', '/api/v1/system/connectivity/config', { online_sec: 600, timeout_sec: 10 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().online_sec, 600);
    assert.equal(res.json().timeout_sec, 10);
    assert.equal(res.json().critical_sec, 120);
    assert.ok(!('config' in res.json()));
    const read = await get('connectivity');
    assert.equal(read.config.online_sec, 600);
    assert.equal(read.defaults.online_sec, 900, 'defaults stay the defaults');
    const audit = await r.core.audit.list({ action: 'system.config.updated' }, { limit: 5 });
    assert.ok(audit.items.some((a) => a.resource_id === 'connectivity'));
  });

  test('out-of-range values are 400 and change nothing (scan aside)', async () => {
    const before = await get('connectivity');
    const bad: [string, Record<string, unknown>][] = [
      ['connectivity', { online_sec: 59 }],
      ['connectivity', { down_sec: 86_401 }],
      ['connectivity', { timeout_sec: 0 }],
      ['connectivity', { timeout_sec: 31 }],
      ['connectivity', { unreachable_threshold: 11 }],
      ['connectivity', { rate_limit: 201 }],
      ['connectivity', { maintenance_global: 'yes' }],
      ['connectivity', { surprise: 1 }],
      ['intelligence', { interval_sec: 299 }],
      ['intelligence', { rate_limit: 0 }],
      ['discovery', { interval_sec: 604_801 }],
      ['discovery', { rate_limit: 501 }],
      ['compliance', { default_framework: 'cis', enabled_frameworks: ['stig'] }],
      ['compliance', { enabled_frameworks: Array.from({ length: 33 }, (_, i) => `fw${i}`) }],
      ['compliance', { enabled_frameworks: ['Not A Key'] }],
    ];
    for (const [section, body] of bad) assertFleetError(await call(admin, 'PUT', `/api/v1/system/${section}/config`, body), 400);
    assert.deepEqual(await get('connectivity'), before);
    const ok = await call(admin, 'PUT', '/api/v1/system/compliance/config', { default_framework: 'cis', enabled_frameworks: ['cis', 'stig'] });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('scan config clamps to 5..2880 minutes and rate 1..100 instead of rejecting', async () => {
    const res = await call(admin, 'PUT', '/api/v1/system/scan/config', { unknown_mins: 1, compliant_mins: 99_999, rate_limit: 0, critical_mins: 60 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().unknown_mins, 5);
    assert.equal(res.json().compliant_mins, 2880);
    assert.equal(res.json().rate_limit, 1);
    assert.equal(res.json().critical_mins, 60);
    assert.equal((await call(admin, 'PUT', '/api/v1/system/scan/config', { rate_limit: 500 })).json().rate_limit, 100);
    const preview = (await call(viewer, 'GET', '/api/v1/system/scan/schedule-preview')).json();
    assert.equal(preview.bands.find((b: any) => b.band === 'critical').interval_mins, 60);
    assert.equal(preview.rate_limit, 100);
    assertFleetError(await call(admin, 'PUT', '/api/v1/system/scan/config', { unknown_mins: 'often' }), 400);
  });

  test('writes need system:config_write: security_admin, auditor and viewer may only read', async () => {
    for (const who of [viewer, auditor, secAdmin]) {
      assert.equal((await call(who, 'GET', '/api/v1/system/connectivity/config')).statusCode, 200);
      assert.equal((await call(who, 'GET', '/api/v1/system/connectivity/status')).statusCode, 200);
      assertFleetError(await call(who, 'PUT', '/api/v1/system/connectivity/config', { online_sec: 700 }), 403);
      assertFleetError(await call(who, 'PUT', '/api/v1/system/scan/variables', { variables: {} }), 403);
      assertFleetError(await call(who, 'POST', '/api/v1/system/discovery/sweep', undefined, { 'idempotency-key': 'sweep-perm' }), 403);
    }
    assertFleetError(await call(null, 'GET', '/api/v1/system/connectivity/config'), 401);
  });

  test('scan variables: replaced as a whole, names checked', async () => {
    assert.deepEqual((await call(viewer, 'GET', '/api/v1/system/scan/variables')).json(), { variables: {} });
    const put = await call(admin, 'PUT', '/api/v1/system/scan/variables', { variables: { ssh_max_auth_tries: '4', banner_text: 'Authorized use only' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual((await call(viewer, 'GET', '/api/v1/system/scan/variables')).json().variables, { ssh_max_auth_tries: '4', banner_text: 'Authorized use only' });
    assertFleetError(await call(admin, 'PUT', '/api/v1/system/scan/variables', { variables: { 'Bad Name': 'x' } }), 400);
    assertFleetError(await call(admin, 'PUT', '/api/v1/system/scan/variables', { variables: { ok: 3 } }), 400);
    assert.equal(Object.keys((await call(viewer, 'GET', '/api/v1/system/scan/variables')).json().variables).length, 2);
  });

  test('connectivity status reports the prober and global maintenance', async () => {
    const status = (await call(viewer, 'GET', '/api/v1/system/connectivity/status')).json();
    assert.deepEqual(status, { last_probe_at: null, probe_count: 0, probe_success_count: 0, probe_failure_count: 0, state_transition_count: 0, maintenance_active: false });
    await call(admin, 'PUT', '/api/v1/system/connectivity/config', { maintenance_global: true });
    assert.equal((await call(viewer, 'GET', '/api/v1/system/connectivity/status')).json().maintenance_active, true);
    await call(admin, 'PUT', '/api/v1/system/connectivity/config', { maintenance_global: false });
  });

  test('discovery sweep needs an Idempotency-Key and queues one fleet.discovery job per host out of maintenance', async () => {
    // Hosts created with first-contact discovery off, so the only jobs are the sweep's.
    await call(admin, 'PUT', '/api/v1/system/discovery/config', { detect_on_first_contact: false });
    const ids: string[] = [];
    for (const name of ['sweep-a', 'sweep-b', 'sweep-c']) ids.push((await call(admin, 'POST', '/api/v1/hosts', { hostname: name, ip_address: '10.0.3.1' })).json().id);
    await call(admin, 'PUT', `/api/v1/hosts/${ids[2]}/maintenance`, { enabled: true });
    const jobs = async () => (await r.core.jobs.store.list({ type: 'fleet.discovery' }, { limit: 100, offset: 0 })).items;

    assertFleetError(await call(admin, 'POST', '/api/v1/system/discovery/sweep'), 400, 'idempotency.key_required');
    assert.equal((await jobs()).length, 0);
    const res = await call(admin, 'POST', '/api/v1/system/discovery/sweep', undefined, { 'idempotency-key': 'sweep-1' });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { enqueued: 2 });
    assert.deepEqual((await jobs()).map((j) => (j.payload as { host_id: string }).host_id).sort(), [ids[0], ids[1]].sort());
    const replay = await call(admin, 'POST', '/api/v1/system/discovery/sweep', undefined, { 'idempotency-key': 'sweep-1' });
    assert.deepEqual(replay.json(), { enqueued: 2 });
    assert.equal((await jobs()).length, 2, 'a replay queues nothing');
    assertFleetError(await call(admin, 'POST', '/api/v1/system/discovery/sweep', { again: true }, { 'idempotency-key': 'sweep-1' }), 409);
    assert.equal((await jobs()).length, 2);
  });
});
