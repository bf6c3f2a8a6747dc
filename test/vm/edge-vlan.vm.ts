/**
 * Runs inside the VM lab's guest (test/helpers/vm-lab.ts, started by test/e2e/edge-vlan-vm.test.ts), whose kernel
 * has 802.1Q; not a `*.test.ts`, so `npm test` never runs it on the host. The edge lab's topology
 * (test/helpers/edge-lab.ts) in 10.243.0.0/16, with a real `rampart serve` (data plane on) in the router namespace:
 *
 *   lan (client) eth0 10.243.1.10, eth0.42 10.243.42.2 (tag 42, made here) --+
 *   srv (untagged neighbour) eth0 10.243.1.20                                 +-- sw: bridge br0, counting frames
 *   edge (router) lan0 10.243.1.1, lan0.42 10.243.42.1 (made by Rampart) ----+       tagged 42 with nft
 *
 * A VLAN made through the API and reload carries ping and TCP to a tagged client, the switch sees the frames carry
 * tag 42, the untagged side cannot reach the VLAN, and firewall rules naming the VLAN interface pass and block.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminApi, EdgeLab, type Answer } from '../helpers/edge-lab.js';
import { waitFor } from '../helpers/wait.js';

const EDGE_LAN = '10.243.1.1';
const EDGE_VLAN = '10.243.42.1';
const CLIENT_VLAN = '10.243.42.2';
const VLAN = 'lan0.42';

describe('edge VLANs on a kernel with 802.1Q', { timeout: 900_000 }, () => {
  let lab: EdgeLab;
  let api: (method: string, path: string, body?: unknown) => Promise<Answer>;
  let context: () => string;
  let vlanId: string;

  before(async () => {
    lab = EdgeLab.create({ lanClient: '10.243.1.10', lanServer: '10.243.1.20', edgeLan: EDGE_LAN, edgeWan: '10.243.2.1', wanHosts: ['10.243.2.2'] });
    // The switch counts what crosses it: frames tagged 42, and untagged IPv4 and ARP frames.
    lab.exec('sw', 'nft', ['add table bridge vlan_watch; add chain bridge vlan_watch passing { type filter hook forward priority 0; policy accept; }; ' +
      'add rule bridge vlan_watch passing vlan id 42 counter comment "tag42"; add rule bridge vlan_watch passing ether type { ip, arp } counter comment "untagged"']);
    const dir = mkdtempSync(join(tmpdir(), 'rampart-vlan-vm-'));
    const socket = join(dir, 'rampart.sock');
    const rampart = await lab.startRampart({ dataDir: join(dir, 'data'), socket, startTimeoutMs: 600_000 });
    api = await adminApi(socket, join(dir, 'data'));
    context = () => `${rampart.context()}\n--- ruleset:\n${lab.ruleset()}`;
    await lab.serveHttp('edge', '0.0.0.0', 8080);
  });
  after(async () => {
    await lab?.destroy();
  });

  const ok = async (answer: Promise<Answer>, status = 200) => {
    const res = await answer;
    assert.equal(res.status, status, `${res.body}\n${context()}`);
    return res.json();
  };
  const ping = async (role: 'lan' | 'srv', to: string) => (await lab.run(role, 'ping', ['-c1', '-W1', to])).status === 0;
  const counters = () => {
    const rules = JSON.parse(lab.exec('sw', 'nft', ['-j', 'list', 'table', 'bridge', 'vlan_watch']).stdout).nftables as Array<{ rule?: { comment?: string; expr: Array<{ counter?: { packets: number } }> } }>;
    const count = (comment: string) => rules.find((r) => r.rule?.comment === comment)!.rule!.expr.find((e) => e.counter)!.counter!.packets;
    return { tagged: count('tag42'), untagged: count('untagged') };
  };

  test('a VLAN created through the API is an 802.1Q device on the LAN parent after reload', async () => {
    const created = await ok(api('POST', '/api/v1/vlans', { vlan_id: 42, parent: 'lan0', ipv4_mode: 'static', ipv4_address: `${EDGE_VLAN}/24` }), 201);
    vlanId = created.data.id;
    assert.notEqual(lab.exec('edge', 'ip', ['link', 'show', VLAN], true).status, 0, 'pending until reload');
    const reload = await ok(api('POST', '/api/v1/reload'));
    assert.ok(reload.steps.some((s: { step: string; ok: boolean }) => s.step === 'vlans' && s.ok), JSON.stringify(reload));
    const link = lab.exec('edge', 'ip', ['-d', 'addr', 'show', 'dev', VLAN]).stdout;
    assert.match(link, /lan0\.42@lan0: .*UP/);
    assert.match(link, /vlan protocol 802\.1Q id 42 /);
    assert.match(link, /inet 10\.243\.42\.1\/24 /);
    const listed = (await ok(api('GET', '/api/v1/interfaces'))).data.find((i: { name: string }) => i.name === VLAN);
    assert.deepEqual({ is_vlan: listed?.is_vlan, vlan_id: listed?.vlan_id, vlan_parent: listed?.vlan_parent, ipv4: listed?.ipv4 },
      { is_vlan: true, vlan_id: 42, vlan_parent: 'lan0', ipv4: EDGE_VLAN });
  });

  test('the VLAN carries traffic tagged 42 to a client behind the switch, and the untagged side cannot reach it', async () => {
    lab.exec('lan', 'ip', ['link', 'add', 'link', 'eth0', 'name', 'eth0.42', 'type', 'vlan', 'id', '42']);
    lab.exec('lan', 'ip', ['addr', 'add', `${CLIENT_VLAN}/24`, 'dev', 'eth0.42']);
    lab.exec('lan', 'ip', ['link', 'set', 'eth0.42', 'up']);
    const before = counters();
    const stats = async () => (await ok(api('GET', `/api/v1/interfaces/${VLAN}/stats`))).data as { packets_in: number; packets_out: number };
    const edgeBefore = await stats();
    await waitFor('a ping over the VLAN', () => ping('lan', EDGE_VLAN), 60_000);
    for (let i = 0; i < 3; i++) assert.ok(await ping('lan', EDGE_VLAN), 'each ping over the VLAN answers');
    const after = counters();
    // At least four echo requests and four replies crossed the switch tagged 42 (ARP too).
    assert.ok(after.tagged - before.tagged >= 8, `tagged frames at the switch: ${JSON.stringify({ before, after })}`);
    const edgeAfter = await stats();
    assert.ok(edgeAfter.packets_in - edgeBefore.packets_in >= 4 && edgeAfter.packets_out - edgeBefore.packets_out >= 4,
      `the router's ${VLAN} counted the pings: ${JSON.stringify({ edgeBefore, edgeAfter })}`);

    // An untagged host on the same switch with an address in the VLAN's subnet: its frames reach lan0 untagged,
    // the answers leave on lan0.42 tagged, so nothing comes back.
    lab.exec('srv', 'ip', ['addr', 'add', '10.243.42.3/24', 'dev', 'eth0']);
    const untaggedBefore = counters().untagged;
    assert.equal(await ping('srv', EDGE_VLAN), false, 'the untagged side does not reach the VLAN address');
    assert.ok(counters().untagged > untaggedBefore, 'its attempt crossed the switch untagged');
    assert.equal(await ping('srv', CLIENT_VLAN), false, 'nor the tagged client');
    assert.ok(await ping('srv', EDGE_LAN), 'while it reaches the untagged LAN address');
  });

  test('firewall rules on the VLAN interface pass and block its traffic, and only its traffic', async () => {
    const http = (to: string) => lab.httpGet('lan', to, 8080);
    assert.equal(await http(EDGE_VLAN), null, 'default deny inbound on the VLAN');
    const pass = (await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: VLAN, protocol: 'tcp', dst_port_start: 8080, label: 'vlan web' }), 201)).data;
    await ok(api('POST', '/api/v1/reload'));
    assert.match(lab.ruleset(), /iifname "lan0\.42" .*tcp dport 8080/);
    assert.equal(await http(EDGE_VLAN), `hello from ${EDGE_VLAN} to ${CLIENT_VLAN}`, context());
    assert.equal(await http(EDGE_LAN), null, 'the same port over the untagged parent lan0 stays closed: the rule names the VLAN');

    const block = (await ok(api('POST', '/api/v1/rules', { action: 'block_drop', direction: 'in', interface: VLAN, protocol: 'tcp', dst_port_start: 8080, priority: 50 }), 201)).data;
    await ok(api('POST', '/api/v1/reload'));
    assert.equal(await http(EDGE_VLAN), null, 'a block on the VLAN above the pass drops it');
    assert.ok(await ping('lan', EDGE_VLAN), 'the VLAN itself still carries ping');
    await ok(api('PUT', '/api/v1/rules/reorder', { rule_ids: [pass.id, block.id] }));
    await ok(api('POST', '/api/v1/reload'));
    assert.equal(await http(EDGE_VLAN), `hello from ${EDGE_VLAN} to ${CLIENT_VLAN}`, 'reordered: the pass comes first');
  });

  test('deleting the VLAN removes the device Rampart made on reload', async () => {
    await ok(api('DELETE', `/api/v1/vlans/${vlanId}`));
    await ok(api('POST', '/api/v1/reload'));
    assert.notEqual(lab.exec('edge', 'ip', ['link', 'show', VLAN], true).status, 0, 'lan0.42 is gone');
    assert.equal(lab.exec('edge', 'ip', ['link', 'show', 'lan0'], true).status, 0, 'its parent stays');
    assert.equal(await ping('lan', EDGE_VLAN), false);
  });
});
