import assert from 'node:assert/strict';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { accessServices } from '../../src/modules/access/access.services.js';
import { enroll, generateToken, wgPublicKey } from '../helpers/access-enroll.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

type Method = 'GET' | 'POST';

describe('access audit pipeline: gateway ingest, query, exports, SIEM webhook, incident playbooks', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let gateway: { gateway_id: string; gateway_token: string; pool_id: string };
  before(async () => {
    r = await createTestRampart();
    await r.startBackground();
    [admin, viewer] = await Promise.all([signIn(r, { roles: ['admin'] }), signIn(r, { roles: ['viewer'] })]);
    const pool = await call('POST', '/v1/admin/settings/gateway-pools', { name: 'audit-pool', region: 'eu', destinations: ['10.243.0.0/16'] });
    assert.equal(pool.statusCode, 201, pool.body);
    const token = await generateToken(r, admin, { kind: 'gateway', pool_id: pool.json().id });
    const gw = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: token.secret, public_key: wgPublicKey(), endpoint: '10.243.0.1:51820', name: 'gw-audit' } });
    assert.equal(gw.statusCode, 201, gw.body);
    gateway = gw.json();
  });
  after(() => r.cleanup());

  const call = (method: Method, url: string, payload?: object, who: SignedIn | null = admin) =>
    r.app.inject({ method, url, headers: who ? who.headers : {}, ...(payload ? { payload } : {}) });
  const ingest = (events: object[], token = gateway.gateway_token) =>
    r.app.inject({ method: 'POST', url: '/v1/audit/ingest', headers: { authorization: `Bearer ${token}` }, payload: { events } });
  const event = (over: Record<string, unknown> = {}) => ({
    id: randomUUID(), time: new Date().toISOString(), actor: { type: 'device', id: randomUUID() }, action: 'session.open',
    target: { type: 'access_device', id: 'd-1' }, result: 'success', source_ip: '10.243.0.9', details: { bytes: 1 }, ...over,
  });

  test('ingest: a batch is stored once however often it is sent; bad batches change nothing; only gateways may send', async () => {
    const batch = [event(), event({ action: 'session.close', result: 'failure' }), event({ action: 'admission.denied', result: 'denied' })];
    const first = await ingest(batch);
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { received: 3, accepted: 3, duplicates: 0 });
    const again = await ingest(batch);
    assert.deepEqual(again.json(), { received: 3, accepted: 0, duplicates: 3 }, 'a batch resent is not stored twice');

    const stored = await call('GET', '/v1/audit/events?action=access.gateway.session.open&limit=200');
    assert.equal(stored.statusCode, 200, stored.body);
    const mine = stored.json().items.filter((e: any) => e.details.event_id === batch[0].id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].details.gateway_id, gateway.gateway_id);
    assert.equal(mine[0].source_ip, '10.243.0.9');
    assert.equal(mine[0].time, batch[0].time);

    const before = (await call('GET', '/v1/audit/events?limit=200')).json().items.length;
    const bad = [
      [event(), event({ time: new Date(Date.now() + 3_600_000).toISOString() })], // one bad event refuses the whole batch
      [event({ action: 'Not An Action' })],
      [event({ result: 'maybe' })],
      [event({ surprise: 1 })],
    ];
    for (const b of bad) {
      const res = await ingest(b);
      assert.equal(res.statusCode, 422, res.body);
      assert.equal(res.json().error, 'validation_error');
    }
    const dup = event();
    assert.equal((await ingest([dup, { ...dup }])).statusCode, 422, 'an id twice in one batch');
    assert.equal((await ingest(Array.from({ length: 1001 }, () => event()))).statusCode, 422, 'more than 1,000 events');
    const noToken = await r.app.inject({ method: 'POST', url: '/v1/audit/ingest', payload: { events: [event()] } });
    assert.equal(noToken.statusCode, 401);
    assert.equal(noToken.json().error, 'unauthorized');
    assert.equal((await r.app.inject({ method: 'POST', url: '/v1/audit/ingest', headers: admin.headers, payload: { events: [event()] } })).statusCode, 401, 'an admin is not a gateway');
    // The ingest rows of the refused batches are not there, and no event of them is.
    const afterBad = (await call('GET', '/v1/audit/events?limit=200')).json().items;
    assert.equal(afterBad.length, before, 'refused batches stored nothing');
  });

  test('events: filters, cursor paging without repeats, permission', async () => {
    const target = randomUUID();
    const batch = Array.from({ length: 7 }, (_, i) => event({ target: { type: 'access_device', id: target }, time: new Date(Date.now() - (10 - i) * 1000).toISOString() }));
    assert.equal((await ingest(batch)).json().accepted, 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await call('GET', `/v1/audit/events?target_id=${target}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json();
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((e: any) => e.details.event_id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, batch.map((e) => e.id).reverse(), 'newest first, each once');
    const failures = (await call('GET', '/v1/audit/events?result=denied&actor_type=device')).json().items;
    assert.ok(failures.length >= 1 && failures.every((e: any) => e.result === 'denied' && e.actor.type === 'device'));
    const window = (await call('GET', `/v1/audit/events?target_id=${target}&from=${encodeURIComponent(batch[2].time)}&to=${encodeURIComponent(batch[5].time)}`)).json().items;
    assert.deepEqual(window.map((e: any) => e.details.event_id), [batch[4].id, batch[3].id, batch[2].id], 'from inclusive, to exclusive');

    assert.equal((await call('GET', '/v1/audit/events', undefined, viewer)).statusCode, 403, 'the trail is sensitive: not for viewers');
    const badQuery = await call('GET', '/v1/audit/events?from=yesterday');
    assert.equal(badQuery.statusCode, 422);
    assert.equal(badQuery.json().error, 'validation_error');
  });

  test('exports: CSV formula-safe, JSON valid against the published schema, RFC 5424 syslog; each export audited', async () => {
    const target = randomUUID();
    const at = (i: number) => new Date(Date.now() - (5 - i) * 1000).toISOString();
    const nasty = [event({ time: at(0), target: { type: 'access_device', id: target }, details: { note: 'x' }, actor: { type: 'user', id: '=HYPERLINK("http://evil")', name: '+1, "quoted"\nline' } }),
      event({ time: at(1), target: { type: 'access_device', id: target }, actor: { type: 'device', id: '@SUM(A1)', name: '-2' } }),
      event({ time: at(2), target: { type: 'access_device', id: target }, actor: { type: 'device', id: '\tTAB', name: 'ok]"\\' } })];
    assert.equal((await ingest(nasty)).json().accepted, 3);

    const csv = await call('GET', `/v1/admin/audit/export?format=csv&target_id=${target}`);
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const text = csv.body;
    assert.ok(text.startsWith('id,time,actor_type,actor_id,actor_name,action'));
    assert.ok(text.includes(`,user,"'=HYPERLINK(""http://evil"")","'+1, ""quoted""\nline",`), text);
    assert.ok(text.includes(",device,'@SUM(A1),'-2,"), text);
    assert.ok(text.includes(",device,'\tTAB,"), text);
    assert.ok(!/(^|,)[=+@\-\t]/m.test(text.split('\r\n').slice(1).join('\r\n').replace(/"[^"]*(""[^"]*)*"/g, '""')), 'no unquoted cell starts a formula');

    const json = await call('GET', `/v1/admin/audit/export?format=json&target_id=${target}`);
    assert.equal(json.statusCode, 200);
    const events = json.json();
    assert.deepEqual(events.map((e: any) => e.details.event_id), nasty.map((e) => e.id), 'oldest first');
    const schema = await call('GET', '/v1/admin/audit/connectors/schema');
    const validate = new (Ajv2020 as any)({ strict: false });
    (addFormats as any)(validate);
    const check = validate.compile(schema.json());
    for (const e of events) assert.ok(check(e), JSON.stringify(check.errors));

    const syslog = await call('GET', `/v1/audit/export/syslog?target_id=${target}`);
    assert.equal(syslog.statusCode, 200);
    const lines = syslog.body.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const [i, line] of lines.entries()) {
      const m = /^<(\d+)>1 (\S+) (\S+) rampart - (\S+) \[rampart@32473 ([^\n]*?)\] (\{.*\})$/.exec(line);
      assert.ok(m, line);
      assert.equal(Number(m[1]), 13 * 8 + 5, 'facility log audit, severity notice');
      assert.equal(m[2], nasty[i].time);
      assert.equal(m[4], 'access.gateway.session.open');
      assert.equal(JSON.parse(m[6]).details.event_id, nasty[i].id);
    }
    assert.ok(lines[2].includes('actor_id="\tTAB"') || lines[2].includes('actor_id="'), 'structured data present');

    const exports = (await call('GET', '/v1/audit/events?action=access.audit.export')).json().items;
    assert.ok(exports.length >= 3 && exports.every((e: any) => e.actor.id === admin.user.id));
    assert.equal((await call('GET', '/v1/admin/audit/export', undefined, viewer)).statusCode, 403);
    assert.equal((await call('GET', '/v1/admin/audit/export?format=xml')).statusCode, 422);
  });

  test('SIEM webhook: HMAC-signed deliveries, a failure retried with backoff, the delivery log; secret write-only', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const received: { delivery: string; events: any[] }[] = [];
    let answered = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-rampart-signature']));
        const expected = sig && createHmac('sha256', secret).update(`${sig[1]}.${body}`).digest();
        if (!sig || !expected || !timingSafeEqual(expected, Buffer.from(sig[2], 'hex'))) {
          res.writeHead(401).end();
          return;
        }
        answered++;
        if (answered === 1) { // the first signed delivery fails: the job must retry it
          res.writeHead(503).end();
          return;
        }
        received.push({ delivery: String(req.headers['x-rampart-delivery']), events: JSON.parse(body).events });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      assert.equal((await call('POST', '/v1/admin/siem/connector', { type: 'webhook', webhook: { url } })).statusCode, 422, 'a first webhook needs its secret');
      const set = await call('POST', '/v1/admin/siem/connector', { type: 'webhook', webhook: { url, secret }, filters: { actions: ['access.gateway.'] } });
      assert.equal(set.statusCode, 200, set.body);
      assert.ok(!set.body.includes(secret));
      assert.equal(set.json().webhook.secret_set, true);
      const shown = await call('GET', '/v1/admin/siem/connector');
      assert.ok(!shown.body.includes(secret), 'never shown again');
      const stored = await r.core.db.kysely.selectFrom('access_siem_connectors').select('secret_sealed').executeTakeFirstOrThrow();
      assert.ok(stored.secret_sealed && !stored.secret_sealed.includes(secret), 'sealed at rest');

      // Late arrivals: times before events already in the trail (an offline gateway catching up) are forwarded too.
      const batch = [event({ action: 'siem.one', time: new Date(Date.now() - 3_600_000).toISOString() }), event({ action: 'siem.two', time: new Date(Date.now() - 1000).toISOString() })];
      assert.equal((await ingest(batch)).json().accepted, 2);
      const got = await waitFor('the retried delivery', () => received.find((d) => d.events.some((e) => e.details.event_id === batch[1].id)), 30_000);
      assert.ok(got.events.every((e) => e.action.startsWith('access.gateway.')), 'the filter holds');
      assert.deepEqual(got.events.filter((e) => batch.some((b) => b.id === e.details.event_id)).map((e) => e.action), ['access.gateway.siem.one', 'access.gateway.siem.two']);

      const log = await waitFor('the delivery log', async () => {
        const body = (await call('GET', '/v1/audit/export/webhook')).json();
        return body.deliveries.some((d: any) => d.status === 'delivered' && d.kind === 'forward') && body.connector.last_success_at ? body : null;
      });
      const forwards = log.deliveries.filter((d: any) => d.kind === 'forward').reverse();
      assert.equal(forwards[0].status, 'failed');
      assert.equal(forwards[0].http_status, 503);
      assert.equal(forwards[0].attempt, 1);
      const delivered = forwards.find((d: any) => d.status === 'delivered');
      assert.equal(delivered.attempt, 2, 'the same job, retried');
      assert.equal(delivered.job_id, forwards[0].job_id);
      assert.equal(log.connector.last_error, null);

      const t = await call('POST', '/v1/admin/siem/connector/test');
      assert.equal(t.statusCode, 200, t.body);
      assert.equal(t.json().delivered, true);
      assert.ok(received.some((d) => d.events.some((e) => e.id === t.json().event_id && e.action === 'access.siem.test')));
      assert.equal((await call('POST', '/v1/admin/siem/connector/test', undefined, viewer)).statusCode, 403);
    } finally {
      await call('POST', '/v1/admin/siem/connector', { type: 'webhook', enabled: false, webhook: { url: 'http://127.0.0.1:9/' } });
      server.close();
    }
  });

  test('playbooks: a dry run changes nothing; a real run does every step, visible step by step and audited', async () => {
    const user = await signIn(r, { roles: ['viewer'] });
    const devices: any[] = [];
    for (const name of ['laptop', 'phone']) {
      const res = await enroll(r, (await generateToken(r, admin, { bound_user_id: user.user.id })).secret, { device: { name, platform: 'linux' } });
      assert.equal(res.statusCode, 201, res.body);
      devices.push(res.json());
    }
    const spcs: string[] = [];
    for (const d of devices) {
      const issued = await r.app.inject({ method: 'POST', url: '/v1/spc/issue', headers: { authorization: `Bearer ${d.device_token}` }, payload: {} });
      assert.equal(issued.statusCode, 200, issued.body);
      spcs.push(issued.json().spc);
    }
    const now = new Date();
    const sessionId = randomUUID();
    const metered = await r.app.inject({
      method: 'POST', url: '/v1/gateway/metering', headers: { authorization: `Bearer ${gateway.gateway_token}` },
      payload: { window_start: new Date(now.getTime() - 60_000).toISOString(), window_end: now.toISOString(), active_sessions: 1, sessions: [{ session_id: sessionId, device_id: devices[0].device_id, bytes_rx: 10, bytes_tx: 20, started_at: new Date(now.getTime() - 60_000).toISOString() }] },
    });
    assert.equal(metered.statusCode, 200, metered.body);
    const state = async () => ({
      user: (await r.core.identity.users.get(user.user.id)).status,
      devices: await Promise.all(devices.map(async (d) => (await call('GET', `/v1/admin/devices?user_id=${user.user.id}`)).json().items.find((x: any) => x.id === d.device_id).status)),
      spcs: await Promise.all(spcs.map(async (s) => (await call('GET', `/v1/spc/validate?spc=${encodeURIComponent(s)}`)).json().valid)),
      sessions: (await call('GET', '/v1/admin/sessions?state=active')).json().items.filter((s: any) => s.device_id === devices[0].device_id).length,
      anchors: (await call('GET', '/v1/trust/anchors')).json().anchors.map((a: any) => `${a.kid}:${a.state}`).sort(),
      runs: (await call('GET', '/v1/admin/incident/playbook')).json().runs.length,
    });
    const before = await state();
    assert.deepEqual([before.user, before.devices, before.spcs, before.sessions], ['active', ['active', 'active'], [true, true], 1]);

    const dry = await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_user', target: { user_id: user.user.id }, reason: 'phished', dry_run: true });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal(dry.json().status, 'planned');
    assert.deepEqual(dry.json().steps.map((s: any) => [s.step, s.status]), [['suspend_user', 'planned'], ['revoke_devices', 'planned'], ['revoke_spcs', 'planned'], ['kill_sessions', 'planned']]);
    assert.deepEqual(dry.json().steps[1].affects.device_ids.sort(), devices.map((d) => d.device_id).sort());
    assert.deepEqual(dry.json().steps[3].affects.session_ids, [sessionId]);
    const rotateDry = await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'rotate_signers', reason: 'drill', dry_run: true });
    assert.equal(rotateDry.statusCode, 200, rotateDry.body);
    assert.deepEqual(await state(), before, 'a dry run changes nothing');

    for (const bad of [{ playbook_id: 'contain_user', target: {}, reason: 'x' }, { playbook_id: 'contain_user', target: { device_id: devices[0].device_id }, reason: 'x' }, { playbook_id: 'nuke', reason: 'x' }, { playbook_id: 'contain_user', target: { user_id: user.user.id } }]) {
      const res = await call('POST', '/v1/admin/incident/playbook', bad);
      assert.equal(res.statusCode, 422, `${JSON.stringify(bad)}: ${res.body}`);
    }
    assert.equal((await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_user', target: { user_id: randomUUID() }, reason: 'x' })).statusCode, 404);
    assert.equal((await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_user', target: { user_id: user.user.id }, reason: 'x' }, viewer)).statusCode, 403);
    assert.deepEqual(await state(), before, 'refused runs change nothing');

    const run = await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_user', target: { user_id: user.user.id }, reason: 'phished' });
    assert.equal(run.statusCode, 202, run.body);
    const done = await waitFor('the run to finish', async () => {
      const v = (await call('GET', `/v1/admin/incident/playbook?run_id=${run.json().id}`)).json();
      return v.status === 'succeeded' || v.status === 'failed' ? v : null;
    }, 30_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.steps));
    assert.ok(done.steps.every((s: any) => s.status === 'done' && s.started_at && s.finished_at));
    const afterRun = await state();
    assert.equal(afterRun.user, 'suspended');
    assert.deepEqual(afterRun.devices, ['revoked', 'revoked']);
    assert.deepEqual(afterRun.spcs, [false, false]);
    assert.equal(afterRun.sessions, 0);
    const steps = (await call('GET', `/v1/audit/events?action=access.playbook.step&target_id=${run.json().id}`)).json().items;
    assert.deepEqual(steps.map((e: any) => e.details.step).sort(), ['kill_sessions', 'revoke_devices', 'revoke_spcs', 'suspend_user'], 'one audit row per step');
    assert.ok(steps.every((e: any) => e.result === 'success'));

    const rotate = await call('POST', '/v1/admin/incident/playbook', { playbook_id: 'rotate_signers', reason: 'drill' });
    assert.equal(rotate.statusCode, 202);
    const rotated = await waitFor('the rotation', async () => {
      const v = (await call('GET', `/v1/admin/incident/playbook?run_id=${rotate.json().id}`)).json();
      return v.status === 'succeeded' ? v : null;
    }, 30_000);
    const anchors = (await state()).anchors;
    assert.notDeepEqual(anchors, before.anchors, 'the signers rotated');
    assert.ok(anchors.includes(`${rotated.steps[0].affects.active}:active`));
  });

  test('operations: the dashboard counts what the other tests left, certificate expiry names each kind soonest first', async () => {
    // The listener's certificate, three days from its end: critical, and an alert on the dashboard.
    mkdirSync(join(r.config.data_dir, 'tls'), { recursive: true });
    const certFile = join(r.config.data_dir, 'tls', 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(r.config.data_dir, 'tls', 'key.pem'), '-out', certFile, '-days', '3', '-subj', '/CN=rampart.test']);
    const expiry = await call('GET', '/v1/admin/certs/expiry');
    assert.equal(expiry.statusCode, 200, expiry.body);
    const items = expiry.json().items;
    const tls = items.find((i: any) => i.kind === 'tls');
    assert.equal(tls.severity, 'critical');
    assert.ok(tls.days_left >= 2 && tls.days_left <= 3, String(tls.days_left));
    assert.equal(items[0].kind, 'tls', 'soonest first');
    const signer = items.find((i: any) => i.kind === 'signer' && i.state === 'active');
    assert.equal(signer.severity, 'none');
    const retiring = items.find((i: any) => i.kind === 'anchor' && i.state === 'retiring');
    assert.ok(retiring && retiring.not_after && retiring.days_left >= 6, 'the signer the playbook retired verifies for the overlap');
    assert.ok(items.some((i: any) => i.kind === 'gateway' && i.id === gateway.gateway_id && i.severity === 'none'));

    const dash = await call('GET', '/v1/admin/dashboard/overview');
    assert.equal(dash.statusCode, 200, dash.body);
    const d = dash.json();
    assert.ok(d.devices.revoked >= 2, 'the contained user\'s devices');
    assert.ok(d.users.suspended >= 1 && d.users.total >= d.users.active + d.users.suspended);
    assert.deepEqual([d.gateways.total, d.pools.total], [1, 1]);
    assert.ok(d.audit.events_24h > 20);
    assert.ok(d.alerts.some((a: any) => a.kind === 'tls_expiry'));
    assert.ok(!d.alerts.some((a: any) => a.kind === 'anchor_expiry'), 'a planned retirement is no alert');
    assert.equal((await call('GET', '/v1/admin/dashboard/overview', undefined, viewer)).statusCode, 403);

    const bundle = await call('GET', '/v1/admin/ops/export');
    assert.equal(bundle.statusCode, 200, bundle.body);
    assert.match(String(bundle.headers['content-disposition']), /attachment; filename="rampart-access-support-/);
    const b = bundle.json();
    assert.deepEqual(Object.keys(b).sort(), ['audit_events', 'certs_expiry', 'config', 'connection_truth', 'dashboard', 'gateway_health', 'generated_at', 'jobs', 'siem', 'tenant_id', 'version']);
    assert.ok(b.config !== null, 'the provider’s bundle carries the redacted configuration');
    assert.ok(b.jobs.some((j: any) => j.type === 'access.siem.forward') && b.jobs.every((j: any) => j.payload === undefined));
    assert.ok(!bundle.body.includes('a-webhook-secret-of-some-length'), 'no webhook secret');
    assert.ok(!bundle.body.includes(gateway.gateway_token), 'no gateway credential');
    assert.ok(!bundle.body.includes(admin.token) && !/(rgt|rdt|ret)_[A-Za-z0-9_-]{40,}/.test(bundle.body), 'no bearer material (masked prefixes only)');
    assert.equal((await call('GET', '/v1/admin/ops/export', undefined, viewer)).statusCode, 403);
    assert.equal((await call('GET', '/v1/admin/certs/expiry', undefined, viewer)).statusCode, 403);
  });

  test('workflows and retention: dry runs change nothing, real runs do; the retention job prunes what is past its time', async () => {
    const tokens = [await generateToken(r, admin), await generateToken(r, admin)];
    const dry = await call('POST', '/v1/admin/workflows/run', { workflow: 'expire_tokens', dry_run: true });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.ok(tokens.every((t) => dry.json().result.token_ids.includes(t.id)));
    const status = async (id: string) => (await call('GET', `/v1/admin/tokens/${id}`)).json().status;
    assert.equal(await status(tokens[0].id), 'active', 'a dry run changes nothing');
    const real = await call('POST', '/v1/admin/workflows/run', { workflow: 'expire_tokens' });
    assert.equal(real.statusCode, 200, real.body);
    assert.deepEqual(await Promise.all(tokens.map((t) => status(t.id))), ['expired', 'expired']);
    assert.equal((await enroll(r, tokens[0].secret)).statusCode, 403, 'an expired token enrols nothing');

    // The session the playbook closed: pruned by the workflow at 0 days, counted first by its dry run.
    const pruneDry = await call('POST', '/v1/admin/workflows/run', { workflow: 'prune_sessions', params: { older_than_days: 0 }, dry_run: true });
    assert.ok(pruneDry.json().result.sessions >= 1, pruneDry.body);
    const closedBefore = (await call('GET', '/v1/admin/sessions?state=closed')).json().items.length;
    assert.equal(closedBefore, pruneDry.json().result.sessions);
    const pruned = await call('POST', '/v1/admin/workflows/run', { workflow: 'prune_sessions', params: { older_than_days: 0 } });
    assert.equal(pruned.json().result.sessions, closedBefore);
    assert.equal((await call('GET', '/v1/admin/sessions?state=closed')).json().items.length, 0);
    for (const bad of [{ workflow: 'recompute_everything' }, { workflow: 'prune_sessions', params: { older_than_days: -1 } }, { workflow: 'expire_tokens', params: { created_before: 'soon' } }]) {
      assert.equal((await call('POST', '/v1/admin/workflows/run', bad)).statusCode, 422, JSON.stringify(bad));
    }
    assert.equal((await call('POST', '/v1/admin/workflows/run', { workflow: 'expire_tokens' }, viewer)).statusCode, 403);
    const audited = (await call('GET', '/v1/audit/events?action=access.workflow.run')).json().items;
    assert.ok(audited.some((e: any) => e.details.workflow === 'prune_sessions' && e.details.dry_run === false));

    // The retention job: the delivery log's rows aged past 30 days go; younger ones stay.
    const deliveries = await r.core.db.kysely.selectFrom('access_siem_deliveries').select('id').execute();
    assert.ok(deliveries.length >= 2);
    await r.core.db.kysely.updateTable('access_siem_deliveries').set({ created_at: new Date(Date.now() - 31 * 86_400_000).toISOString() }).where('id', '=', deliveries[0].id).execute();
    await accessServices(r.core).audit.workflows.sweep();
    const retention = await waitFor('the retention job', async () => {
      const v = (await call('GET', '/v1/admin/compliance/retention')).json();
      return v.last_prune_at ? v : null;
    }, 30_000);
    assert.equal(retention.last_result.siem_deliveries, 1);
    assert.equal(retention.session_days, 90);
    const left = await r.core.db.kysely.selectFrom('access_siem_deliveries').select('id').execute();
    assert.equal(left.length, deliveries.length - 1);
    assert.ok(!left.some((d) => d.id === deliveries[0].id));
    await accessServices(r.core).audit.workflows.sweep();
    const jobs = await r.core.jobs.queue.list({ type: 'access.retention.prune' });
    assert.equal(jobs.total, 1, 'once a day: a second sweep queues nothing');
  });

  test("another tenant: its SIEM connector forwards its tenant's events only, its trail and playbooks are its own", async () => {
    const created = await call('POST', '/v1/admin/tenants/lifecycle', { action: 'create', name: 'Audit tenant B' });
    assert.equal(created.statusCode, 201, created.body);
    const tenantB = created.json().tenant.id as string;
    const adminB = await signIn(r, { roles: ['admin'] });
    assert.equal((await call('POST', '/v1/admin/tenants/lifecycle', { action: 'assign_admin', tenant_id: tenantB, user_id: adminB.user.id })).statusCode, 200);
    const asB = (method: Method, url: string, payload?: object) => call(method, url, payload, adminB);
    const pool = await asB('POST', '/v1/admin/settings/gateway-pools', { name: 'audit-pool-b', region: 'eu', destinations: ['10.243.128.0/17'] });
    assert.equal(pool.statusCode, 201, pool.body);
    const token = await generateToken(r, adminB, { kind: 'gateway', pool_id: pool.json().id });
    const gw = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: token.secret, public_key: wgPublicKey(), endpoint: '10.243.128.1:51820', name: 'gw-audit-b' } });
    assert.equal(gw.statusCode, 201, gw.body);
    const gatewayB = gw.json();

    const secret = 'tenant-b-webhook-secret-0123';
    const received: any[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        received.push(...JSON.parse(body).events);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook-b`;
      const set = await asB('POST', '/v1/admin/siem/connector', { type: 'webhook', webhook: { url, secret } });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal((await call('GET', '/v1/admin/siem/connector')).json().webhook.url, 'http://127.0.0.1:9/', "the provider's connector is its own");

      // The provider's gateway reports first, then tenant B's: only B's reaches B's receiver.
      const a = event({ action: 'tenant.a' });
      const b = event({ action: 'tenant.b' });
      assert.equal((await ingest([a])).json().accepted, 1);
      assert.equal((await ingest([b], gatewayB.gateway_token)).json().accepted, 1);
      await waitFor("tenant B's gateway event and its own admin action (the trail walk)", () =>
        received.some((e) => e.details.event_id === b.id) && received.some((e) => e.action === 'access.siem.configure') ? true : null, 30_000);
      assert.ok(!received.some((e) => e.details.event_id === a.id), "the provider's gateway event never leaves through B's connector");
      assert.deepEqual([...new Set(received.map((e) => e.details.tenant_id))], [tenantB], "every event forwarded is tenant B's");

      const trailB = (await asB('GET', '/v1/audit/events?limit=200')).json().items as any[];
      assert.ok(trailB.some((e) => e.details.event_id === b.id) && !trailB.some((e) => e.details.event_id === a.id));
      assert.ok(trailB.every((e) => e.details.tenant_id === tenantB), "B reads its tenant's events only");
      const trailA = (await call('GET', '/v1/audit/events?limit=200')).json().items as any[];
      assert.ok(trailA.some((e) => e.details.event_id === b.id), "the provider reads every tenant's events");

      // Playbooks: B's run is B's; the provider's device is not B's to contain.
      const provDevice = (await call('GET', '/v1/admin/devices')).json().items[0];
      assert.ok(provDevice, 'the playbook test left the provider a device');
      const refused = await asB('POST', '/v1/admin/incident/playbook', { playbook_id: 'contain_device', target: { device_id: provDevice.id }, reason: 'x', dry_run: true });
      assert.equal(refused.statusCode, 404, refused.body);
      const run = await asB('POST', '/v1/admin/incident/playbook', { playbook_id: 'rotate_signers', reason: 'tenant b rotation', dry_run: true });
      assert.equal(run.statusCode, 200, run.body);
      assert.equal(run.json().steps[0].affects.tenant_id, tenantB);
      const bundle = (await asB('GET', '/v1/admin/ops/export')).json();
      assert.equal(bundle.tenant_id, tenantB);
      assert.equal(bundle.config, null, "the process's configuration is the provider's");
      assert.deepEqual(bundle.jobs, []);
      assert.deepEqual((await asB('GET', '/v1/admin/dashboard/overview')).json().users, { total: 1, active: 1, suspended: 0 }, "a tenant counts its own users: here its administrator");
    } finally {
      await asB('POST', '/v1/admin/siem/connector', { type: 'webhook', enabled: false, webhook: { url: 'http://127.0.0.1:9/' } });
      server.close();
    }
  });
});
