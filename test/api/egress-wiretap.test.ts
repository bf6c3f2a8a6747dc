import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createFlowTracker } from '../../src/modules/egress/wiretap/flow-tracker.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

const STREAM = '/api/v1/wiretap/stream';
const recorded = readFileSync(new URL('../fixtures/conntrack/extended-id.txt', import.meta.url), 'utf8').split('\n');

/** An SSE client on a real socket that keeps what arrived and waits for a condition on it. */
function openStream(port: number, path: string, headers: Record<string, string>) {
  let text = '';
  let response!: IncomingMessage;
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  const req = request({ host: '127.0.0.1', port, path, headers, agent: false });
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const w of [...waiters]) if (w.check()) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  req.end();
  const events = () =>
    text.split('\n\n').flatMap((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      return event && data ? [{ event, data: JSON.parse(data) }] : [];
    });
  return {
    opened,
    get response() {
      return response;
    },
    events,
    text: () => text,
    until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; stream so far:\n${text}`)), timeoutMs);
        waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () => req.destroy(),
  };
}

describe('egress wiretap (/api/v1/wiretap/stream)', () => {
  let r: TestRampart;
  let port: number;
  let reader: SignedIn;
  let nobody: SignedIn;
  let dir: string;
  let table: string;

  before(async () => {
    r = await createTestRampart({ overrides: { 'egress.node_id': 'gw-test' } });
    reader = await signIn(r, { roles: ['readonly'] });
    nobody = await signIn(r);
    dir = mkdtempSync(join(tmpdir(), 'rampart-wiretap-api-'));
    table = join(dir, 'conntrack.txt');
    writeFileSync(table, '');
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    port = (r.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await r.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const inject = (url: string, who: SignedIn | null) => r.app.inject({ method: 'GET', url, headers: who ? who.headers : {} });

  test('needs egress_wiretap:read: 401 without credentials, 403 without the permission', async () => {
    assert.equal((await inject(STREAM, null)).statusCode, 401);
    const denied = await inject(STREAM, nobody);
    assert.equal(denied.statusCode, 403);
    assert.equal(typeof denied.json().error, 'string');
  });

  test('malformed filters are 400s before any stream opens', async () => {
    for (const query of ['src_cidr=10.0.0.0/40', 'dst_port=1-2-3', 'src_port=99999', 'proto=%25%25', 'dst_cidr=10.0.0.0/8&dst_cidr=nope', 'hostname=a%20b']) {
      const res = await inject(`${STREAM}?${query}`, reader);
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(typeof res.json().error, 'string');
    }
  });

  test('503 while performance mode is disabled', async () => {
    await egressServices(r.core).performanceMode.set(false);
    try {
      const res = await inject(STREAM, reader);
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { error: 'performance mode is disabled' });
    } finally {
      await egressServices(r.core).performanceMode.set(true);
    }
  });

  test('switching performance mode off ends open streams', async () => {
    const stream = openStream(port, STREAM, reader.headers);
    assert.equal((await stream.opened).statusCode, 200);
    const ended = new Promise((resolve) => stream.response.on('end', resolve));
    await egressServices(r.core).performanceMode.set(false);
    try {
      await ended;
    } finally {
      await egressServices(r.core).performanceMode.set(true);
    }
  });

  test('without the data plane the stream opens but only carries heartbeats (conntrack is never read)', async () => {
    const { wiretap } = egressServices(r.core);
    assert.equal(wiretap.enabled(), false);
    const stream = openStream(port, STREAM, reader.headers);
    const res = await stream.opened;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    await stream.until(() => stream.text().includes(': open'));
    assert.equal(wiretap.flows.listeners, 0);
    stream.close();
  });

  test('with the data plane on: filtered flow events with hostname and node_id, then flow_end; a ticket opens it', async () => {
    const services = egressServices(r.core);
    // Point the wiretap at a recorded conntrack table the test edits, and say the data plane runs.
    services.wiretap.enabled = () => true;
    services.wiretap.flows = createFlowTracker({
      command: ['sh', '-c', `cat '${table}'`, 'conntrack'],
      intervalMs: 100,
      nodeId: 'gw-test',
      hostnameOf: (ip) => services.dnsCache.hostnameOf(ip),
    });
    services.dnsCache.remember('api.example.com', ['127.0.0.1'], Math.floor(Date.now() / 1000));
    writeFileSync(table, recorded.slice(0, 2).join('\n'));

    const ticket = (await r.app.inject({ method: 'POST', url: '/api/v1/auth/ws-ticket', headers: reader.headers })).json().ticket;
    assert.ok(ticket);
    const stream = openStream(port, `${STREAM}?ticket=${ticket}&proto=tcp&dst_port=8000-8100&dst_cidr=127.0.0.0/8`, {});
    assert.equal((await stream.opened).statusCode, 200);
    await stream.until(() => stream.events().length >= 1);
    const [first] = stream.events();
    assert.equal(first.event, 'flow');
    assert.deepEqual({ ...first.data, last_seen: 0 }, {
      flow_id: '3102302497', proto: 6, src_ip: '127.0.0.1', dst_ip: '127.0.0.1', src_port: 40844, dst_port: 8099,
      packets_out: 4, packets_in: 3, last_seen: 0, hostname: 'api.example.com', node_id: 'gw-test',
    });
    assert.ok(Math.abs(first.data.last_seen - Date.now() / 1000) < 5);

    // Counters move: one more flow event. The udp flow never shows (filtered out).
    writeFileSync(table, [recorded[0].replace('packets=3', 'packets=9'), recorded[1]].join('\n'));
    await stream.until(() => stream.events().length >= 2);
    assert.equal(stream.events()[1].data.packets_in, 9);

    writeFileSync(table, recorded[1]);
    await stream.until(() => stream.events().some((e) => e.event === 'flow_end'));
    const events = stream.events();
    assert.deepEqual(events.map((e) => e.event), ['flow', 'flow', 'flow_end']);
    assert.equal(events[2].data.flow_id, '3102302497');
    assert.ok(events.every((e) => e.data.proto === 6));

    stream.close();
    await waitFor('the closed stream to unsubscribe', () => services.wiretap.flows.listeners === 0);
    assert.equal((await inject(`${STREAM}?ticket=${ticket}`, null)).statusCode, 401, 'the ticket was single-use');
  });
});
