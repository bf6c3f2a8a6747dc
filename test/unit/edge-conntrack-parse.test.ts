import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../src/modules/edge/network/host.js';

test('conntrack extended lines: original direction out, reply direction in; TCP state, UDP without one', () => {
  const tcp = parseFlow('ipv4     2 tcp      6 431999 ESTABLISHED src=10.242.1.2 dst=10.242.2.2 sport=40000 dport=8443 packets=5 bytes=300 src=10.242.2.2 dst=10.242.1.2 sport=8443 dport=40000 packets=4 bytes=900 [ASSURED] mark=0 use=1 id=77');
  assert.deepEqual(tcp, {
    id: 77, protocol: 'tcp', src_addr: '10.242.1.2', src_port: 40000, dst_addr: '10.242.2.2', dst_port: 8443, state: 'ESTABLISHED',
    packets_out: 5, bytes_out: 300, packets_in: 4, bytes_in: 900, age_secs: 0,
  });
  const udp = parseFlow('ipv4     2 udp      17 29 src=10.242.1.2 dst=10.242.2.2 sport=5353 dport=53 [UNREPLIED] src=10.242.2.2 dst=10.242.1.2 sport=53 dport=5353 mark=0 use=1 id=9');
  assert.equal(udp?.state, 'ACTIVE');
  assert.equal(udp?.dst_port, 53);
  assert.equal(parseFlow(''), null);
  assert.equal(parseFlow('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.'), null);
});
