/**
 * The wiretap's flow tracker on a real conntrack table: two network namespaces (client, server) on the lab
 * underlay, a real TCP connection between them, and the tracker reading the client namespace's conntrack through
 * its command seam (`ip netns exec <ns> conntrack`). Nothing touches the host's own netfilter state.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createFlowTracker, type WiretapEvent } from '../../src/modules/egress/wiretap/flow-tracker.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { NetnsLab } from '../helpers/netns.js';

const skip = skipUnlessPrograms('ip', 'conntrack', 'nft', 'sysctl');
let lab: NetnsLab | undefined;

const SERVER = `
const net = require('node:net');
net.createServer((s) => { s.on('data', (d) => s.write('pong:' + d)); s.on('error', () => {}); }).listen(8080, '0.0.0.0', () => console.log('listening'));
`;
// Connects, exchanges a few messages, idles until SIGTERM, then resets the connection.
const CLIENT = `
const net = require('node:net');
const s = net.connect(8080, process.argv[1], () => { let n = 0; const t = setInterval(() => { s.write('ping'); if (++n === 3) { clearInterval(t); console.log('sent'); } }, 50); });
s.on('data', () => {});
process.on('SIGTERM', () => { s.resetAndDestroy(); setTimeout(() => process.exit(0), 100); });
`;

before(() => {
  if (skip) return;
  lab = NetnsLab.create(['client', 'server']);
  for (const host of ['client', 'server']) {
    // conntrack hooks register in a namespace only once a rule needs them; accounting gives packet counters;
    // a short close timeout makes the reset flow leave the table (and flow_end fire) within the test.
    const nft = lab.exec(host, 'nft', ['add table inet rampart_wiretap_test; add chain inet rampart_wiretap_test out { type filter hook output priority 0; }; add rule inet rampart_wiretap_test out ct state new counter'], true);
    assert.equal(nft.status, 0, nft.output);
    for (const setting of ['net.netfilter.nf_conntrack_acct=1', 'net.netfilter.nf_conntrack_tcp_timeout_close=1']) {
      const res = lab.exec(host, 'sysctl', ['-qw', setting], true);
      assert.equal(res.status, 0, res.output);
    }
  }
});
after(async () => {
  await lab?.destroy();
  if (lab) assert.deepEqual(lab.remaining(), []);
});

test('a real TCP connection in a namespace shows up as flow events with counters, then flow_end once it is gone', { skip, timeout: 60_000 }, async () => {
  requirePrograms('ip', 'conntrack', 'nft', 'sysctl');
  const client = lab!.host('client');
  const server = lab!.host('server');
  const tracker = createFlowTracker({
    command: ['ip', 'netns', 'exec', client.netns, 'conntrack'],
    intervalMs: 200,
    nodeId: 'gw-e2e',
    hostnameOf: (ip) => (ip === server.address ? 'server.lab.test' : null),
  });
  const events: WiretapEvent[] = [];
  const ours = () => events.filter((e) => e.flow.dst_ip === server.address && e.flow.dst_port === 8080 && e.flow.proto === 6);
  const until = async (what: string, check: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events, null, 1)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // True once no event of ours arrived in the last `ms` (checked as `until` polls).
  let lastCount = -1;
  let lastChange = Date.now();
  const quietSince = (ms: number) => {
    if (ours().length !== lastCount) [lastCount, lastChange] = [ours().length, Date.now()];
    return Date.now() - lastChange >= ms;
  };

  const listener = lab!.spawn('server', process.execPath, ['-e', SERVER]);
  await until('the server to listen', () => listener.stdout().includes('listening'));
  const unsubscribe = tracker.subscribe((e) => events.push(e));
  try {
    const conn = lab!.spawn('client', process.execPath, ['-e', CLIENT, server.address]);
    await until('the client to send', () => conn.stdout().includes('sent'));
    await until('a flow event with both directions counted', () => ours().some((e) => e.type === 'flow' && e.flow.packets_in >= 3 && e.flow.packets_out >= 4));
    const flow = ours().find((e) => e.type === 'flow')!.flow;
    assert.equal(flow.src_ip, client.address);
    assert.ok(flow.src_port! > 1024);
    assert.equal(flow.hostname, 'server.lab.test');
    assert.equal(flow.node_id, 'gw-e2e');
    assert.match(flow.flow_id, /^\d+$/, "conntrack's own id");
    assert.ok(ours().every((e) => e.flow.flow_id === flow.flow_id), 'one connection, one flow id');

    // Idle: once the last delayed ACKs are counted, a whole quiet window passes without a flow event (a tracker
    // that reported idle flows on every poll would never give one). How long the ACKs take depends on the machine's
    // load, so look for the quiet window rather than guess when it starts.
    await until('a quiet window without flow events while the flow is idle', () => quietSince(700));

    conn.proc.kill('SIGTERM');
    await until('flow_end', () => ours().some((e) => e.type === 'flow_end'));
    assert.equal(ours().filter((e) => e.type === 'flow_end').length, 1);
  } finally {
    unsubscribe();
  }
});
