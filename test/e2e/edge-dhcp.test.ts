/**
 * `ipv4_mode: dhcp` on real interfaces (test/helpers/edge-lab.ts, plus a second WAN link in 10.244.0.0/24): Debian's
 * dnsmasq serves DHCP in the WAN namespace, the edge router's `wan1` is put in dhcp mode through AiFw's API behind
 * the edge's default-deny ruleset, and its DHCP client (busybox udhcpc, run by Rampart) takes a lease: the interface
 * listing shows the leased address, the offered router becomes the default route, traffic flows from that address.
 * Back to static, the client releases the lease (dnsmasq forgets it) and is gone; stopping Rampart ends a running
 * client too. The lab's namespaces (and whatever runs in them) go when the test ends, failed or not.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findUdhcpc } from '../../src/modules/edge/network/dhcp/dhcp-client.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { edgeE2eFile } from '../helpers/edge-e2e.js';
import { waitFor } from '../helpers/wait.js';

const PROGRAMS = ['ip', 'nft', 'curl', '/usr/sbin/dnsmasq'];
const SERVER = '10.244.0.1';
const POOL = /^10\.244\.0\.(1[0-4]\d|150)$/;
const file = edgeE2eFile('dhcp');
const dir = file.dir;

const noClient = () => (findUdhcpc() ? false : 'needs busybox or udhcpc (the edge DHCP client)');

/** The command lines of the DHCP clients running in a namespace. */
function dhcpClientsIn(ns: string): string[] {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return pids
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    })
    .filter((cmd) => cmd.includes('udhcpc'));
}

test('an interface in dhcp mode takes a lease from a DHCP server; static again releases it', { skip: skipUnlessPrograms(...PROGRAMS) || noClient(), timeout: 300_000 }, async () => {
  requirePrograms(...PROGRAMS);
  assert.ok(findUdhcpc(), "the edge's DHCP client: install Debian's busybox (or udhcpc)");
  const lab = file.createLab();
  const leases = join(dir, 'dnsmasq.leases');

  // A second WAN link: wan1 on the edge, dh0 in the WAN namespace with the DHCP server.
  lab.exec('edge', 'ip', ['link', 'add', 'wan1', 'type', 'veth', 'peer', 'name', 'dh0', 'netns', lab.ns.wan]);
  lab.exec('wan', 'ip', ['addr', 'add', `${SERVER}/24`, 'dev', 'dh0']);
  lab.exec('wan', 'ip', ['link', 'set', 'dh0', 'up']);
  const dnsmasq = lab.spawn('wan', '/usr/sbin/dnsmasq', [
    '--keep-in-foreground', '--log-facility=-', '--conf-file=/dev/null', '--port=0', '--interface=dh0', '--bind-interfaces',
    '--dhcp-range=10.244.0.100,10.244.0.150,255.255.255.0,2m', `--dhcp-option=option:router,${SERVER}`, '--dhcp-authoritative',
    `--dhcp-leasefile=${leases}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`, '--user=root', '--group=root',
  ]);
  await waitFor('dnsmasq to serve DHCP', () => /DHCP, IP range/.test(dnsmasq.output()), 30_000).catch((err) => assert.fail(`${err.message}\n${dnsmasq.output()}`));
  await lab.serveHttp('wan', SERVER, 8080);

  const edge = await file.startRampart(lab, { context: () => `--- dnsmasq:\n${dnsmasq.output().slice(-3000)}` });
  const { api, ok, ctx, dataDir } = edge;
  const wan1 = async () => ((await ok(api('GET', '/api/v1/interfaces'))).data as Array<Record<string, any>>).find((i) => i.name === 'wan1')!;
  const leased = async () => {
    const i = await wan1();
    return i.ipv4_mode === 'dhcp' && POOL.test(i.ipv4 ?? '') ? (i.ipv4 as string) : null;
  };

  // The firewall first: default deny inbound does not stop the client (its answers are state of its own requests).
  await ok(api('POST', '/api/v1/reload'));
  const set = (await ok(api('PUT', '/api/v1/interfaces/config/wan1', { ipv4_mode: 'dhcp', enabled: true }))).data;
  assert.equal(set.ipv4_mode, 'dhcp');
  await waitFor('wan1 to show a leased address', async () => (await leased()) !== null, 60_000).catch((err) => assert.fail(`${err.message}\n${ctx()}`));
  const address = (await leased())!;
  assert.equal((await wan1()).ipv4_netmask, '255.255.255.0');
  assert.match(readFileSync(leases, 'utf8'), new RegExp(` ${address.replace(/\./g, '\\.')} `), 'the server holds the lease');
  const system = (await ok(api('GET', '/api/v1/routes/system'))).data as Array<Record<string, any>>;
  assert.ok(system.some((r) => r.destination === 'default' && r.gateway === SERVER && r.interface === 'wan1'), `the offered router is the default route\n${JSON.stringify(system)}`);
  assert.equal(await lab.httpGet('edge', SERVER, 8080), `hello from ${SERVER} to ${address}`, 'traffic leaves from the leased address');
  assert.equal(dhcpClientsIn(lab.ns.edge).length, 1, 'one client for the interface');

  // A renewal goes by unicast through the kernel's UDP socket, so through the firewall: the server's answer comes
  // back as state of the request (the default pass out keeps state). udhcpc renews at once on SIGUSR1, and falls
  // back to a broadcast (which would bypass nftables) only after a timeout far beyond this wait.
  const clientPid = Number(readFileSync(join(dataDir, 'edge-dhcp', 'wan1.pid'), 'utf8').trim());
  process.kill(clientPid, 'SIGUSR1');
  await waitFor('the lease renewed through the firewall', () => /"event":"renew"/.test(edge.rampart.output()), 10_000).catch((err) => assert.fail(`${err.message}\n${ctx()}`));
  assert.equal(await leased(), address, 'a renewal keeps the address');

  // A reload keeps the one client (and the lease).
  await ok(api('POST', '/api/v1/reload'));
  assert.equal(dhcpClientsIn(lab.ns.edge).length, 1);
  assert.equal(await leased(), address);

  // Static again: the client releases the lease and goes; the interface has its static address alone.
  await ok(api('PUT', '/api/v1/interfaces/config/wan1', { ipv4_mode: 'static', ipv4_address: '10.244.0.9/24', enabled: true }));
  await waitFor('the client to stop', () => dhcpClientsIn(lab.ns.edge).length === 0, 20_000);
  await waitFor('the server to drop the released lease', () => !readFileSync(leases, 'utf8').includes(` ${address} `), 20_000);
  const fixed = await wan1();
  assert.deepEqual([fixed.ipv4_mode, fixed.ipv4], ['static', '10.244.0.9']);
  const addrs = lab.exec('edge', 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'wan1']).stdout;
  assert.doesNotMatch(addrs, new RegExp(`${address.replace(/\./g, '\\.')}/`), 'the leased address is gone');

  // Back to dhcp, then Rampart stops: its client ends with it; the next start runs it again.
  await ok(api('PUT', '/api/v1/interfaces/config/wan1', { ipv4_mode: 'dhcp', enabled: true }));
  await waitFor('a client again', () => dhcpClientsIn(lab.ns.edge).length === 1, 20_000);
  await edge.stop();
  assert.deepEqual(dhcpClientsIn(lab.ns.edge), [], 'no DHCP client outlives Rampart');
  assert.ok(!existsSync(join(dataDir, 'edge-dhcp', 'wan1.pid')), 'its pid file is gone');
  await edge.start();
  await waitFor('the client to run again after a restart', () => dhcpClientsIn(lab.ns.edge).length === 1, 20_000);
  await waitFor('wan1 leased again', async () => (await leased()) !== null, 60_000).catch((err) => assert.fail(`${err.message}\n${ctx()}`));
});
