import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConntrack } from '../../src/modules/egress/wiretap/conntrack-parse.js';
import { compileFlowFilter } from '../../src/modules/egress/wiretap/flow-filter.js';
import { createFlowTracker, type FlowEvent, type WiretapEvent } from '../../src/modules/egress/wiretap/flow-tracker.js';

const recorded = (name: string) => readFileSync(new URL(`../fixtures/conntrack/${name}`, import.meta.url), 'utf8');

describe('conntrack output parsing', () => {
  test('recorded `conntrack -L -o extended,id` output: tuples, counters, ids; ICMP echo ids are not taken for conntrack ids', () => {
    const flows = parseConntrack(recorded('extended-id.txt'));
    assert.equal(flows.length, 6);
    assert.deepEqual(flows[0], { flow_id: '3102302497', proto: 6, src_ip: '127.0.0.1', dst_ip: '127.0.0.1', src_port: 40844, dst_port: 8099, packets_out: 4, packets_in: 3 });
    assert.deepEqual(flows[1], { flow_id: '2074795674', proto: 17, src_ip: '10.99.0.1', dst_ip: '10.99.0.1', src_port: 48833, dst_port: 5353, packets_out: 1, packets_in: 0 });
    assert.deepEqual(flows[2], { flow_id: '2107603408', proto: 47, src_ip: '10.99.0.1', dst_ip: '10.99.0.1', src_port: null, dst_port: null, packets_out: 1, packets_in: 0 });
    assert.deepEqual(flows[3], { flow_id: '3438312285', proto: 58, src_ip: '::1', dst_ip: '::1', src_port: null, dst_port: null, packets_out: 1, packets_in: 1 });
    assert.equal(flows[4].flow_id, '231300894');
    assert.equal(flows[4].proto, 1);
    assert.deepEqual([flows[5].src_ip, flows[5].dst_port, flows[5].packets_out, flows[5].packets_in], ['::1', 8099, 4, 3]);
  });

  test('without accounting or ids: zero counters and a tuple id; a NATed reply does not replace the original destination', () => {
    const [tcp, udp] = parseConntrack(recorded('no-accounting.txt'));
    assert.deepEqual(tcp, { flow_id: 'tcp/10.20.0.5/53124/203.0.113.20/443', proto: 6, src_ip: '10.20.0.5', dst_ip: '203.0.113.20', src_port: 53124, dst_port: 443, packets_out: 0, packets_in: 0 });
    assert.equal(udp.dst_port, 53);
  });

  test('junk, blank lines and the summary line are skipped', () => {
    assert.deepEqual(parseConntrack('\nconntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\nnot a flow\n'), []);
  });
});

const flow = (over: Partial<FlowEvent>): FlowEvent => ({
  flow_id: '1', proto: 6, src_ip: '10.20.0.5', dst_ip: '203.0.113.20', src_port: 53124, dst_port: 443,
  packets_in: 1, packets_out: 1, last_seen: 0, hostname: 'api.example.com', node_id: 'n', ...over,
});

describe('wiretap filters', () => {
  test('values of one parameter are alternatives, parameters combine with AND', () => {
    const match = compileFlowFilter({ src_cidr: ['10.20.0.0/16', '192.168.1.7'], dst_port: ['80', '440-450'], proto: 'TCP' });
    assert.equal(match(flow({})), true);
    assert.equal(match(flow({ src_ip: '192.168.1.7' })), true);
    assert.equal(match(flow({ src_ip: '192.168.1.8' })), false);
    assert.equal(match(flow({ dst_port: 451 })), false);
    assert.equal(match(flow({ proto: 17 })), false);
    assert.equal(match(flow({ dst_port: null, proto: 6 })), false);
  });

  test('hostname exact (case-insensitive) or *.suffix; protocol numbers; IPv6 CIDRs', () => {
    assert.equal(compileFlowFilter({ hostname: 'API.example.com' })(flow({})), true);
    assert.equal(compileFlowFilter({ hostname: 'example.com' })(flow({})), false);
    assert.equal(compileFlowFilter({ hostname: '*.example.com' })(flow({})), true);
    assert.equal(compileFlowFilter({ hostname: '*.example.com' })(flow({ hostname: null })), false);
    assert.equal(compileFlowFilter({ proto: '6' })(flow({})), true);
    assert.equal(compileFlowFilter({ proto: '58' })(flow({ proto: 58 })), true);
    assert.equal(compileFlowFilter({ proto: 'icmpv6' })(flow({ proto: 58 })), true);
    assert.equal(compileFlowFilter({ proto: 'udp' })(flow({})), false);
    assert.equal(compileFlowFilter({ proto: ['udp', 'any'] })(flow({})), true, 'any matches every protocol');
    assert.equal(compileFlowFilter({ dst_cidr: 'fd00::/8' })(flow({ dst_ip: 'fd00::12' })), true);
    assert.equal(compileFlowFilter({ dst_cidr: 'fd00::/8' })(flow({})), false);
    assert.equal(compileFlowFilter({})(flow({})), true);
  });

  test('malformed values are 400s naming the parameter', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ src_cidr: '10.0.0.0/33' }, /src_cidr/],
      [{ dst_cidr: 'example.com' }, /dst_cidr/],
      [{ src_port: '70000' }, /src_port/],
      [{ dst_port: '2000-1000' }, /dst_port/],
      [{ dst_port: 'http' }, /dst_port/],
      [{ proto: '300' }, /proto/],
      [{ proto: 't c p' }, /proto/],
      [{ proto: 'carrier-pigeon' }, /proto/],
      [{ hostname: 'bad host' }, /hostname/],
    ];
    for (const [query, message] of bad) {
      assert.throws(() => compileFlowFilter(query), (err: any) => err.status === 400 && message.test(err.message), JSON.stringify(query));
    }
  });
});

describe('flow tracker', () => {
  test('emits flow for new or moved flows (once per poll), flow_end for vanished ones, with hostname and node id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-wiretap-'));
    const table = join(dir, 'table.txt');
    const lines = recorded('extended-id.txt').split('\n');
    let seconds = 1_760_000_000;
    const tracker = createFlowTracker({
      // A stand-in for conntrack reading a recorded table; the tracker appends `-L -o extended,id`, which sh ignores.
      command: ['sh', '-c', `cat '${table}'`, 'conntrack'],
      intervalMs: 60_000,
      nodeId: 'gw-1',
      hostnameOf: (ip) => (ip === '10.99.0.1' ? 'mdns.example.com' : null),
      now: () => new Date(seconds * 1000),
    });
    const events: WiretapEvent[] = [];
    try {
      writeFileSync(table, lines.slice(0, 2).join('\n'));
      const unsubscribe = tracker.subscribe((e) => events.push(e));
      await tracker.poll();
      assert.deepEqual(events.map((e) => [e.type, e.flow.flow_id]), [['flow', '3102302497'], ['flow', '2074795674']]);
      assert.deepEqual(events[1].flow, { flow_id: '2074795674', proto: 17, src_ip: '10.99.0.1', dst_ip: '10.99.0.1', src_port: 48833, dst_port: 5353, packets_out: 1, packets_in: 0, last_seen: seconds, hostname: 'mdns.example.com', node_id: 'gw-1' });

      events.length = 0;
      seconds += 1;
      await tracker.poll();
      assert.equal(events.length, 0, 'unchanged counters: no event');

      seconds += 1;
      writeFileSync(table, lines[1].replace('packets=0', 'packets=2'));
      await tracker.poll();
      assert.deepEqual(events.map((e) => [e.type, e.flow.flow_id, e.flow.last_seen]), [['flow', '2074795674', seconds], ['flow_end', '3102302497', seconds - 2]]);
      assert.equal(events[0].flow.packets_in, 2);
      unsubscribe();
      assert.equal(tracker.listeners, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
