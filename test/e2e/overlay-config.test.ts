/**
 * Generated configs against Debian's nebula: `nebula -test` loads the PKI, the firewall, the lighthouse and relay
 * settings and exits without opening a tun device, so it needs no root and no namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildNodeConfig, renderConfig } from '../../src/modules/overlay/config/build-config.js';
import type { GroupFirewallInput, PeerNodeInput } from '../../src/modules/overlay/config/config.types.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';

const skip = skipUnlessPrograms('nebula', 'nebula-cert');
let dir = '';

function run(program: string, args: string[]) {
  const result = spawnSync(program, args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function mustRun(program: string, args: string[]): string {
  const { status, output } = run(program, args);
  assert.equal(status, 0, `${program} ${args.join(' ')} failed:\n${output}`);
  return output;
}

function signHost(name: string, ip: string, groups: string) {
  mustRun('nebula-cert', ['sign', '-name', name, '-ip', ip, '-groups', groups, '-out-crt', `${name}.crt`, '-out-key', `${name}.key`]);
}

const read = (file: string) => readFileSync(join(dir, file), 'utf8');
const pkiOf = (name: string, key = name) => ({ ca: read('ca.crt'), cert: read(`${name}.crt`), key: read(`${key}.key`) });

/** Writes the YAML and runs `nebula -test` on it. */
function nebulaTest(name: string, yaml: string) {
  writeFileSync(join(dir, `${name}.yml`), yaml);
  return run('nebula', ['-test', '-config', join(dir, `${name}.yml`)]);
}

const lighthouse: PeerNodeInput = { ip: '10.42.0.1', is_lighthouse: true, is_relay: true, public_endpoint: '192.0.2.1:4242' };
const web: PeerNodeInput = { ip: '10.42.0.2', is_lighthouse: false, is_relay: false, public_endpoint: null };
const firewalls: GroupFirewallInput[] = [
  { group_name: 'web', inbound_rules: [{ allowed_group: 'ops', protocol: 'tcp', port_range: '8000-8100' }] },
  { group_name: 'metrics', inbound_rules: [{ allowed_group: 'any', protocol: 'icmp', port_range: 'any' }] },
];
let revokedFingerprint = '';

const webYaml = (key = 'web') =>
  renderConfig(buildNodeConfig({
    node: { ...web, groups: ['web', 'metrics'], tun_device: 'rampart-web' },
    peers: [lighthouse, web],
    group_firewalls: firewalls,
    pki: pkiOf('web', key),
    blocklist: [revokedFingerprint],
  }));

before(() => {
  if (skip) return;
  requirePrograms('nebula', 'nebula-cert');
  dir = mkdtempSync(join(tmpdir(), 'rampart-nebula-config-'));
  mustRun('nebula-cert', ['ca', '-name', 'rampart-test', '-duration', '1h']);
  signHost('lighthouse', '10.42.0.1/24', 'lighthouse');
  signHost('web', '10.42.0.2/24', 'web,metrics');
  signHost('revoked', '10.42.0.3/24', 'web');
  revokedFingerprint = JSON.parse(mustRun('nebula-cert', ['print', '-json', '-path', 'revoked.crt'])).fingerprint;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('nebula accepts a lighthouse config: allow-any inbound, since its group has no firewall config', { skip }, () => {
  requirePrograms('nebula', 'nebula-cert');
  const yaml = renderConfig(buildNodeConfig({
    node: { ...lighthouse, groups: ['lighthouse'], tun_device: 'rampart-lh' },
    peers: [lighthouse, web],
    group_firewalls: firewalls,
    pki: pkiOf('lighthouse'),
    blocklist: [],
  }));
  const { status, output } = nebulaTest('lighthouse', yaml);
  assert.equal(status, 0, output);
  assert.match(output, /Firewall rule added.*direction:incoming endPort:0 groups:\[\] host:any ip: proto:0 startPort:0/);
});

test('nebula accepts a node config: rules of all its groups with a native range, its relay, its blocklist', { skip }, () => {
  requirePrograms('nebula', 'nebula-cert');
  const { status, output } = nebulaTest('web', webYaml());
  assert.equal(status, 0, output);
  assert.match(output, /direction:incoming endPort:8100 groups:\[ops\] host: ip: proto:6 startPort:8000/);
  assert.match(output, /direction:incoming endPort:0 groups:\[\] host:any ip: proto:1 startPort:0/);
  assert.match(output, /Read relay from config" RelayIP=10\.42\.0\.1/);
  assert.match(output, new RegExp(`Blocklisting cert" fingerprint=${revokedFingerprint}`));
});

test('nebula -test really checks what the builder emits: a key that is not the cert\'s is refused', { skip }, () => {
  requirePrograms('nebula', 'nebula-cert');
  const { status, output } = nebulaTest('mismatched', webYaml('lighthouse'));
  assert.notEqual(status, 0);
  assert.match(output, /private key is not a pair with public key/);
});
