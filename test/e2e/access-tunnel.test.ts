/**
 * The access data path below the agents, on real packets: a device namespace reaches the resource namespace only
 * through a WireGuard tunnel (Debian's wireguard-go) to the gateway namespace, and the gateway's own nftables
 * table `inet rampart_access` decides, per device, which destinations pass (test/helpers/wg-lab.ts). The agents
 * use exactly these modules (src/agent/access/wireguard.ts, nft.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWireguardKeys, writePrivateKeyFile } from '../../src/agent/access/keys.js';
import { NftEnforcer } from '../../src/agent/access/nft.js';
import { WireguardInterface } from '../../src/agent/access/wireguard.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';
import { GATEWAY_IP, RESOURCE_CIDR, RESOURCE_IP, WgLab, type Role } from '../helpers/wg-lab.js';

const PROGRAMS = ['ip', 'wireguard-go', 'wg', 'nft', 'conntrack', 'curl'];
const skip = skipUnlessPrograms(...PROGRAMS);
const WG_PORT = 51820;
const OVERLAY = { deviceA: '10.231.64.2', deviceB: '10.231.64.3' } as const;
const log = () => {};

let lab: WgLab | undefined;
let gateway: WireguardInterface;
let nft: NftEnforcer;
const devices = new Map<Role, { wg: WireguardInterface; public_key: string }>();
const gatewayKeys = generateWireguardKeys();
const dir = mkdtempSync(join(tmpdir(), 'rampart-access-tunnel-'));

function keyFile(name: string, privateKey: string): string {
  const path = join(dir, `${name}.key`);
  writePrivateKeyFile(path, privateKey);
  return path;
}

after(async () => {
  for (const { wg } of devices.values()) await wg.down();
  await gateway?.down();
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
  if (lab) assert.deepEqual(lab.remaining(), [], 'namespaces removed');
});

/** A device's side: its address, the route to the resource through the tunnel, the gateway as its peer. */
async function bringUpDevice(role: 'deviceA' | 'deviceB') {
  const keys = generateWireguardKeys();
  const wg = new WireguardInterface({ runner: lab!.runner(role), ifname: lab!.ifname(role), privateKeyFile: keyFile(role, keys.private_key), log });
  devices.set(role, { wg, public_key: keys.public_key });
  await wg.up();
  await wg.addAddress(`${OVERLAY[role]}/32`);
  await wg.replaceRoute(RESOURCE_CIDR);
  await wg.setPeer({ public_key: gatewayKeys.public_key, allowed_ips: [RESOURCE_CIDR], endpoint: `${GATEWAY_IP}:${WG_PORT}`, keepalive_s: 25 });
}

/** The gateway admits a device: its key as a peer for its overlay address, and a route back to it. */
async function admit(role: 'deviceA' | 'deviceB') {
  await gateway.setPeer({ public_key: devices.get(role)!.public_key, allowed_ips: [`${OVERLAY[role]}/32`] });
  await gateway.replaceRoute(`${OVERLAY[role]}/32`);
}

before(async () => {
  if (skip) return;
  requirePrograms(...PROGRAMS);
  lab = WgLab.create();
  await lab.startResource();
  gateway = new WireguardInterface({ runner: lab.runner('gateway'), ifname: lab.ifname('gateway'), privateKeyFile: keyFile('gateway', gatewayKeys.private_key), listenPort: WG_PORT, log });
  await gateway.up();
  nft = new NftEnforcer(lab.runner('gateway'), gateway.ifname);
  await bringUpDevice('deviceA');
  await bringUpDevice('deviceB');
});

test('a device reaches the resource through the tunnel once the gateway admits it as a peer, and not before', { skip }, async () => {
  assert.equal(await lab!.reaches('deviceA', 8080, 1), false, 'no path before the gateway knows the device');
  await admit('deviceA');
  await waitFor('device A through the tunnel', () => lab!.reaches('deviceA', 8080), 20_000);
  assert.equal(await lab!.reaches('deviceA', 8081), true);
  const peers = await gateway.peers();
  const a = peers.find((p) => p.public_key === devices.get('deviceA')!.public_key);
  assert.ok(a && a.latest_handshake > 0 && a.rx_bytes > 0, `the gateway saw a handshake and traffic: ${JSON.stringify(peers)}`);
  assert.equal(await lab!.reaches('deviceB', 8080, 1), false, 'a device that is not a peer gets nothing');
});

test('the gateway table allows each device exactly its destinations and drops the rest', { skip }, async () => {
  await admit('deviceB');
  await waitFor('device B through the tunnel', () => lab!.reaches('deviceB', 8081), 20_000);
  await nft.apply([
    { device_id: 'a', overlay_ip: OVERLAY.deviceA, destinations: [{ cidr: `${RESOURCE_IP}/32`, protocol: 'tcp', ports: ['8080'] }] },
    { device_id: 'b', overlay_ip: OVERLAY.deviceB, destinations: [{ cidr: RESOURCE_CIDR, protocol: 'tcp', ports: ['8081-8090'] }] },
  ]);
  assert.equal(await lab!.reaches('deviceA', 8080), true);
  assert.equal(await lab!.reaches('deviceA', 8081, 1), false);
  assert.equal(await lab!.reaches('deviceB', 8080, 1), false);
  assert.equal(await lab!.reaches('deviceB', 8081), true);
  assert.match(await nft.listing(), /device_0/);
});

test('rewriting a device\'s rules changes only that device; a device left out is dropped entirely', { skip }, async () => {
  await nft.apply([{ device_id: 'b', overlay_ip: OVERLAY.deviceB, destinations: [{ cidr: RESOURCE_CIDR, protocol: 'any', ports: [] }] }]);
  assert.equal(await lab!.reaches('deviceB', 8080), true);
  assert.equal(await lab!.reaches('deviceB', 8081), true);
  assert.equal(await lab!.reaches('deviceA', 8080, 1), false, 'a device without rules is dropped although still a peer');
});

test('a removed device is cut at once: its connection attempts fail from the cut and no established entry is left', { skip }, async () => {
  await nft.apply([{ device_id: 'b', overlay_ip: OVERLAY.deviceB, destinations: [{ cidr: RESOURCE_CIDR, protocol: 'tcp', ports: ['8080'] }] }]);
  const prober = lab!.startProber('deviceB', 8080);
  await waitFor('the prober to connect', () => prober.lastSuccessSince(0), 10_000);
  const cut = Date.now();
  await nft.apply([]);
  await nft.forget(OVERLAY.deviceB);
  await waitFor('device B\'s probes to fail', () => prober.firstFailureSince(cut), 10_000);
  const failedAt = prober.firstFailureSince(cut)!;
  await waitFor('a few more probes', () => prober.attempts().filter((a) => a.at > failedAt).length >= 3, 10_000);
  assert.equal(prober.lastSuccessSince(failedAt), undefined, 'nothing gets through after the cut');
  prober.stop();
  const tracked = lab!.exec('gateway', 'conntrack', ['-L', '-s', OVERLAY.deviceB], true);
  assert.doesNotMatch(tracked.stdout, /ESTABLISHED/, 'no established entry left for the device');
});

test('removing the table hands the tunnel back to plain forwarding; removing a peer ends its tunnel', { skip }, async () => {
  await nft.remove();
  assert.equal(await lab!.reaches('deviceA', 8081), true);
  await gateway.removePeer(devices.get('deviceA')!.public_key);
  assert.equal(await lab!.reaches('deviceA', 8080, 1), false);
  assert.equal(await lab!.reaches('deviceB', 8080), true, 'the other device keeps its tunnel');
});
