/**
 * The SIEM connector against Debian's rsyslog: rsyslogd and a Rampart process (the real CLI) run in a network
 * namespace this test makes (rac-<pid>-siem, a veth pair inside it with 10.243.0.1/24, and lo); rsyslog listens on TCP,
 * TLS (gtls, a CA made here) and UDP and writes what it receives to one file per input. The test drives Rampart over
 * a unix socket, points the connector at each input in turn, and asserts on the lines rsyslog wrote: the test
 * event, a gateway's ingested event and an admin action. The namespace goes in after() and on process exit.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { spawnRampart, type SpawnedRampart } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { wgPublicKey } from '../helpers/access-enroll.js';

const NS = `rac-${process.pid}-siem`;
const ADDR = '10.243.0.1';
const PORTS = { tcp: 10514, tls: 10515, udp: 10516 } as const;
type Transport = keyof typeof PORTS;

const dir = mkdtempSync(join(tmpdir(), 'rampart-siem-'));
let rsyslog: ChildProcess | undefined;
let server: SpawnedRampart | undefined;
let token = '';
const socket = join(dir, 'rampart.sock');

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function destroy() {
  rsyslog?.kill('SIGKILL');
  if (server?.proc.exitCode === null) server.proc.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NS]);
  rmSync(dir, { recursive: true, force: true });
}
process.once('exit', destroy);
after(async () => {
  await server?.stop();
  rsyslog?.kill('SIGTERM');
  destroy();
});

function call(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; body: string; json(): any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (payload) headers['content-type'] = 'application/json';
    const req = request({ socketPath: socket, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const received = (t: Transport) => {
  const file = join(dir, `out-${t}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

function makeCertificates() {
  const ssl = (args: string[]) => run('openssl', args);
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '1', '-subj', '/CN=Rampart test SIEM CA']);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr'), '-subj', '/CN=siem.test']);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:siem.test,IP:${ADDR}\nextendedKeyUsage=serverAuth\n`);
  ssl(['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'server.pem'), '-days', '1', '-extfile', join(dir, 'ext.cnf')]);
}

function rsyslogConfig(): string {
  mkdirSync(join(dir, 'work'));
  const out = (t: Transport) => `ruleset(name="${t}") { action(type="omfile" file="${join(dir, `out-${t}.log`)}" template="line") }`;
  return [
    `global(workDirectory="${join(dir, 'work')}" defaultNetstreamDriverCAFile="${join(dir, 'ca.pem')}" defaultNetstreamDriverCertFile="${join(dir, 'server.pem')}" defaultNetstreamDriverKeyFile="${join(dir, 'server.key')}")`,
    'module(load="imtcp")',
    'module(load="imudp")',
    'template(name="line" type="string" string="%pri% %timereported:::date-rfc3339% %app-name% %msgid% %structured-data% %msg%\\n")',
    out('tcp'), out('tls'), out('udp'),
    `input(type="imtcp" address="${ADDR}" port="${PORTS.tcp}" ruleset="tcp")`,
    `input(type="imtcp" address="${ADDR}" port="${PORTS.tls}" ruleset="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")`,
    `input(type="imudp" address="${ADDR}" port="${PORTS.udp}" ruleset="udp")`,
  ].join('\n') + '\n';
}

test('audit events forwarded to a real rsyslog over TCP, TLS and UDP land in its files', { skip: skipUnlessPrograms('ip', 'rsyslogd', 'openssl') }, async () => {
  requirePrograms('ip', 'rsyslogd', 'openssl');
  run('ip', ['netns', 'add', NS]);
  run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  // A veth pair with both ends in the namespace: an address on a link of its own, nothing outside it touched.
  run('ip', ['-n', NS, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  run('ip', ['-n', NS, 'addr', 'add', `${ADDR}/24`, 'dev', 'v0']);
  run('ip', ['-n', NS, 'link', 'set', 'v0', 'up']);
  run('ip', ['-n', NS, 'link', 'set', 'v1', 'up']);
  makeCertificates();
  writeFileSync(join(dir, 'rsyslog.conf'), rsyslogConfig());
  let rsyslogOut = '';
  rsyslog = spawn('ip', ['netns', 'exec', NS, 'rsyslogd', '-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  rsyslog.stdout!.on('data', (c) => (rsyslogOut += c));
  rsyslog.stderr!.on('data', (c) => (rsyslogOut += c));
  await waitFor('rsyslog listening on TCP, TLS and UDP', () => {
    const ss = spawnSync('ip', ['netns', 'exec', NS, 'ss', '-lntu'], { encoding: 'utf8' }).stdout ?? '';
    return Object.values(PORTS).every((p) => ss.includes(`${ADDR}:${p}`));
  }, 20_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${rsyslogOut}`);
  });

  const dataDir = join(dir, 'server');
  mkdirSync(dataDir);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  server = await spawnRampart(['serve', '--insecure-http', '--data-dir', dataDir, '--listen', `unix:${socket}`, '--metrics-listen', '127.0.0.1:0'], { ...env, RAMPART_LOG_FORMAT: 'json' }, 'bin/rampart.js', { netns: NS });
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password }, '');
  assert.equal(login.status, 200, login.body);
  token = login.json().access_token;

  const pool = await call('POST', '/v1/admin/settings/gateway-pools', { name: 'siem', region: 'lab', destinations: ['10.243.1.0/24'] });
  assert.equal(pool.status, 201, pool.body);
  const gwToken = (await call('POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: pool.json().id })).json().secret;
  const gw = await call('POST', '/v1/gateway/enroll', { token: gwToken, public_key: wgPublicKey(), endpoint: `${ADDR}:51820`, name: 'gw-siem' }, '');
  assert.equal(gw.status, 201, gw.body);
  const gateway = gw.json();

  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  for (const transport of ['tcp', 'tls', 'udp'] as const) {
    const set = await call('POST', '/v1/admin/siem/connector', {
      type: 'syslog',
      syslog: { host: ADDR, port: PORTS[transport], transport, ...(transport === 'tls' ? { ca_pem: ca, server_name: 'siem.test' } : {}) },
    });
    assert.equal(set.status, 200, set.body);

    const sent = await call('POST', '/v1/admin/siem/connector/test');
    assert.equal(sent.status, 200, sent.body);
    assert.equal(sent.json().delivered, true, sent.body);
    const testLine = await waitFor(`the test event in rsyslog's ${transport} file`, () => received(transport).find((l) => l.includes(sent.json().event_id)), 20_000);
    assert.match(testLine, /^109 \S+ rampart access\.siem\.test \[rampart@32473 id="[0-9a-f-]{36}" actor_type="user" actor_id="[^"]+" result="success"/, testLine);

    const eventId = `${transport}-${randomUUID()}`;
    const ingested = await call('POST', '/v1/audit/ingest', { events: [{ id: eventId, time: new Date(Date.now() - 60_000).toISOString(), action: 'admission.denied', result: 'denied', actor: { type: 'device', id: 'dev-1' }, source_ip: '10.243.1.7' }] }, gateway.gateway_token);
    assert.equal(ingested.status, 200, ingested.body);
    const line = await waitFor(`the gateway's event in rsyslog's ${transport} file`, () => received(transport).find((l) => l.includes(eventId)), 30_000);
    // <13*8+4>: facility log audit, severity warning for a denial; MSGID the action; the event as JSON after the SD.
    assert.match(line, /^108 \S+ rampart access\.gateway\.admission\.denied \[rampart@32473 [^\]]*actor_type="device" actor_id="dev-1" result="denied"[^\]]*source_ip="10\.243\.1\.7"/, line);
    const json = JSON.parse(line.slice(line.indexOf('{')));
    assert.equal(json.details.event_id, eventId);
    assert.equal(json.details.gateway_id, gateway.gateway_id);
  }

  // Admin actions reach it too: the connector's own reconfiguration to UDP, once settled.
  await waitFor('an admin action forwarded', () => received('udp').find((l) => l.includes(' access.siem.configure ')), 30_000);
  assert.deepEqual(received('tcp').filter((l) => l.includes('udp-')), [], 'nothing meant for the UDP input went elsewhere');
});
