import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { RampartError } from '../../src/core/errors.js';
import { buildNodeConfig, renderConfig } from '../../src/modules/overlay/config/build-config.js';
import type { GroupFirewallInput, NodeConfigInput, PeerNodeInput } from '../../src/modules/overlay/config/config.types.js';
import { parsePortRange, validateInboundRule } from '../../src/modules/overlay/config/firewall-validation.js';

const lighthouse: PeerNodeInput = { ip: '10.42.0.1', is_lighthouse: true, is_relay: false, public_endpoint: '192.0.2.1:4242' };
const relay: PeerNodeInput = { ip: '10.42.0.10', is_lighthouse: false, is_relay: true, public_endpoint: 'relay.example.net:4243' };
const hiddenLighthouse: PeerNodeInput = { ip: '10.42.0.9', is_lighthouse: true, is_relay: false, public_endpoint: null };
const plainWithEndpoint: PeerNodeInput = { ip: '10.42.0.20', is_lighthouse: false, is_relay: false, public_endpoint: '192.0.2.20:4242' };
const self: PeerNodeInput = { ip: '10.42.0.5', is_lighthouse: false, is_relay: false, public_endpoint: null };

function input(overrides: Partial<NodeConfigInput> = {}, node: Partial<NodeConfigInput['node']> = {}): NodeConfigInput {
  return {
    node: { ...self, groups: ['web'], ...node },
    peers: [lighthouse, relay, hiddenLighthouse, plainWithEndpoint, self],
    group_firewalls: [],
    pki: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
    blocklist: [],
    ...overrides,
  };
}

const rejects = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof RampartError && err.code === 'validation_failed' && message.test(err.message));

test('static_host_map holds the lighthouses and relays that have a public endpoint, and nothing else', () => {
  const config = buildNodeConfig(input());
  assert.deepEqual(config.static_host_map, {
    '10.42.0.1': ['192.0.2.1:4242'],
    '10.42.0.10': ['relay.example.net:4243'],
  });
});

test('a node queries every lighthouse, in numeric IP order; a lighthouse queries none', () => {
  assert.deepEqual(buildNodeConfig(input()).lighthouse, { am_lighthouse: false, interval: 60, hosts: ['10.42.0.1', '10.42.0.9'] });
  const asLighthouse = buildNodeConfig(input({}, { is_lighthouse: true, lighthouse_options: { interval_seconds: 30 } }));
  assert.deepEqual(asLighthouse.lighthouse, { am_lighthouse: true, interval: 30, hosts: [] });
});

test('relays: a node uses the relays of the network; a relay lists none, and never itself', () => {
  assert.deepEqual(buildNodeConfig(input()).relay, { am_relay: false, use_relays: true, relays: ['10.42.0.10'] });
  const asRelay = buildNodeConfig(input({}, { ip: relay.ip, is_relay: true }));
  assert.deepEqual(asRelay.relay, { am_relay: true, use_relays: true, relays: [] });
  assert.deepEqual(Object.keys(asRelay.static_host_map), ['10.42.0.1']);
});

test('listen, tun, punchy and logging: defaults, overridden only by options that are set', () => {
  const plain = buildNodeConfig(input());
  assert.deepEqual(plain.listen, { host: '0.0.0.0', port: 4242 });
  assert.deepEqual(plain.tun, { disabled: false, dev: 'nebula1', mtu: 1300 });
  assert.deepEqual(plain.punchy, { punch: true, respond: true });
  assert.deepEqual(plain.logging, { level: 'info', format: 'text' });

  const tuned = buildNodeConfig(input({}, {
    tun_device: 'nebula7',
    listen_port: 4300,
    punchy_options: { respond: undefined, delay: '2s' },
    logging_options: { level: 'debug', format: null as never },
  }));
  assert.deepEqual(tuned.listen, { host: '0.0.0.0', port: 4300 });
  assert.equal(tuned.tun.dev, 'nebula7');
  assert.deepEqual(tuned.punchy, { punch: true, respond: true, delay: '2s' });
  assert.deepEqual(tuned.logging, { level: 'debug', format: 'text' });
});

const firewalls: GroupFirewallInput[] = [
  { group_name: 'web', inbound_rules: [
    { allowed_group: 'lb', protocol: 'tcp', port_range: '443' },
    { allowed_group: 'ops', protocol: 'tcp', port_range: '8000-8100' },
  ] },
  { group_name: 'metrics', inbound_rules: [
    { allowed_group: 'prometheus', protocol: 'tcp', port_range: '9100,9200-9300' },
    { allowed_group: 'any', protocol: 'icmp', port_range: 'any' },
    { allowed_group: 'lb', protocol: 'tcp', port_range: '443-443', description: 'same as in web' },
  ] },
  { group_name: 'db', inbound_rules: [{ allowed_group: 'web', protocol: 'tcp', port_range: '5432' }] },
];

test('inbound rules come from ALL the node\'s groups, with native ranges, deduplicated', () => {
  const config = buildNodeConfig(input({ group_firewalls: firewalls }, { groups: ['web', 'metrics'] }));
  assert.equal(config.firewall.inbound_action, 'drop');
  assert.deepEqual(config.firewall.outbound, [{ port: 'any', proto: 'any', host: 'any' }]);
  assert.deepEqual(config.firewall.inbound, [
    { port: 'any', proto: 'icmp', host: 'any' },
    { port: 443, proto: 'tcp', group: 'lb' },
    { port: '8000-8100', proto: 'tcp', group: 'ops' },
    { port: 9100, proto: 'tcp', group: 'prometheus' },
    { port: '9200-9300', proto: 'tcp', group: 'prometheus' },
  ]);
});

test('no firewall config for any of the node\'s groups: allow-any inbound; an explicit empty rule list: deny all', () => {
  const unconfigured = buildNodeConfig(input({ group_firewalls: firewalls }, { groups: ['cache'] }));
  assert.deepEqual(unconfigured.firewall.inbound, [{ port: 'any', proto: 'any', host: 'any' }]);
  const locked = buildNodeConfig(input({ group_firewalls: [{ group_name: 'cache', inbound_rules: [] }] }, { groups: ['cache'] }));
  assert.deepEqual(locked.firewall.inbound, []);
  assert.equal(locked.firewall.inbound_action, 'drop');
});

test('pki: inline PEMs end in one newline; the key only when present; blocklist sorted, lowercase, unique', () => {
  const config = buildNodeConfig(input({ pki: { ca: 'CA\n\n', cert: 'CERT', key: 'KEY' }, blocklist: ['bb', 'AA', 'aa'] }));
  assert.deepEqual(config.pki, { ca: 'CA\n', cert: 'CERT\n', key: 'KEY\n', blocklist: ['aa', 'bb'] });
  const withoutKey = buildNodeConfig(input({ pki: { ca: 'CA', cert: 'CERT', key: null } }));
  assert.equal('key' in withoutKey.pki, false);
  assert.equal(/^\s+key:/m.test(renderConfig(withoutKey)), false);
});

test('the YAML is identical whatever the order of peers, groups, rules, fingerprints and option keys', () => {
  const a = input(
    { group_firewalls: firewalls, blocklist: ['b1', 'a1'] },
    { groups: ['web', 'metrics'], logging_options: { level: 'debug', format: 'json' } },
  );
  const b = input(
    {
      peers: [...a.peers].reverse(),
      group_firewalls: [...firewalls].reverse().map((gf) => ({ ...gf, inbound_rules: [...gf.inbound_rules].reverse() })),
      blocklist: ['a1', 'b1'],
    },
    { groups: ['metrics', 'web'], logging_options: { format: 'json', level: 'debug' } },
  );
  assert.equal(renderConfig(buildNodeConfig(a)), renderConfig(buildNodeConfig(b)));
});

test('rendered YAML keeps YAML 1.1 look-alikes (a group named yes) strings for nebula\'s go-yaml', () => {
  const fw: GroupFirewallInput[] = [{ group_name: 'web', inbound_rules: [{ allowed_group: 'yes', protocol: 'udp', port_range: '53' }] }];
  const yaml = renderConfig(buildNodeConfig(input({ group_firewalls: fw })));
  assert.deepEqual(parse(yaml, { version: '1.1' }).firewall.inbound, [{ group: 'yes', port: 53, proto: 'udp' }]);
  assert.deepEqual(parse(yaml, { version: '1.1' }).static_host_map['10.42.0.1'], ['192.0.2.1:4242']);
});

test('port_range: any, a port, a range, a comma list', () => {
  assert.equal(parsePortRange('any'), null);
  assert.equal(parsePortRange(' ANY '), null);
  assert.deepEqual(parsePortRange('443'), [{ start: 443, end: 443 }]);
  assert.deepEqual(parsePortRange('1-65535'), [{ start: 1, end: 65535 }]);
  assert.deepEqual(parsePortRange('22, 80-88'), [{ start: 22, end: 22 }, { start: 80, end: 88 }]);
});

test('port_range, protocol and allowed_group errors say what is wrong', () => {
  rejects(() => parsePortRange('0'), /port 0 is outside 1-65535/);
  rejects(() => parsePortRange('65536'), /port 65536 is outside 1-65535/);
  rejects(() => parsePortRange('9000-8000'), /range start 9000 is greater than its end 8000/);
  rejects(() => parsePortRange('http'), /must be 'any', a port such as '443', or a range such as '8000-8100'/);
  rejects(() => parsePortRange('80,'), /must be 'any'/);
  rejects(() => parsePortRange(''), /must be 'any'/);
  const ok = { allowed_group: 'web', protocol: 'tcp' as const, port_range: '80' };
  rejects(() => validateInboundRule({ ...ok, protocol: 'sctp' as never }), /protocol 'sctp' must be one of any, tcp, udp, icmp/);
  rejects(() => validateInboundRule({ ...ok, allowed_group: ' ' }), /allowed_group must name a group/);
  rejects(() => validateInboundRule({ ...ok, protocol: 'icmp' }), /icmp has no ports/);
  assert.deepEqual(validateInboundRule({ ...ok, protocol: 'TCP' as never }), { allowed_group: 'web', protocol: 'tcp', spans: [{ start: 80, end: 80 }] });
});

test('a stored rule that is invalid fails the build instead of producing a config nebula refuses', () => {
  const fw: GroupFirewallInput[] = [{ group_name: 'web', inbound_rules: [{ allowed_group: 'db', protocol: 'tcp', port_range: '90-80' }] }];
  rejects(() => buildNodeConfig(input({ group_firewalls: fw })), /range start 90 is greater than its end 80/);
});

test('the sectioned render is byte for byte the YAML library\'s render of the whole config, remembered sections included', () => {
  const whole = (config: ReturnType<typeof buildNodeConfig>) =>
    stringify(config, { version: '1.1', sortMapEntries: true, aliasDuplicateObjects: false });
  const cases = [
    input(),
    input({ group_firewalls: firewalls, blocklist: ['AA', 'bb'] }, { groups: ['web', 'metrics'] }),
    input({ group_firewalls: firewalls }, { is_lighthouse: true, lighthouse_options: { interval_seconds: 30 }, logging_options: { level: 'debug' } }),
    input({ pki: { ca: 'CA', cert: 'CERT', key: null } }, { is_relay: true, punchy_options: { delay: '1s', respond: false }, tun_device: 'yes' }),
    input({ peers: [] }, { groups: ['on'], lighthouse_options: { interval_seconds: -0 } }),
  ];
  // Twice over: the second round renders the shared sections from memory.
  for (let round = 0; round < 2; round++) {
    for (const c of cases) {
      const config = buildNodeConfig(c);
      assert.equal(renderConfig(config), whole(config));
    }
  }
  // Sections that differ only where JSON cannot tell (0 and -0) are not confused.
  const zero = renderConfig(buildNodeConfig(input({}, { lighthouse_options: { interval_seconds: 0 } })));
  const minusZero = renderConfig(buildNodeConfig(input({}, { lighthouse_options: { interval_seconds: -0 } })));
  assert.notEqual(zero, minusZero);
});
