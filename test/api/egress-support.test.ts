import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { selfSigned } from '../helpers/egress-pki.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const SECRET_KEY = randomBytes(32).toString('base64');
const SMTP_PASSWORD = 'smtp-pass-Zq81xT';
const SA_TOKEN = 'k8s-sa-token-Vb72Lm-never-in-a-dump';

/** The entries of a tar.gz, by name, as text. */
async function untar(gz: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(gz));
  await done;
  return files;
}

describe('egress stats and sysdump', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;

  before(async () => {
    r = await createTestRampart({
      overrides: { 'secrets.key': SECRET_KEY, 'mail.smtp_url': `smtp://mailer:${SMTP_PASSWORD}@mail.example.com:587`, 'egress.node_id': 'gw-dump' },
    });
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { roles: ['readonly'] });
    // Secrets the archive must not carry: a sealed integration token and a sealed CA key.
    const ca = await selfSigned();
    const created = await r.app.inject({
      method: 'POST', url: '/api/v1/integrations', headers: admin.headers,
      payload: { name: 'cluster-a', kind: 'kubernetes', api_server_url: 'https://10.0.0.1:6443', ca_cert_pem: ca.certPem, service_account_token: SA_TOKEN },
    });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal((await r.app.inject({ method: 'POST', url: '/api/v1/settings/tls-intercept-ca/generate', headers: admin.headers })).statusCode, 200);
  });
  after(() => r.cleanup());

  test("GET /api/v1/stats has every field of Neuwerk's StatsSnapshot, readable with a readonly token", async () => {
    egressServices(r.core).dnsCache.remember('api.example.com', ['203.0.113.20'], Math.floor(Date.now() / 1000));
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/stats', headers: reader.headers });
    assert.equal(res.statusCode, 200, res.body);
    const stats = res.json();
    assert.deepEqual(Object.keys(stats).sort(), ['cluster', 'dataplane', 'dhcp', 'dns', 'tls']);
    assert.equal(stats.dataplane.enabled, false);
    assert.equal(stats.dataplane.node_id, 'gw-dump');
    assert.equal(typeof stats.dataplane.generation, 'number');
    assert.equal(stats.dns.proxy_running, false);
    assert.equal(stats.dns.cache_entries, 1);
    assert.equal(stats.tls.intercept_ca_configured, true);
    assert.match(stats.tls.intercept_ca_fingerprint_sha256, /^[0-9a-f]{64}$/);
    // Neuwerk's fields, each section: zeros without a running data plane or DNS proxy.
    const decisions = { allow: 0, deny: 0, pending_tls: 0 };
    const { active_flows, active_nat_entries, nat_port_utilization, packets, bytes, flows_opened, flows_closed, ipv4_fragments_dropped, ipv4_ttl_exceeded } = stats.dataplane;
    assert.deepEqual(
      { active_flows, active_nat_entries, nat_port_utilization, packets, bytes, flows_opened, flows_closed, ipv4_fragments_dropped, ipv4_ttl_exceeded },
      { active_flows: 0, active_nat_entries: 0, nat_port_utilization: 0, packets: decisions, bytes: decisions, flows_opened: 0, flows_closed: 0, ipv4_fragments_dropped: 0, ipv4_ttl_exceeded: 0 },
    );
    const { queries_allow, queries_deny, nxdomain_policy, nxdomain_upstream } = stats.dns;
    assert.deepEqual({ queries_allow, queries_deny, nxdomain_policy, nxdomain_upstream }, { queries_allow: 0, queries_deny: 0, nxdomain_policy: 0, nxdomain_upstream: 0 });
    assert.deepEqual([stats.tls.allow, stats.tls.deny], [0, 0]);
    assert.deepEqual(stats.dhcp, { lease_active: false, lease_expiry_epoch: 0 });
    assert.deepEqual(stats.cluster, {
      enabled: false, is_leader: true, current_term: 0, last_log_index: 0, last_applied: 0, node_count: 1, follower_count: 0, followers_caught_up: 0,
      nodes: [{ node_id: 'gw-dump', addr: '', role: 'leader', caught_up: true, lag_entries: 0, matched_index: 0 }],
    });
    assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/stats' })).statusCode, 401);
  });

  test('node sysdump: a gzip tar with redacted config, stats, ruleset note, recent events and policies, and no secret', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/support/sysdump/node', headers: admin.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/gzip');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="sysdump-gw-dump-\d{8}T\d{6}Z\.tar\.gz"$/);

    const files = await untar(res.rawPayload);
    const names = [...files.keys()].map((n) => n.split('/').slice(1).join('/')).sort();
    assert.deepEqual(names, ['config.json', 'integrations.json', 'manifest.json', 'policies.json', 'recent-logs.txt', 'ruleset.nft', 'stats.json']);
    const file = (name: string) => [...files].find(([n]) => n.endsWith(`/${name}`))![1];

    const config = JSON.parse(file('config.json'));
    assert.equal(config.secrets.key, 'REDACTED');
    assert.equal(config.mail.smtp_url, 'REDACTED');
    assert.equal(config.egress.node_id, 'gw-dump');
    assert.equal(JSON.parse(file('stats.json')).tls.intercept_ca_configured, true);
    assert.match(file('ruleset.nft'), /data plane is not enabled/);
    assert.deepEqual(JSON.parse(file('policies.json')), []);
    assert.deepEqual(JSON.parse(file('integrations.json')).map((i: { name: string; token_configured: boolean }) => [i.name, i.token_configured]), [['cluster-a', true]]);
    const logs = file('recent-logs.txt');
    assert.match(logs, /audit events/);
    assert.match(logs, /egress\.integration\.create/);
    assert.equal(JSON.parse(file('manifest.json')).node_id, 'gw-dump');

    const everything = [...files.values()].join('\n');
    for (const secret of [SECRET_KEY, SMTP_PASSWORD, SA_TOKEN, 'PRIVATE KEY']) assert.ok(!everything.includes(secret), `the archive holds ${secret}`);
    const sealed = await r.core.db.kysely.selectFrom('egress_integrations').select('token_sealed').executeTakeFirstOrThrow();
    assert.ok(!everything.includes(sealed.token_sealed), 'not even sealed values');

    const audit = await r.core.audit.list({ action: 'egress.support.sysdump', result: 'success' }, { limit: 5 });
    assert.equal(audit.items.length, 1);
  });

  test('sysdump needs egress_support:write; the cluster sysdump is 503 without cluster mode', async () => {
    assert.equal((await r.app.inject({ method: 'POST', url: '/api/v1/support/sysdump/node', headers: reader.headers })).statusCode, 403);
    const cluster = await r.app.inject({ method: 'POST', url: '/api/v1/support/sysdump/cluster', headers: admin.headers });
    assert.equal(cluster.statusCode, 503);
    assert.deepEqual(cluster.json(), { error: 'cluster mode is not enabled' });
  });
});
