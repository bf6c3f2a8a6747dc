/**
 * The network-namespace harness with real nebula and no Rampart server: a lighthouse and two nodes in three
 * namespaces, with certificates from Rampart's own nebula PKI and configs from its config builder. Proves the
 * harness gives nebula a working underlay, and that the generated group firewall is what nebula enforces.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  certificateToPem,
  createCa,
  generateHostKeyPair,
  hostPrivateKeyToPem,
  signHost,
  type NebulaCa,
} from '../../src/core/pki/nebula/index.js';
import { buildNodeConfig, renderConfig } from '../../src/modules/overlay/config/build-config.js';
import type { GroupFirewallInput, PeerNodeInput } from '../../src/modules/overlay/config/config.types.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { NetnsLab, type SpawnedInNetns } from '../helpers/netns.js';

const skip = skipUnlessPrograms('ip', 'nebula', 'ping');

interface OverlayHost {
  name: string;
  overlayIp: string;
  groups: string[];
  isLighthouse: boolean;
  tun: string;
}

const hosts: OverlayHost[] = [
  { name: 'lighthouse', overlayIp: '10.42.0.1', groups: ['lighthouse'], isLighthouse: true, tun: 'rp-lh' },
  { name: 'web', overlayIp: '10.42.0.2', groups: ['web'], isLighthouse: false, tun: 'rp-web' },
  { name: 'db', overlayIp: '10.42.0.3', groups: ['db'], isLighthouse: false, tun: 'rp-db' },
];
const overlayIp = (name: string) => hosts.find((h) => h.name === name)!.overlayIp;

/** db takes icmp from web only; web takes only https; the lighthouse has no group firewall, so it allows all. */
const firewalls: GroupFirewallInput[] = [
  { group_name: 'db', inbound_rules: [{ allowed_group: 'web', protocol: 'icmp', port_range: 'any' }] },
  { group_name: 'web', inbound_rules: [{ allowed_group: 'any', protocol: 'tcp', port_range: '443' }] },
];

let lab: NetnsLab | undefined;
const nebula = new Map<string, SpawnedInNetns>();

function nodeConfig(host: OverlayHost, ca: NebulaCa, peers: PeerNodeInput[]): string {
  const keys = generateHostKeyPair();
  const cert = signHost({
    ca,
    name: host.name,
    networks: [`${host.overlayIp}/24`],
    groups: host.groups,
    publicKey: keys.publicKey,
    notAfter: new Date(Date.now() + 3600_000),
    version: 1, // Debian's nebula 1.6.1 reads v1 certificates only
  });
  return renderConfig(buildNodeConfig({
    node: { ...peers.find((p) => p.ip === host.overlayIp)!, groups: host.groups, tun_device: host.tun },
    peers,
    group_firewalls: firewalls,
    pki: { ca: certificateToPem(ca.certificate), cert: certificateToPem(cert), key: hostPrivateKeyToPem(keys.privateKey) },
    blocklist: [],
  }));
}

/** One ping per second until one is answered or the deadline passes: the first handshake takes a moment. */
async function pingsWithin(from: string, to: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if ((await lab!.run(from, 'ping', ['-c', '1', '-W', '1', overlayIp(to)])).status === 0) return true;
  }
  return false;
}

before(async () => {
  if (skip) return;
  requirePrograms('ip', 'nebula', 'ping');
  lab = NetnsLab.create(hosts.map((h) => h.name));
  const ca = createCa({ name: 'rampart-netns-test', validitySeconds: 2 * 86_400, version: 1 });
  const peers: PeerNodeInput[] = hosts.map((h) => ({
    ip: h.overlayIp,
    is_lighthouse: h.isLighthouse,
    is_relay: false,
    public_endpoint: h.isLighthouse ? `${lab!.host(h.name).address}:4242` : null,
  }));
  for (const host of hosts) {
    const file = join(lab.dir, `${host.name}.yml`);
    writeFileSync(file, nodeConfig(host, ca, peers), { mode: 0o600 });
    nebula.set(host.name, lab.spawn(host.name, 'nebula', ['-config', file]));
  }
});

after(() => lab?.destroy());

test('the harness builds isolated namespaces joined on the underlay', { skip }, async () => {
  requirePrograms('ip', 'nebula', 'ping');
  const web = lab!.host('web');
  assert.match(lab!.exec('web', 'ip', ['-br', 'addr', 'show', 'ul0'], true).stdout, new RegExp(`UP\\s+${web.address.replace(/\./g, '\\.')}/24`));
  assert.equal(lab!.exec('web', 'ping', ['-c', '1', '-W', '2', lab!.host('db').address], true).status, 0, 'the underlay connects the namespaces');
  assert.equal(lab!.exec('web', 'ping', ['-c', '1', '-W', '1', '127.0.0.1'], true).status, 0, 'lo is up');
});

test('nodes reach each other over the overlay, and the group firewall decides who may ping whom', { skip, timeout: 90_000 }, async () => {
  requirePrograms('ip', 'nebula', 'ping');
  const context = () => [...nebula].map(([name, p]) => `--- nebula on ${name}:\n${p.output()}`).join('\n');

  // Both nodes are on the overlay: the lighthouse has no group firewall and answers everyone.
  assert.ok(await pingsWithin('web', 'lighthouse', 20), `web cannot reach the lighthouse over the overlay\n${context()}`);
  assert.ok(await pingsWithin('db', 'lighthouse', 20), `db cannot reach the lighthouse over the overlay\n${context()}`);

  // db -> web first: web's firewall only takes tcp/443, so the echo requests are dropped on arrival.
  // (Once web has pinged db, nebula's conntrack on web would let db's pings in, so this order matters.)
  const denied = await lab!.run('db', 'ping', ['-c', '3', '-i', '0.5', '-W', '1', overlayIp('web')]);
  assert.notEqual(denied.status, 0, `db must not be able to ping web:\n${denied.output}`);
  // ...and not for want of a tunnel: db and web completed a handshake, so web saw and dropped the packets.
  assert.match(nebula.get('web')!.output(), /Handshake message (received|sent).*vpnIp=10\.42\.0\.3/, context());

  // web -> db: db's firewall takes icmp from group web.
  assert.ok(await pingsWithin('web', 'db', 10), `web cannot ping db over the overlay\n${context()}`);
  assert.match(lab!.exec('db', 'ip', ['-br', 'addr', 'show', 'rp-db'], true).stdout, /10\.42\.0\.3\/24/, 'db has its own tun device');
});

test('destroy() removes every namespace it made and stops nebula, and can be called again', { skip }, async () => {
  requirePrograms('ip', 'nebula', 'ping');
  const pids = [...nebula.values()].map((p) => p.proc.pid!);
  await lab!.destroy();
  await lab!.destroy();
  assert.deepEqual(lab!.remaining(), []);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `nebula ${pid} still runs`);
});
