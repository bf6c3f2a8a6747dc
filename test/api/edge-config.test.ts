import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';
import { edgeTestModule, installTestSections, type TestSections } from '../helpers/edge-config-sections.js';
import { edgeServices } from '../../src/modules/edge/edge.services.js';

const SECTIONS = ['rules', 'nat', 'aliases', 'static_routes', 'vlans'];

describe('edge configuration versions, restore and commit-confirm (AiFw config/*)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let s: TestSections;
  let clock = Date.parse('2026-12-07T08:00:00.000Z');
  const now = () => new Date(clock);

  before(async () => {
    r = await createTestRampart({ modules: [edgeTestModule()], now });
    s = installTestSections(r.core, SECTIONS);
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { permissions: ['backup:read'] });
  });
  after(() => r.cleanup());

  const call = (method: string, url: string, payload?: unknown, who: SignedIn = admin) =>
    r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const history = async () => (await call('GET', '/api/v1/config/history?limit=1000')).json().data as Array<Record<string, any>>;
  const latest = async () => (await history())[0];
  const config = () => edgeServices(r.core).config;
  const rule = (id: string, extra: Record<string, unknown> = {}) => ({ id, action: 'pass', direction: 'in', protocol: 'tcp', dst_port_start: 443, interface: 'eth0', ...extra });

  test('a change of the configuration saves a version with who made it and "METHOD /path"; an unchanged one does not', async () => {
    await s.write('rules', [rule('r1')], { actor: 'alice', comment: 'POST /api/v1/rules' });
    const v = await waitFor('the version of the rules change', async () => {
      const h = await latest();
      return h?.comment === 'POST /api/v1/rules' ? h : null;
    }, 30_000);
    assert.equal(v.created_by, 'alice');
    assert.equal(v.resource_count, 1);
    assert.match(v.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(v).sort(), ['applied', 'applied_at', 'comment', 'created_at', 'created_by', 'hash', 'resource_count', 'rolled_back', 'version']);

    // The same rows written again: the hash is the same, no version.
    const before = (await history()).length;
    await s.write('rules', [rule('r1')], { actor: 'bob', comment: 'PUT /api/v1/rules/r1' });
    await s.write('aliases', [{ id: 'a1', name: 'web', alias_type: 'host', entries: ['10.0.0.1'] }], { comment: 'POST /api/v1/aliases' });
    const h = await waitFor('the alias version', async () => ((await latest())?.comment === 'POST /api/v1/aliases' ? history() : null), 30_000);
    assert.equal(h.length, before + 1, 'only the alias change saved a version');
    assert.equal(h[0].created_by, 'auto', 'no actor named: auto, as AiFw');
    assert.equal(h[0].resource_count, 2);
  });

  test('history honours limit; version answers the snapshot unwrapped; bad or unknown versions are 400/404', async () => {
    const all = await history();
    assert.ok(all.length >= 2);
    const one = await call('GET', '/api/v1/config/history?limit=1');
    assert.equal(one.json().data.length, 1);
    for (const q of ['limit=0', 'limit=abc', 'limit=-1']) assert.equal((await call('GET', `/api/v1/config/history?${q}`)).statusCode, 400, q);

    const res = await call('GET', `/api/v1/config/version?version=${all[0].version}`);
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.schema_version, 1);
    assert.deepEqual(doc.rules, [rule('r1')]);
    assert.equal(doc.aliases[0].name, 'web');

    const missing = await call('GET', '/api/v1/config/version?version=999999');
    assert.equal(missing.statusCode, 404);
    assert.equal(typeof missing.json().error, 'string');
    for (const q of ['', '?version=x', '?version=0']) assert.equal((await call('GET', `/api/v1/config/version${q}`)).statusCode, 400, q);
  });

  test('diff counts added, removed and changed entries per section, with both documents', async () => {
    const [v2, v1] = await history();
    const res = await call('GET', `/api/v1/config/diff?v1=${v1.version}&v2=${v2.version}`);
    assert.equal(res.statusCode, 200);
    const d = res.json().data;
    assert.equal(d.identical, false);
    assert.equal(d.sections.aliases.added, 1);
    assert.deepEqual(d.rules_diff, { added: 0, removed: 0, changed: 0, v1_count: 1, v2_count: 1 });
    assert.equal(d.total_v1, 1);
    assert.equal(d.total_v2, 2);
    assert.equal(d.v2_json.aliases[0].name, 'web');
    assert.equal(d.v1_hash, v1.hash);
    assert.equal((await call('GET', `/api/v1/config/diff?v1=${v1.version}&v2=999999`)).statusCode, 404);
    assert.equal((await call('GET', `/api/v1/config/diff?v1=${v1.version}`)).statusCode, 400);
  });

  test('save marks the version applied; restore replaces every section, applies, and marks the restored version applied', async () => {
    const saved = await call('POST', '/api/v1/config/save', { comment: 'known good' });
    assert.equal(saved.statusCode, 200);
    const good = Number(/version (\d+)/.exec(saved.json().message)![1]);
    assert.equal((await latest()).applied, true);
    assert.equal((await latest()).comment, 'known good');

    await s.write('rules', [rule('r1'), rule('r2', { dst_port_start: 22 })], { comment: 'POST /api/v1/rules' });
    await s.write('static_routes', [{ id: 'rt1', destination: '10.9.0.0/16', gateway: '10.0.0.254', interface: 'eth1' }], { comment: 'POST /api/v1/routes' });
    await waitFor('the route version', async () => (await latest())?.comment === 'POST /api/v1/routes', 30_000);

    const applies = s.applies;
    const res = await call('POST', '/api/v1/config/restore', { version: good });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().message, `Restored to version ${good}`);
    assert.deepEqual(await s.read('rules'), [rule('r1')]);
    assert.deepEqual(await s.read('static_routes'), []);
    assert.equal(s.applies, applies + 1, 'the apply steps ran');
    assert.deepEqual(s.host.rules, [rule('r1')], 'the host runs the restored rules');
    const h = await history();
    assert.equal(h.find((v) => v.version === good)!.applied, true);
    assert.equal(h.filter((v) => v.applied).length, 1);
    const audit = await r.core.audit.list({ action: 'edge.config.restore' }, { limit: 1 });
    assert.equal(audit.items[0]?.result, 'success');

    assert.equal((await call('POST', '/api/v1/config/restore', { version: 999999 })).statusCode, 404);
    for (const body of [{}, { version: 'x' }, { version: good, interface_map: { eth0: 5 } }, { version: good, extra: 1 }]) {
      assert.equal((await call('POST', '/api/v1/config/restore', body)).statusCode, 400, JSON.stringify(body));
    }
  });

  test('a restore whose one section is invalid changes nothing (400), nor does a failed apply', async () => {
    const before = { rules: await s.read('rules'), aliases: await s.read('aliases') };
    const bad = await config().versions.save(
      { schema_version: 1, rules: [rule('x1')], aliases: [{ id: 'a9', name: 'evil', bad: true }] },
      { createdBy: 'test', comment: 'carries a bad alias' },
    );
    const res = await call('POST', '/api/v1/config/restore', { version: bad });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /section aliases/);
    assert.deepEqual(await s.read('rules'), before.rules, 'the rules section (imported first) was rolled back');
    assert.deepEqual(await s.read('aliases'), before.aliases);

    const good = await config().versions.save({ schema_version: 1, rules: [rule('y1')] }, { createdBy: 'test' });
    s.failApply = true;
    try {
      const failed = await call('POST', '/api/v1/config/restore', { version: good });
      assert.equal(failed.statusCode, 500);
      assert.deepEqual(await s.read('rules'), before.rules, 'a failed apply keeps the rows');
    } finally {
      s.failApply = false;
    }
    const audit = await r.core.audit.list({ action: 'edge.config.restore', result: 'failure' }, { limit: 5 });
    assert.ok(audit.items.length >= 2);
  });

  test('restore with interface_map renames interfaces and drops entries mapped to null', async () => {
    const v = await config().versions.save({
      schema_version: 1,
      rules: [rule('m1', { interface: 'em0' }), rule('m2', { interface: 'em1' })],
      vlans: [{ id: 'v1', vlan_id: 10, parent: 'em1' }],
    }, { createdBy: 'test' });
    const preview = await call('GET', `/api/v1/config/restore-preview?version=${v}`);
    assert.equal(preview.statusCode, 200);
    assert.deepEqual(preview.json().interfaces_found, ['em0', 'em1']);
    assert.ok(preview.json().interfaces_missing.includes('em0'));
    assert.equal(preview.json().drop_summary_if_unmapped.rules, 2);
    assert.equal(preview.json().drop_summary_if_unmapped.vlans, 1);
    const post = await call('POST', '/api/v1/config/restore-preview', { version: v, interface_map: { em0: 'lo' } }, reader);
    assert.equal(post.statusCode, 200);
    assert.ok(!post.json().interfaces_missing.includes('em0'), 'mapped to an interface the box has');

    const res = await call('POST', '/api/v1/config/restore', { version: v, interface_map: { em0: 'eth9', em1: null } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual((await s.read('rules')).map((x: any) => [x.id, x.interface]), [['m1', 'eth9']]);
    assert.deepEqual(await s.read('vlans'), []);
    assert.equal((await call('GET', '/api/v1/config/restore-preview?version=999999')).statusCode, 404);
  });

  test('export and import round-trip every section, all or nothing; AiFw sections this box lacks are reported', async () => {
    const exported = await call('GET', '/api/v1/config/export', undefined, reader);
    assert.equal(exported.statusCode, 200);
    const doc = exported.json();
    assert.ok(doc.exported_at && doc.version);
    assert.deepEqual(Object.keys(doc.config).sort(), ['aliases', 'nat', 'rules', 'schema_version', 'static_routes', 'vlans']);

    const next = { ...doc.config, rules: [rule('i1'), rule('i2')], system: { hostname: 'aifw' }, vpn: { wireguard: [] } };
    const res = await call('POST', '/api/v1/config/import', { config: next, version: doc.version, exported_at: doc.exported_at });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().message, /2 rules/);
    assert.match(res.json().message, /not imported .*system, vpn/);
    assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['i1', 'i2']);
    assert.equal((await latest()).comment, 'POST /api/v1/config/import');

    const before = await s.read('rules');
    for (const [body, why] of [
      [{ config: { ...next, rules: [rule('j1')], nat: [{ id: 'n1', bad: true }] } }, 'a bad section'],
      [{ config: { ...next, firewall_magic: [] } }, 'an unknown section'],
      [{ config: { ...next, schema_version: 2 } }, 'a future schema'],
      [{ config: { ...next, rules: 'nope' } }, 'a section of the wrong type'],
      [{}, 'no config'],
      [{ config: [] }, 'config not an object'],
    ] as const) {
      const bad = await call('POST', '/api/v1/config/import', body);
      assert.equal(bad.statusCode, 400, why);
      assert.equal(typeof bad.json().error, 'string');
    }
    assert.deepEqual(await s.read('rules'), before, 'nothing changed');

    const preview = await call('POST', '/api/v1/config/import-preview', { config: next }, reader);
    assert.equal(preview.statusCode, 200);
    assert.deepEqual(preview.json().interfaces_found, ['eth0']);
    const asExported = await call('POST', '/api/v1/config/import-preview', { ...doc, interface_map: {} }, reader);
    assert.equal(asExported.statusCode, 200, `the export file as it is (version, exported_at, static_routes): ${asExported.body}`);
    assert.equal((await call('POST', '/api/v1/config/import-preview', { config: { rules: 1, schema_version: 9 } }, reader)).statusCode, 400);
  });

  test('check answers valid, errors, warnings and info', async () => {
    await s.write('rules', [rule('c1', { src_addr: 'any', dst_addr: 'any', dst_port_start: null, label: 'open' }), rule('c2', { src_addr: '<nosuch>' })], { comment: 'PUT /api/v1/rules' });
    const res = await call('GET', '/api/v1/config/check', undefined, reader);
    assert.equal(res.statusCode, 200);
    const c = res.json().data;
    assert.equal(c.valid, false);
    assert.ok(c.errors.some((e: string) => e.includes("alias 'nosuch'")), JSON.stringify(c.errors));
    assert.ok(c.warnings.some((w: string) => w.includes("Rule 'open' passes all traffic")));
    assert.ok(c.info.some((i: string) => i === '2 rules configured'));
  });

  test('retention: 200 by default, 5..10000, pruning keeps the applied version', async () => {
    const res = await call('GET', '/api/v1/config/retention', undefined, reader);
    assert.equal(res.json().max_versions, 200);
    for (const body of [{ max_versions: 4 }, { max_versions: 10_001 }, { max_versions: 'x' }, {}]) {
      assert.equal((await call('PUT', '/api/v1/config/retention', body)).statusCode, 400, JSON.stringify(body));
    }
    const applied = (await history()).find((v) => v.applied)!;
    for (let i = 0; i < 6; i++) await config().versions.save({ schema_version: 1, rules: [rule(`p${i}`)] }, { createdBy: 'test' });
    const put = await call('PUT', '/api/v1/config/retention', { max_versions: 5 });
    assert.equal(put.statusCode, 200);
    const h = await history();
    assert.equal(put.json().current_count, h.length);
    assert.equal(h.length, 6, 'the five newest and the applied one');
    assert.ok(h.some((v) => v.version === applied.version));
    assert.equal((await call('PUT', '/api/v1/config/retention', { max_versions: 200 })).statusCode, 200);
  });

  test('permissions: backup:read reads, backup:write changes, others get 403', async () => {
    const viewer = await signIn(r, { roles: ['viewer'] });
    for (const [method, url] of [['GET', '/api/v1/config/history'], ['GET', '/api/v1/config/commit-confirm/status'], ['GET', '/api/v1/backup/s3/config']]) {
      assert.equal((await call(method, url, undefined, viewer)).statusCode, 403, url);
    }
    for (const [method, url, body] of [
      ['POST', '/api/v1/config/save', {}], ['POST', '/api/v1/config/commit-confirm', {}], ['PUT', '/api/v1/config/retention', { max_versions: 50 }],
      ['POST', '/api/v1/config/restore', { version: 1 }], ['PUT', '/api/v1/backup/s3/config', { enabled: false, bucket: '' }],
    ] as const) {
      assert.equal((await call(method, url, body, reader)).statusCode, 403, url);
    }
    const anon = await r.app.inject({ method: 'GET', url: '/api/v1/config/history' });
    assert.equal(anon.statusCode, 401);
  });

  describe('commit-confirm', () => {
    test('arm, a second arm is 409, status counts down, confirm closes it and nothing reverts', async () => {
      for (const body of [{ timeout_secs: 9 }, { timeout_secs: 3601 }, { timeout_secs: 'soon' }, { description: 5 }]) {
        assert.equal((await call('POST', '/api/v1/config/commit-confirm', body)).statusCode, 400, JSON.stringify(body));
      }
      const arm = await call('POST', '/api/v1/config/commit-confirm', { timeout_secs: 120, description: 'open ssh' });
      assert.equal(arm.statusCode, 200, arm.body);
      assert.match(arm.json().message, /120 seconds/);
      const again = await call('POST', '/api/v1/config/commit-confirm', {});
      assert.equal(again.statusCode, 409);
      assert.equal(typeof again.json().error, 'string');

      clock += 30_000;
      const status = (await call('GET', '/api/v1/config/commit-confirm/status', undefined, reader)).json();
      assert.equal(status.active, true);
      assert.equal(status.seconds_remaining, 90);
      assert.equal(status.description, 'open ssh');
      assert.equal(status.expires_at, new Date(clock + 90_000).toISOString());

      const rulesNow = await s.read('rules');
      await s.write('rules', [rule('cc1')], { comment: 'PUT /api/v1/rules' });
      const confirm = await call('POST', '/api/v1/config/commit-confirm/confirm');
      assert.equal(confirm.json().message, 'Configuration confirmed and accepted permanently.');
      clock += 600_000;
      await config().commitConfirm.review();
      assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['cc1'], 'confirmed: kept');
      assert.notDeepEqual(rulesNow, await s.read('rules'));
      const closed = (await call('GET', '/api/v1/config/commit-confirm/status')).json();
      assert.deepEqual([closed.active, closed.seconds_remaining, closed.expires_at, closed.description], [false, 0, '', '']);
      assert.equal((await call('POST', '/api/v1/config/commit-confirm/confirm')).json().message, 'No pending commit confirm to accept.');
    });

    test('not confirmed in time: every section is restored from the snapshot taken at arm time, and applied', async () => {
      await s.write('rules', [rule('keep')], { comment: 'PUT /api/v1/rules' });
      await s.write('vlans', [{ id: 'vl1', vlan_id: 20, parent: 'eth1' }], { comment: 'POST /api/v1/vlans' });
      const arm = await call('POST', '/api/v1/config/commit-confirm', { timeout_secs: 60, description: 'risky' });
      assert.equal(arm.statusCode, 200);
      await s.write('rules', [rule('lockout', { action: 'block_drop' })], { comment: 'PUT /api/v1/rules' });
      await s.write('vlans', [], { comment: 'DELETE /api/v1/vlans/vl1' });

      clock += 59_000;
      await config().commitConfirm.review();
      assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['lockout'], 'not expired yet');

      clock += 2_000;
      const applies = s.applies;
      await config().commitConfirm.review();
      assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['keep']);
      assert.deepEqual((await s.read('vlans')).map((x: any) => x.id), ['vl1']);
      assert.equal(s.applies, applies + 1);
      assert.deepEqual((s.host.rules as any[]).map((x) => x.id), ['keep']);
      const status = (await call('GET', '/api/v1/config/commit-confirm/status')).json();
      assert.equal(status.active, false);
      assert.equal(status.status, 'reverted');
      const audit = await r.core.audit.list({ action: 'edge.config.commit_confirm.revert' }, { limit: 1 });
      assert.equal(audit.items[0].result, 'success');
      const v = await latest();
      assert.equal(v.created_by, 'commit-confirm');
      assert.equal(v.applied, true);
      // The window is closed: a new one may open.
      assert.equal((await call('POST', '/api/v1/config/commit-confirm', {})).statusCode, 200);
      assert.equal((await call('POST', '/api/v1/config/commit-confirm/confirm')).statusCode, 200);
    });
  });
});

describe('commit-confirm across restarts and nodes', () => {
  let clock = Date.parse('2026-12-07T09:00:00.000Z');
  const now = () => new Date(clock);

  test('a window open when Rampart stops reverts on the next start once expired, or is timed again while open', async () => {
    const a = await createTestRampart({ modules: [edgeTestModule()], now });
    const sa = installTestSections(a.core, SECTIONS);
    const admin = await signIn(a, { roles: ['admin'] });
    await sa.write('rules', [{ id: 'before' }]);
    assert.equal((await a.app.inject({ method: 'POST', url: '/api/v1/config/commit-confirm', headers: admin.headers, payload: { timeout_secs: 30 } })).statusCode, 200);
    await sa.write('rules', [{ id: 'after' }]);
    await a.close(); // Rampart stops inside the window

    // Restarted inside the window: still open, timed again, nothing reverted yet.
    clock += 10_000;
    const b = await createTestRampart({ modules: [edgeTestModule()], now, tdb: a.tdb });
    const sb = installTestSections(b.core, SECTIONS);
    await b.startBackground();
    const status = await edgeServices(b.core).config.commitConfirm.status();
    assert.equal(status.active, true);
    assert.equal(status.seconds_remaining, 20);
    assert.deepEqual(await sb.read('rules'), [{ id: 'after' }]);
    await b.close();

    // Restarted after the deadline: reverts at start.
    clock += 60_000;
    const c = await createTestRampart({ modules: [edgeTestModule()], now, tdb: a.tdb });
    const sc = installTestSections(c.core, SECTIONS);
    try {
      await c.startBackground();
      assert.deepEqual(await sc.read('rules'), [{ id: 'before' }]);
      assert.equal(sc.applies, 1);
      assert.equal((await edgeServices(c.core).config.commitConfirm.status()).status, 'reverted');
    } finally {
      await c.close();
      await a.tdb.cleanup();
    }
  });

  test('two nodes sharing the database: exactly one reverts an expired window', async () => {
    const a = await createTestRampart({ modules: [edgeTestModule()], now });
    const b = await createTestRampart({ modules: [edgeTestModule()], now, tdb: a.tdb });
    try {
      const sa = installTestSections(a.core, SECTIONS);
      const sb = installTestSections(b.core, SECTIONS);
      await sa.write('rules', [{ id: 'one' }]);
      await edgeServices(a.core).config.commitConfirm.arm({ timeoutSecs: 10, description: 'cluster', armedBy: 'test' });
      await sa.write('rules', [{ id: 'two' }]);
      clock += 11_000;
      await Promise.all([edgeServices(a.core).config.commitConfirm.review(), edgeServices(b.core).config.commitConfirm.review()]);
      assert.deepEqual(await sa.read('rules'), [{ id: 'one' }]);
      assert.equal(sa.applies + sb.applies, 1, 'one node applied the revert');
      const reverts = await a.core.audit.list({ action: 'edge.config.commit_confirm.revert' }, { limit: 10 });
      assert.equal(reverts.items.length, 1);
    } finally {
      await b.close();
      await a.cleanup();
    }
  });
});
