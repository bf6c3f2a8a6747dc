/**
 * Threat intelligence through the Neuwerk API: settings, silences, feed downloads from a local HTTPS server with a
 * self-signed CA (trusted through egress.threat_feed_ca_file, nothing else), feed status, findings from what the
 * DNS proxy and the flow tracker report, silences applied, and the single-node cluster routes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createThreatService } from '../../src/modules/egress/threats/threat.service.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { selfSigned, serverCertificate } from '../helpers/egress-pki.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

const SETTINGS = '/api/v1/settings/threat-intel';
const SILENCES = '/api/v1/threats/silences';
const FINDINGS = '/api/v1/threats/findings';
const STATUS = '/api/v1/threats/feeds/status';

const THREATFOX = JSON.stringify({ query_status: 'ok', data: [{ ioc: 'evil.example.com', ioc_type: 'domain', confidence_level: 95, threat_type: 'botnet_cc', reference: 'https://threatfox.example/1' }] });
const URLHAUS = '# URLhaus\nhttps://dropper.example.net/payload.exe\nhttp://198.51.100.66/x\n';
const DROP = '; Spamhaus DROP\n203.0.113.0/24 ; SBL1\n';

/** The feeds' HTTPS server on 127.0.0.1, serving each path's current payload (or status). */
async function feedServer(ca: Awaited<ReturnType<typeof selfSigned>>) {
  const cert = await serverCertificate(ca);
  const routes = new Map<string, { status: number; body: string }>([
    ['/threatfox', { status: 200, body: THREATFOX }],
    ['/urlhaus', { status: 200, body: URLHAUS }],
    ['/drop', { status: 200, body: DROP }],
  ]);
  const hits: string[] = [];
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    hits.push(req.url!);
    const route = routes.get(req.url!) ?? { status: 404, body: 'no such feed' };
    res.writeHead(route.status).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, routes, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('egress threat intelligence (/api/v1/settings/threat-intel, /api/v1/threats)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let feeds: Awaited<ReturnType<typeof feedServer>>;

  before(async () => {
    const ca = await selfSigned({ name: 'Feed Mirror CA' });
    feeds = await feedServer(ca);
    const tdb = await createTestDatabase();
    const caFile = join(tdb.dataDir, 'feed-ca.pem');
    writeFileSync(caFile, ca.certPem);
    r = await createTestRampart({
      tdb,
      overrides: {
        'egress.node_id': 'gw-test',
        'egress.threat_feed_threatfox_url': `${feeds.base}/threatfox`,
        'egress.threat_feed_urlhaus_url': `${feeds.base}/urlhaus`,
        'egress.threat_feed_spamhaus_drop_url': `${feeds.base}/drop`,
        'egress.threat_feed_ca_file': caFile,
      },
    });
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { roles: ['readonly'] });
  });
  after(async () => {
    await r.cleanup();
    await r.tdb.cleanup();
    await feeds.close();
  });

  const call = async (method: string, url: string, who: SignedIn | null, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers: who?.headers ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  const threats = () => egressServices(r.core).threats;

  describe('settings', () => {
    test("default to Neuwerk's: enabled, alerting from high, every feed hourly, source null; readonly may read", async () => {
      const res = await call('GET', SETTINGS, reader);
      assert.equal(res.statusCode, 200, res.body);
      const feed = { enabled: true, refresh_interval_secs: 3600 };
      assert.deepEqual(res.json(), {
        enabled: true, alert_threshold: 'high', baseline_feeds: { threatfox: feed, urlhaus: feed, spamhaus_drop: feed }, remote_enrichment: { enabled: false }, source: null,
      });
    });

    test('PUT changes only what it names, is audited, and source becomes local; readonly gets 403', async () => {
      assert.equal((await call('PUT', SETTINGS, reader, { enabled: false })).statusCode, 403);
      const res = await call('PUT', SETTINGS, admin, { alert_threshold: 'critical', baseline_feeds: { urlhaus: { refresh_interval_secs: 600 } } });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.enabled, true);
      assert.equal(body.alert_threshold, 'critical');
      assert.deepEqual(body.baseline_feeds.urlhaus, { enabled: true, refresh_interval_secs: 600 });
      assert.equal(body.source, 'local');
      assert.deepEqual((await call('GET', SETTINGS, reader)).json(), body);
      const audit = await r.core.audit.list({ action: 'egress.settings.threat_intel', result: 'success' }, { limit: 5 });
      assert.equal(audit.items.length, 1);
      assert.equal((await call('PUT', SETTINGS, admin, { alert_threshold: 'high' })).json().alert_threshold, 'high');
    });

    test('a client may PUT back what GET returned, nulls included (Neuwerk reads null as absent)', async () => {
      const current = (await call('GET', SETTINGS, reader)).json();
      const res = await call('PUT', SETTINGS, admin, { ...current, alert_threshold: null });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), current);
    });

    test('bad values are a 400 in the egress envelope and change nothing', async () => {
      const before = (await call('GET', SETTINGS, reader)).json();
      for (const payload of [{ alert_threshold: 'severe' }, { enabled: 'yes' }, { baseline_feeds: { threatfox: { refresh_interval_secs: 0 } } }]) {
        const res = await call('PUT', SETTINGS, admin, payload);
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.equal(typeof res.json().error, 'string');
      }
      assert.deepEqual((await call('GET', SETTINGS, reader)).json(), before);
    });
  });

  describe('feeds', () => {
    test('before any download every feed is listed with zero indicators and snapshot_version 0', async () => {
      const res = await call('GET', STATUS, reader);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.snapshot_version, 0);
      assert.equal(body.disabled, false);
      assert.deepEqual(body.feeds.map((f: any) => [f.feed, f.enabled, f.indicator_counts]), [
        ['threatfox', true, { hostname: 0, ip: 0 }], ['urlhaus', true, { hostname: 0, ip: 0 }], ['spamhaus_drop', true, { hostname: 0, ip: 0 }],
      ]);
    });

    test('a refresh downloads every feed over HTTPS trusting the configured CA, and records success and counts per feed', async () => {
      await threats().refresher.refresh({ force: true });
      assert.deepEqual([...feeds.hits].sort(), ['/drop', '/threatfox', '/urlhaus']);
      const body = (await call('GET', STATUS, reader)).json();
      assert.equal(body.snapshot_version, 1);
      assert.equal(body.last_refresh_outcome, 'success');
      const byFeed = Object.fromEntries(body.feeds.map((f: any) => [f.feed, f]));
      assert.deepEqual(byFeed.threatfox.indicator_counts, { hostname: 1, ip: 0 });
      assert.deepEqual(byFeed.urlhaus.indicator_counts, { hostname: 1, ip: 1 });
      assert.deepEqual(byFeed.spamhaus_drop.indicator_counts, { hostname: 0, ip: 1 });
      for (const f of body.feeds) {
        assert.equal(f.last_refresh_outcome, 'success');
        assert.equal(typeof f.last_successful_refresh_at, 'number');
        assert.equal(f.last_refresh_error, undefined);
      }
    });

    test('a failing feed records failed with its error and keeps its last good indicators', async () => {
      feeds.routes.set('/drop', { status: 500, body: 'mirror down' });
      await threats().refresher.refresh({ force: true });
      const drop = (await call('GET', STATUS, reader)).json().feeds.find((f: any) => f.feed === 'spamhaus_drop');
      assert.equal(drop.last_refresh_outcome, 'failed');
      assert.match(drop.last_refresh_error, /http 500/);
      assert.deepEqual(drop.indicator_counts, { hostname: 0, ip: 1 });
      assert.ok(drop.last_successful_refresh_at <= drop.last_refresh_completed_at);
      feeds.routes.set('/drop', { status: 200, body: DROP });
    });

    test('a server whose certificate the configured CA did not sign is refused (no global verification bypass)', async () => {
      const other = await createTestRampart({
        tdb: r.tdb,
        overrides: { 'egress.threat_feed_threatfox_url': `${feeds.base}/threatfox`, 'egress.threat_feed_urlhaus_url': `${feeds.base}/urlhaus`, 'egress.threat_feed_spamhaus_drop_url': `${feeds.base}/drop` },
      });
      try {
        await egressServices(other.core).threats.refresher.refresh({ force: true });
        const status = await egressServices(other.core).threats.feedStatus();
        const threatfox = status.feeds.find((f) => f.feed === 'threatfox')!;
        assert.equal(threatfox.last_refresh_outcome, 'failed');
        assert.match(threatfox.last_refresh_error!, /certificate/i);
      } finally {
        await other.close();
        // Put this instance's successful state back: the second node wrote failures into the shared table.
        await threats().refresher.refresh({ force: true });
      }
    });
  });

  describe('findings and silences', () => {
    test('a listed name the DNS proxy is asked for and a listed address a flow goes to become de-duplicated findings', async () => {
      await threats().prepare();
      threats().observeDns('Evil.Example.com.', 'clients');
      threats().observeDns('evil.example.com', 'clients');
      threats().observeDns('harmless.example.org', 'clients');
      threats().observeFlow({ src_ip: '10.20.0.2', dst_ip: '203.0.113.77', hostname: null });
      const res = await call('GET', FINDINGS, reader);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual({ ...body, items: undefined }, { items: undefined, partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1, disabled: false });
      const dns = body.items.find((f: any) => f.indicator === 'evil.example.com');
      assert.equal(dns.count, 2);
      assert.equal(dns.observation_layer, 'dns');
      assert.equal(dns.source_group, 'clients');
      assert.equal(dns.severity, 'critical');
      assert.equal(dns.alertable, true);
      assert.equal(dns.match_source, 'stream');
      assert.deepEqual(dns.sample_node_ids, ['gw-test']);
      assert.deepEqual(dns.feed_hits, [{ feed: 'threatfox', severity: 'critical', confidence: 95, reference_url: 'https://threatfox.example/1', tags: ['botnet_cc'] }]);
      const l4 = body.items.find((f: any) => f.indicator === '203.0.113.77');
      assert.equal(l4.observation_layer, 'l4');
      assert.equal(l4.feed_hits[0].feed, 'spamhaus_drop');
      assert.equal(body.items.length, 2);

      const local = (await call('GET', `${FINDINGS}/local?indicator_type=ip`, reader)).json();
      assert.deepEqual(local.items.map((f: any) => f.indicator), ['203.0.113.77']);
      assert.equal((await call('GET', `${FINDINGS}?severity=critical&observation_layer=dns&feed=threatfox&limit=1`, reader)).json().items.length, 1);
    });

    test('bad filters are a 400 in the egress envelope; limits are clamped', async () => {
      for (const q of ['indicator_type=url', 'severity=severe', 'since=yesterday', 'limit=many', 'alertable_only=maybe']) {
        const res = await call('GET', `${FINDINGS}?${q}`, reader);
        assert.equal(res.statusCode, 400, q);
        assert.equal(typeof res.json().error, 'string');
      }
      assert.equal((await call('GET', `${FINDINGS}?limit=0`, reader)).json().items.length, 1);
      assert.equal((await call('GET', `${FINDINGS}?limit=999999`, reader)).statusCode, 200);
    });

    test('silences: created normalized and audited, listed, validated; a silenced indicator records nothing new', async () => {
      assert.equal((await call('POST', SILENCES, reader, { kind: 'exact', indicator_type: 'hostname', value: 'x' })).statusCode, 403);
      for (const bad of [{ kind: 'exact', value: 'evil.example.com' }, { kind: 'exact', indicator_type: 'ip', value: 'not-an-ip' }, { kind: 'hostname_regex', value: '[unclosed' }, { kind: 'glob', value: '*' }]) {
        const res = await call('POST', SILENCES, admin, bad);
        assert.equal(res.statusCode, 400, JSON.stringify(bad));
        assert.equal(typeof res.json().error, 'string');
      }
      const created = await call('POST', SILENCES, admin, { kind: 'exact', indicator_type: 'hostname', value: 'EVIL.example.com.', reason: ' lab test ' });
      assert.equal(created.statusCode, 200, created.body);
      const silence = created.json();
      assert.equal(silence.value, 'evil.example.com');
      assert.equal(silence.reason, 'lab test');
      assert.equal(silence.kind, 'exact');
      assert.equal(typeof silence.created_at, 'number');
      assert.equal(typeof silence.created_by, 'string');
      const regex = (await call('POST', SILENCES, admin, { kind: 'hostname_regex', value: '^dropper\\.' })).json();
      assert.equal(regex.indicator_type, null);
      assert.deepEqual((await call('GET', SILENCES, reader)).json().items.map((s: any) => s.id), [silence.id, regex.id]);
      assert.equal((await call('GET', `${SILENCES}?limit=1`, reader)).json().items.length, 1);
      const audit = await r.core.audit.list({ action: 'egress.threats.silence.create', result: 'success' }, { limit: 5 });
      assert.equal(audit.items.length, 2);

      const before = (await call('GET', FINDINGS, reader)).json().items.find((f: any) => f.indicator === 'evil.example.com').count;
      threats().observeDns('evil.example.com', 'clients');
      threats().observeDns('dropper.example.net', 'clients');
      const after = (await call('GET', FINDINGS, reader)).json().items;
      assert.equal(after.find((f: any) => f.indicator === 'evil.example.com').count, before, 'the silenced hostname counts nothing new');
      assert.equal(after.find((f: any) => f.indicator === 'dropper.example.net'), undefined, 'the regex-silenced hostname records nothing');

      // Deleted by id (audited); matching resumes; an unknown id is 404.
      const removed = await call('DELETE', `${SILENCES}/${silence.id}`, admin);
      assert.equal(removed.statusCode, 204, removed.body);
      threats().observeDns('evil.example.com', 'clients');
      assert.equal((await call('GET', FINDINGS, reader)).json().items.find((f: any) => f.indicator === 'evil.example.com').count, before + 1);
      for (const id of [silence.id, 'not-a-uuid']) {
        const res = await call('DELETE', `${SILENCES}/${id}`, admin);
        assert.equal(res.statusCode, 404);
        assert.equal(res.json().error, 'threat silence not found');
      }
      assert.equal((await r.core.audit.list({ action: 'egress.threats.silence.delete', result: 'success' }, { limit: 5 })).items.length, 1);
    });

    test('a feed switched off in the settings stops matching, and matches again once switched on', async () => {
      let host = 100;
      const flowRecorded = async () => {
        const ip = `203.0.113.${host++}`;
        threats().observeFlow({ src_ip: '10.20.0.2', dst_ip: ip, hostname: null });
        return (await call('GET', `${FINDINGS}?indicator_type=ip`, reader)).json().items.some((f: any) => f.indicator === ip);
      };
      assert.equal((await call('PUT', SETTINGS, admin, { baseline_feeds: { spamhaus_drop: { enabled: false } } })).statusCode, 200);
      await waitFor('spamhaus_drop indicators to stop matching', async () => !(await flowRecorded()));
      assert.equal((await call('GET', STATUS, reader)).json().feeds.find((f: any) => f.feed === 'spamhaus_drop').enabled, false);
      assert.equal((await call('PUT', SETTINGS, admin, { baseline_feeds: { spamhaus_drop: { enabled: true } } })).statusCode, 200);
      await waitFor('spamhaus_drop indicators to match again', flowRecorded);
    });

    test('while disabled: findings answer empty with disabled true, nothing is matched, and feed status says disabled', async () => {
      assert.equal((await call('PUT', SETTINGS, admin, { enabled: false })).statusCode, 200);
      threats().observeDns('evil.example.com', 'others');
      assert.deepEqual((await call('GET', FINDINGS, reader)).json(), { items: [], partial: false, node_errors: [], nodes_queried: 0, nodes_responded: 0, disabled: true });
      assert.equal((await call('GET', `${FINDINGS}/local`, reader)).json().disabled, true);
      assert.equal((await call('GET', STATUS, reader)).json().disabled, true);
      assert.equal((await call('PUT', SETTINGS, admin, { enabled: true })).statusCode, 200);
      const groups = (await call('GET', FINDINGS, reader)).json().items.map((f: any) => f.source_group);
      assert.ok(!groups.includes('others'), 'an observation while disabled recorded nothing');
    });
  });

  describe('refresh where the data plane runs', () => {
    test('start downloads the enabled feeds at once, and enabling a feed in the settings downloads it without waiting for the loop', async () => {
      const node = await createTestRampart({
        overrides: {
          'egress.threat_feed_threatfox_url': `${feeds.base}/threatfox`, 'egress.threat_feed_urlhaus_url': `${feeds.base}/urlhaus`,
          'egress.threat_feed_spamhaus_drop_url': `${feeds.base}/drop`, 'egress.threat_feed_ca_file': join(r.tdb.dataDir, 'feed-ca.pem'),
        },
      });
      // The loop looks for due feeds once an hour here, so only start and the settings change can download.
      const service = createThreatService(node.core, { nodeId: 'gw-2', sourceGroupOf: () => 'default', feedTickMs: 3_600_000 });
      const nodeAdmin = await signIn(node, { roles: ['admin'] });
      const put = (body: unknown) => node.app.inject({ method: 'PUT', url: SETTINGS, headers: nodeAdmin.headers, payload: body as object });
      try {
        assert.equal((await put({ baseline_feeds: { urlhaus: { enabled: false } } })).statusCode, 200);
        const outcomes = async () => Object.fromEntries((await service.feedStatus()).feeds.map((f) => [f.feed, f.last_refresh_outcome ?? null]));
        await service.start();
        await waitFor('the enabled feeds downloaded at start', async () => (await outcomes()).spamhaus_drop === 'success' && (await outcomes()).threatfox === 'success');
        assert.equal((await outcomes()).urlhaus, null, 'a disabled feed is not downloaded');

        assert.equal((await put({ baseline_feeds: { urlhaus: { enabled: true } } })).statusCode, 200);
        await waitFor('urlhaus downloaded after the settings change', async () => (await outcomes()).urlhaus === 'success');
        service.observeDns('dropper.example.net', 'default');
        assert.equal(service.findingsStore.query({ limit: 10 }).length, 1, 'its indicators match');
      } finally {
        await service.stop();
        await node.cleanup();
      }
    });
  });

  describe('cluster membership on a single node', () => {
    test("answers Neuwerk's 503 without cluster mode; readers may list, only admin may change", async () => {
      for (const [method, path, who] of [
        ['GET', '/api/v1/cluster/members', reader], ['GET', '/api/v1/cluster/voters', reader],
        ['POST', '/api/v1/cluster/members/2/remove', admin], ['PUT', '/api/v1/cluster/members/voters', admin],
      ] as const) {
        const res = await call(method, path, who, method === 'GET' ? undefined : { force: false, ids: ['1'] });
        assert.equal(res.statusCode, 503, `${method} ${path}: ${res.body}`);
        assert.deepEqual(res.json(), { error: 'cluster membership requires cluster mode' });
      }
      assert.equal((await call('POST', '/api/v1/cluster/members/2/remove', reader, {})).statusCode, 403);
      assert.equal((await call('GET', '/api/v1/cluster/members', null)).statusCode, 401);
    });
  });
});
