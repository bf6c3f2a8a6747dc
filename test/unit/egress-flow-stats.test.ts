import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFlowStats, parseSnmp } from '../../src/modules/egress/dataplane/flow-stats.js';

const GATEWAY = ['10.20.0.1', '198.51.100.2'];
// A client's flow masqueraded to the gateway's upstream address, one forwarded as is, and the DNS proxy's own flow.
const TABLE = [
  'ipv4     2 tcp      6 431999 ESTABLISHED src=10.20.0.5 dst=203.0.113.10 sport=40844 dport=80 packets=4 bytes=221 src=203.0.113.10 dst=198.51.100.2 sport=80 dport=40844 packets=3 bytes=166 [ASSURED] mark=0 use=1 id=1',
  'ipv4     2 udp      17 29 src=10.20.0.5 dst=203.0.113.20 sport=5000 dport=5001 packets=1 bytes=29 [UNREPLIED] src=203.0.113.20 dst=10.20.0.5 sport=5001 dport=5000 packets=0 bytes=0 mark=0 use=1 id=2',
  'ipv4     2 udp      17 29 src=10.20.0.5 dst=10.20.0.1 sport=33000 dport=53 packets=1 bytes=60 src=10.20.0.1 dst=10.20.0.5 sport=53 dport=33000 packets=1 bytes=90 mark=0 use=1 id=3',
].join('\n');

const SNMP = `Ip: Forwarding DefaultTTL InReceives ReasmFails
Ip: 1 64 1000 7
Icmp: InMsgs OutMsgs OutTimeExcds
Icmp: 3 5 2
`;

test('forwarded flows are counted from conntrack (not the gateway\'s own), NATed ones apart; kernel drop counters from /proc/net/snmp', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-flow-stats-'));
  try {
    writeFileSync(join(dir, 'table.txt'), TABLE);
    writeFileSync(join(dir, 'snmp'), SNMP);
    const stats = createFlowStats({
      // A stand-in for conntrack reading a recorded table; the arguments it appends are ignored by sh.
      command: ['sh', '-c', `cat '${join(dir, 'table.txt')}'`, 'conntrack'],
      localAddresses: () => new Set(GATEWAY),
      snmpPath: join(dir, 'snmp'),
    });
    assert.deepEqual(await stats.conntrack(), { active_flows: 2, active_nat_entries: 1, nat_port_utilization: 1 / 64_512 });
    assert.deepEqual(await stats.kernel(), { ipv4_fragments_dropped: 7, ipv4_ttl_exceeded: 2 });

    const broken = createFlowStats({ command: ['sh', '-c', 'echo "conntrack: permission denied" >&2; exit 1', 'conntrack'], localAddresses: () => new Set() });
    await assert.rejects(broken.conntrack(), /permission denied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/proc/net/snmp parses into counters by protocol and name', () => {
  assert.deepEqual(parseSnmp(SNMP), { Ip: { Forwarding: 1, DefaultTTL: 64, InReceives: 1000, ReasmFails: 7 }, Icmp: { InMsgs: 3, OutMsgs: 5, OutTimeExcds: 2 } });
});
