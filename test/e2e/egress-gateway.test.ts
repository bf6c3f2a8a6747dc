/**
 * The egress gateway on real traffic: a client namespace routes through a gateway namespace running Rampart with
 * the data plane on (nftables + its DNS proxy) to an upstream namespace with dnsmasq and two HTTP listeners.
 * The test drives Rampart's API over a unix socket (sockets in the filesystem cross network namespaces), so
 * nothing listens on, or sends to, the host's own network. The gateway's Rampart keeps its state in SQLite
 * in its data dir: the database under test elsewhere is unreachable from inside the namespace.
 */
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';
import { CLIENT_IP, GATEWAY_CLIENT_SIDE, RoutedLab, UPSTREAM_IP } from '../helpers/routed-lab.js';
import { adminToken, socketCall } from '../helpers/socket-api.js';
import { selfSigned, serverCertificate } from '../helpers/egress-pki.js';

const API_IP = '203.0.113.10';
const BLOCKED_IP = '203.0.113.20';
const PROGRAMS = ['ip', 'nft', 'conntrack', 'dnsmasq', 'curl'];
/** The threat feeds' HTTPS server, on the gateway namespace's loopback: only the gateway's Rampart reaches it. */
const FEED_PORT = 9443;
const FEEDS = {
  threatfox: JSON.stringify({ query_status: 'ok', data: [
    { ioc: 'evil.example.com', ioc_type: 'domain', confidence_level: 95, threat_type: 'botnet_cc' },
    { ioc: 'also-evil.example.com', ioc_type: 'domain', confidence_level: 80 },
  ] }),
  urlhaus: '# URLhaus\n',
  // The allowed API address is listed, so its flows become l4 threat findings.
  spamhaus_drop: `; Spamhaus DROP\n${API_IP}/32 ; SBL-TEST\n`,
};

/** Starts the feed server in the gateway namespace with a certificate of a CA written to caFile; resolves once it listens. */
async function startFeedServer(caFile: string) {
  const ca = await selfSigned({ name: 'Feed Mirror CA' });
  const cert = await serverCertificate(ca);
  writeFileSync(caFile, ca.certPem);
  const files = { cert: join(dir, 'feed.crt'), key: join(dir, 'feed.key'), feeds: join(dir, 'feeds.json') };
  writeFileSync(files.cert, cert.certPem);
  writeFileSync(files.key, cert.keyPem);
  writeFileSync(files.feeds, JSON.stringify(FEEDS));
  const script = `const fs = require('node:fs'); const [cert, key, feeds, port] = process.argv.slice(1); const bodies = JSON.parse(fs.readFileSync(feeds, 'utf8'));
require('node:https').createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  const body = bodies[req.url.slice(1)]; res.writeHead(body === undefined ? 404 : 200).end(body ?? 'no such feed');
}).listen(Number(port), '127.0.0.1', () => console.log('feeds listening'));`;
  const server = lab!.spawn('gateway', process.execPath, ['-e', script, files.cert, files.key, files.feeds, String(FEED_PORT)]);
  await waitFor('the feed server to listen', () => server.output().includes('feeds listening'));
}
const skip = skipUnlessPrograms(...PROGRAMS);

let lab: RoutedLab | undefined;
const dir = mkdtempSync(join(tmpdir(), 'rampart-egress-e2e-'));
after(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const socket = join(dir, 'rampart.sock');

const call = (method: string, path: string, token?: string, body?: unknown) => socketCall(socket, method, path, token, body);

/** Collects Server-Sent Events from a stream until stop() is called. */
function subscribe(path: string, token: string) {
  const events: { event: string; data: any }[] = [];
  let response: IncomingMessage | undefined;
  const req = request({ socketPath: socket, path, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
    response = res;
    let buffer = '';
    res.on('data', (chunk) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.end();
  return { events, status: () => response?.statusCode, stop: () => req.destroy() };
}


/** Resolves a name from the client namespace through the gateway's DNS proxy: the addresses, or the error code. */
async function resolveFromClient(name: string): Promise<string[] | string> {
  const script = `const { Resolver } = require('node:dns').promises; const r = new Resolver({ timeout: 3000, tries: 1 });
r.setServers(['${GATEWAY_CLIENT_SIDE}']);
r.resolve4('${name}').then((a) => console.log(JSON.stringify(a)), (e) => console.log(JSON.stringify(e.code)));`;
  const { output } = await lab!.run('client', process.execPath, ['-e', script]);
  return JSON.parse(output.trim().split('\n').pop()!);
}

async function httpFromClient(address: string): Promise<boolean> {
  const { status, output } = await lab!.run('client', 'curl', ['-s', '--max-time', '3', `http://${address}/`]);
  return status === 0 && output.includes(`hello from ${address}`);
}

const policy = (mode: 'enforce' | 'audit') => ({
  name: 'office-egress',
  mode: 'enforce',
  policy: {
    default_policy: 'deny',
    source_groups: [
      {
        id: 'clients',
        mode,
        sources: { cidrs: ['10.20.0.0/24'] },
        default_action: 'deny',
        rules: [{ id: 'allow-api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } }],
      },
    ],
  },
});

test('the gateway allows api.example.com, denies blocked.example.com by DNS and by address, records findings and flows, and audit mode lets traffic through', { skip, timeout: 180_000 }, async () => {
  requirePrograms(...PROGRAMS);
  lab = RoutedLab.create([API_IP, BLOCKED_IP]);

  // Upstream: dnsmasq answering both names, and an HTTP listener on each address.
  lab.spawn('upstream', 'dnsmasq', ['--no-daemon', '--no-resolv', '--no-hosts', '--user=root', `--listen-address=${UPSTREAM_IP}`, '--bind-interfaces',
    `--address=/api.example.com/${API_IP}`, `--address=/blocked.example.com/${BLOCKED_IP}`]);
  const server = `require('node:http').createServer((req, res) => res.end('hello from ' + req.socket.localAddress + '\\n')).listen(80, process.argv[1]);`;
  for (const address of [API_IP, BLOCKED_IP]) lab.spawn('upstream', process.execPath, ['-e', server, address]);

  // The threat feeds, served where the gateway's Rampart fetches them.
  const feedCa = join(dir, 'feed-ca.pem');
  await startFeedServer(feedCa);

  // The gateway: Rampart with the data plane on, its API on a unix socket, its DNS proxy on the client side.
  const dataDir = join(dir, 'data');
  const { context } = await lab.startGatewayRampart({
    dataDir,
    socket,
    nodeId: 'gw-1',
    env: {
      RAMPART_EGRESS_THREAT_FEED_THREATFOX_URL: `https://127.0.0.1:${FEED_PORT}/threatfox`,
      RAMPART_EGRESS_THREAT_FEED_URLHAUS_URL: `https://127.0.0.1:${FEED_PORT}/urlhaus`,
      RAMPART_EGRESS_THREAT_FEED_SPAMHAUS_DROP_URL: `https://127.0.0.1:${FEED_PORT}/spamhaus_drop`,
      RAMPART_EGRESS_THREAT_FEED_CA_FILE: feedCa,
    },
  });
  const token = await adminToken(socket, dataDir);

  const created = await call('POST', '/api/v1/policies', token, policy('enforce'));
  assert.equal(created.status, 200, `${created.body}\n${context()}`);
  const policyId = created.json().id as string;
  const wiretap = subscribe('/api/v1/wiretap/stream', token);

  try {
    // Allowed by name: the proxy answers and opens the address; HTTP to it works.
    assert.deepEqual(await resolveFromClient('api.example.com'), [API_IP], context());
    assert.ok(await httpFromClient(API_IP), `HTTP to api.example.com must pass\n${context()}`);

    // Denied by name, and by address.
    assert.equal(await resolveFromClient('blocked.example.com'), 'ENOTFOUND', context());
    assert.equal(await httpFromClient(BLOCKED_IP), false, 'HTTP straight to the blocked address must fail');

    const findings = await waitFor('dns_deny and l4_deny findings', async () => {
      const items = (await call('GET', '/api/v1/audit/findings', token)).json().items as any[];
      const dns = items.find((f) => f.finding_type === 'dns_deny' && f.hostname === 'blocked.example.com');
      const l4 = items.find((f) => f.finding_type === 'l4_deny' && f.dst_ip === BLOCKED_IP && f.dst_port === 80);
      return dns && l4 && { dns, l4 };
    });
    assert.equal(findings.dns.source_group, 'clients');
    assert.equal(findings.dns.policy_id, policyId);
    assert.ok(findings.dns.count >= 1 && findings.l4.count >= 1);
    assert.deepEqual(findings.l4.node_ids, ['gw-1']);

    // Threat intel: the feeds were fetched at start over HTTPS (trusting the feed CA); a listed name asked through the
    // gateway and the listed API address its flow went to are threat findings.
    const feedStatus = await waitFor('the feeds fetched', async () => {
      const status = (await call('GET', '/api/v1/threats/feeds/status', token)).json();
      return status.feeds.every((f: any) => f.last_refresh_outcome === 'success') && status;
    }).catch((err) => assert.fail(`${err.message}\n${context()}`));
    assert.deepEqual(feedStatus.feeds.map((f: any) => f.indicator_counts), [{ hostname: 2, ip: 0 }, { hostname: 0, ip: 0 }, { hostname: 0, ip: 1 }]);
    assert.equal(await resolveFromClient('evil.example.com'), 'ENOTFOUND', 'the policy still decides the answer');
    const threatFindings = async () => (await call('GET', '/api/v1/threats/findings', token)).json().items as any[];
    const threats = await waitFor('threat findings for the listed name and address', async () => {
      const items = await threatFindings();
      const dns = items.find((f) => f.indicator === 'evil.example.com' && f.observation_layer === 'dns');
      const l4 = items.find((f) => f.indicator === API_IP && f.observation_layer === 'l4');
      return dns && l4 && { dns, l4 };
    });
    assert.equal(threats.dns.source_group, 'clients');
    assert.deepEqual(threats.dns.sample_node_ids, ['gw-1']);
    assert.equal(threats.dns.feed_hits[0].feed, 'threatfox');
    assert.equal(threats.l4.source_group, 'clients');
    assert.equal(threats.l4.feed_hits[0].feed, 'spamhaus_drop');

    // A silence applies at once: once the proxy has answered, a silenced name counted nothing, another listed one did.
    const silence = await call('POST', '/api/v1/threats/silences', token, { kind: 'exact', indicator_type: 'hostname', value: 'evil.example.com', reason: 'e2e' });
    assert.equal(silence.status, 200, silence.body);
    await resolveFromClient('evil.example.com');
    await resolveFromClient('also-evil.example.com');
    const afterSilence = await threatFindings();
    assert.equal(afterSilence.find((f) => f.indicator === 'evil.example.com' && f.observation_layer === 'dns').count, threats.dns.count);
    assert.equal(afterSilence.find((f) => f.indicator === 'also-evil.example.com')?.count, 1);
    // /api/v1/stats measured it: nft counters around the policy chain, the DNS proxy's counters, conntrack.
    const stats = (await call('GET', '/api/v1/stats', token)).json();
    assert.ok(stats.dataplane.packets.allow > 0 && stats.dataplane.bytes.allow > 0, JSON.stringify(stats.dataplane));
    assert.ok(stats.dataplane.packets.deny > 0 && stats.dataplane.bytes.deny > 0, 'the SYNs to the blocked address were dropped');
    assert.ok(stats.dataplane.flows_opened >= 1, 'the HTTP connection to api.example.com opened a flow');
    assert.equal(stats.dataplane.stats_error, null);
    assert.ok(Number.isInteger(stats.dataplane.active_flows) && stats.dataplane.flows_closed <= stats.dataplane.flows_opened);
    assert.ok(stats.dns.queries_allow >= 1 && stats.dns.queries_deny >= 1 && stats.dns.nxdomain_policy >= 1, JSON.stringify(stats.dns));
    assert.equal(stats.cluster.last_applied, stats.cluster.last_log_index);

    // The wiretap saw the allowed flow, named by the DNS cache, and its end.
    assert.equal(wiretap.status(), 200);
    const flow = (await waitFor('a flow event to api.example.com', () =>
      wiretap.events.find((e) => e.event === 'flow' && e.data.dst_ip === API_IP && e.data.src_ip === CLIENT_IP && e.data.dst_port === 80)))!;
    assert.equal(flow.data.hostname, 'api.example.com');
    await waitFor('its flow_end', () => wiretap.events.find((e) => e.event === 'flow_end' && e.data.flow_id === flow.data.flow_id), 20_000);

    // Audit mode: the PUT returns once the new ruleset runs, so the blocked flow passes right away, recorded.
    const put = await call('PUT', `/api/v1/policies/${policyId}`, token, policy('audit'));
    assert.equal(put.status, 200, put.body);
    assert.ok(await httpFromClient(BLOCKED_IP), `in audit mode the blocked address must pass\n${context()}`);
    assert.deepEqual(await resolveFromClient('blocked.example.com'), [BLOCKED_IP]);
    let lastSeen: unknown;
    const audited = await waitFor('the audited flow recorded as a finding', async () => {
      const items = (await call('GET', '/api/v1/audit/findings?finding_type=l4_deny', token)).json().items as any[];
      lastSeen = items;
      // Named now, since audit mode let the name resolve: the finding may be a new one keyed with the hostname.
      const forBlocked = items.filter((f) => f.dst_ip === BLOCKED_IP && f.dst_port === 80);
      const total = forBlocked.reduce((sum, f) => sum + f.count, 0);
      return total > findings.l4.count && forBlocked.find((f) => f.last_seen >= findings.l4.last_seen);
    }).catch((err) => assert.fail(`${err.message}; findings: ${JSON.stringify(lastSeen)}; before: ${JSON.stringify(findings.l4)}`));
    assert.equal(audited.source_group, 'clients');

    // A reshaped policy (seventy more groups, each with a learned set: the table is replaced): its script streams
    // into nft while it compiles, and the PUT answers once it runs, so the blocked address is refused again.
    const reshaped = policy('enforce');
    for (let i = 0; i < 70; i++) {
      reshaped.policy.source_groups.push({
        id: `branch-${i}`, mode: 'enforce', sources: { cidrs: [`10.99.${i}.0/24`] }, default_action: 'deny',
        rules: [{ id: 'allow-api', action: 'allow', match: { dns_hostname: `^svc${i}\\.example\\.com$` } }],
      });
    }
    const big = await call('PUT', `/api/v1/policies/${policyId}`, token, reshaped);
    assert.equal(big.status, 200, big.body);
    assert.equal(await httpFromClient(BLOCKED_IP), false, `the reshaped policy enforces\n${context()}`);
    await waitFor('the streamed replacement in the log', () => /generation applied/.test(context()) && /"streamed":true/.test(context()));
  } finally {
    wiretap.stop();
  }
});

test('the namespaces are gone after the test', { skip }, async () => {
  await lab?.destroy();
  assert.deepEqual(lab?.remaining() ?? [], []);
});
