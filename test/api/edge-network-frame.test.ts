import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { edgeServices } from '../../src/modules/edge/edge.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { e2eRequired } from '../helpers/e2e.js';
import { canMakeNamespaces, EdgeNetLab } from '../helpers/edge-net-lab.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

const skip = canMakeNamespaces() ? false : 'needs root to make a network namespace';
if (skip && e2eRequired) throw new Error(`RAMPART_E2E=required: ${skip}`);

/**
 * The network and frame routes against a real namespace (its links, routes and conntrack table), with the data
 * plane off: reads come from the namespace, writes are stored, and every 4xx the spec lists for these routes.
 */
describe('edge network and frame API', { skip }, () => {
  let r: TestRampart;
  let lab: EdgeNetLab;
  let ns: string;
  let admin: SignedIn;
  let viewer: SignedIn;
  before(async () => {
    r = await createTestRampart();
    lab = new EdgeNetLab();
    ns = lab.add('api');
    lab.sh(ns, 'ip', ['link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan0p']);
    lab.sh(ns, 'ip', ['link', 'set', 'lan0p', 'up']);
    lab.sh(ns, 'ip', ['addr', 'add', '10.242.1.1/24', 'dev', 'lan0']);
    lab.sh(ns, 'ip', ['link', 'set', 'lan0', 'up']);
    edgeServices(r.core).network.net.service.exec = lab.exec(ns);
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
  });
  after(async () => {
    await r?.cleanup();
    lab?.destroy();
  });
  const call = (method: string, url: string, headers: Record<string, string> = admin.headers, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const errorOf = (res: { json(): unknown }) => (res.json() as { error: unknown }).error;

  test('interfaces: list, detailed counters, config, stats, roles; unknown 404, injected names 400', async () => {
    const list = (await call('GET', '/api/v1/interfaces')).json().data as Array<Record<string, unknown>>;
    const lan = list.find((i) => i.name === 'lan0')!;
    assert.deepEqual([lan.ipv4, lan.ipv4_netmask, lan.status], ['10.242.1.1', '255.255.255.0', 'up']);
    assert.ok(list.some((i) => i.name === 'lo'));
    const detailed = (await call('GET', '/api/v1/interfaces/detailed')).json().data.find((i: { name: string }) => i.name === 'lan0');
    assert.equal(typeof detailed.bytes_out, 'number');
    assert.equal((await call('GET', '/api/v1/interfaces/lan0/stats')).json().data.name, 'lan0');
    assert.equal((await call('GET', '/api/v1/interfaces/config/lan0')).json().data.ipv4_address, '10.242.1.1/24');

    assert.equal((await call('GET', '/api/v1/interfaces/nope0/stats')).statusCode, 404);
    assert.equal((await call('GET', '/api/v1/interfaces/config/nope0')).statusCode, 404);
    for (const bad of ['lan0;reboot', 'a%20b', '$(id)', 'x'.repeat(16)]) {
      const res = await call('PUT', `/api/v1/interfaces/config/${bad}`, admin.headers, { mtu: 1400 });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(typeof errorOf(res), 'string');
    }
    assert.equal((await call('PUT', '/api/v1/interfaces/config/lan0', admin.headers, { ipv4_mode: 'static' })).statusCode, 400, 'static needs an address');
    assert.equal((await call('PUT', '/api/v1/interfaces/config/lan0', admin.headers, { ipv4_address: '10.242.1.300/24' })).statusCode, 400);
    assert.equal((await call('PUT', '/api/v1/interfaces/config/lan0', admin.headers, { bogus: 1 })).statusCode, 400, 'unknown fields refused');
    const put = await call('PUT', '/api/v1/interfaces/config/lan0', admin.headers, { description: 'office LAN', mtu: 1400 });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(lab.sh(ns, 'ip', ['-j', 'link', 'show', 'lan0']).includes('"mtu":1500'), true, 'data plane off: the host is not touched');

    assert.equal((await call('GET', '/api/v1/interfaces/lan0/role')).json().data.role, null);
    assert.equal((await call('PUT', '/api/v1/interfaces/lan0/role', admin.headers, { role: 'LAN' })).statusCode, 200);
    assert.equal((await call('PUT', '/api/v1/interfaces/lan0/role', admin.headers, { role: 'L A N' })).statusCode, 400);
    assert.equal((await call('PUT', '/api/v1/interfaces/ghost0/role', admin.headers, { role: 'WAN' })).statusCode, 404);
    assert.deepEqual((await call('GET', '/api/v1/interfaces/roles')).json().data, [{ interface: 'lan0', role: 'LAN' }]);
    assert.equal((await call('GET', '/api/v1/interfaces')).json().data.find((i: { name: string }) => i.name === 'lan0').role, 'LAN');
    assert.equal((await call('DELETE', '/api/v1/interfaces/lan0/role')).statusCode, 200);
    assert.equal((await call('DELETE', '/api/v1/interfaces/lan0/role')).statusCode, 200, 'removing no role is harmless once the row exists');
    assert.deepEqual((await call('GET', '/api/v1/interfaces/roles')).json().data, []);

    assert.equal((await call('GET', '/api/v1/interfaces', {})).statusCode, 401);
    assert.equal((await call('PUT', '/api/v1/interfaces/lan0/role', viewer.headers, { role: 'WAN' })).statusCode, 403);
  });

  test('VLANs: create marks pending, 400 on bad ids and names, 409 on a duplicate, 404 on unknown ids', async () => {
    for (const bad of [{ vlan_id: 0, parent: 'lan0' }, { vlan_id: 4095, parent: 'lan0' }, { vlan_id: 10, parent: 'lan0 ; ip link del lan0' }, { vlan_id: 10, parent: 'verylongname0' }, { vlan_id: 10 }, { vlan_id: 10, parent: 'lan0', ipv4_mode: 'static' }]) {
      const res = await call('POST', '/api/v1/vlans', admin.headers, bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
    }
    const created = await call('POST', '/api/v1/vlans', admin.headers, { vlan_id: 42, parent: 'lan0', ipv4_mode: 'static', ipv4_address: '10.242.42.1/24' });
    assert.equal(created.statusCode, 201, created.body);
    const vlan = created.json().data;
    assert.equal(vlan.name, 'lan0.42');
    assert.equal((await call('POST', '/api/v1/vlans', admin.headers, { vlan_id: 42, parent: 'lan0' })).statusCode, 409);
    assert.equal((await call('GET', '/api/v1/pending')).json().firewall, true);
    assert.equal((await call('GET', '/api/v1/vlans')).json().data.length, 1);
    const put = await call('PUT', `/api/v1/vlans/${vlan.id}`, admin.headers, { vlan_id: 42, parent: 'lan0', description: 'guests' });
    assert.equal(put.json().data.description, 'guests');
    const ghost = '00000000-0000-4000-8000-000000000000';
    assert.equal((await call('PUT', `/api/v1/vlans/${ghost}`, admin.headers, { vlan_id: 5, parent: 'lan0' })).statusCode, 404);
    assert.equal((await call('DELETE', `/api/v1/vlans/${ghost}`)).statusCode, 404);
    assert.equal((await call('DELETE', '/api/v1/vlans/not-a-uuid')).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/vlans', viewer.headers, { vlan_id: 7, parent: 'lan0' })).statusCode, 403);
    assert.equal((await call('GET', '/api/v1/vlans', viewer.headers)).statusCode, 200);

    const reload = await call('POST', '/api/v1/reload', { ...admin.headers, 'content-type': 'application/json' });
    assert.equal(reload.statusCode, 200, reload.body);
    assert.ok(reload.json().steps.some((s: { step: string; ok: boolean }) => s.step === 'vlans' && s.ok));
    assert.equal((await call('GET', '/api/v1/pending')).json().pending, false, 'a reload clears what it applied');
    assert.equal(lab.sh(ns, 'ip', ['-j', 'link', 'show']).includes('lan0.42'), false, 'data plane off: no device on the host');
    assert.equal((await call('DELETE', `/api/v1/vlans/${vlan.id}`)).statusCode, 200);
  });

  test('a failed reload step answers 502 naming the step, and leaves the changes pending', async () => {
    const { hooks } = edgeServices(r.core);
    const failing = { name: 'firewall', order: 50, apply: async () => { throw new Error('nft: syntax error'); } };
    hooks.applySteps.push(failing);
    try {
      await call('POST', '/api/v1/vlans', admin.headers, { vlan_id: 43, parent: 'lan0' });
      const res = await call('POST', '/api/v1/reload');
      assert.equal(res.statusCode, 502);
      assert.match(errorOf(res) as string, /step firewall: nft: syntax error/);
      assert.equal((await call('GET', '/api/v1/pending')).json().firewall, true);
    } finally {
      hooks.applySteps.splice(hooks.applySteps.indexOf(failing), 1);
    }
    assert.equal((await call('POST', '/api/v1/reload', viewer.headers)).statusCode, 403);
  });

  test('static routes: stored, 400 on bad destinations, gateways and interfaces, 404 on unknown ids; the kernel table', async () => {
    for (const bad of [{ destination: '10.242.9.0/33', gateway: '10.242.1.254' }, { destination: 'nowhere', gateway: '10.242.1.254' }, { destination: '10.242.9.0/24', gateway: 'router' }, { destination: '10.242.9.0/24', gateway: '10.242.1.254', interface: 'lan0`id`' }]) {
      assert.equal((await call('POST', '/api/v1/routes', admin.headers, bad)).statusCode, 400, JSON.stringify(bad));
    }
    const created = await call('POST', '/api/v1/routes', admin.headers, { destination: '10.242.9.0/24', gateway: '10.242.1.254', metric: 5 });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().data.id;
    assert.equal((await call('PUT', `/api/v1/routes/${id}`, admin.headers, { destination: 'default', gateway: '10.242.1.254' })).json().data.destination, 'default');
    assert.equal((await call('PUT', '/api/v1/routes/00000000-0000-4000-8000-000000000000', admin.headers, { destination: 'default', gateway: '10.242.1.254' })).statusCode, 404);
    assert.equal((await call('GET', '/api/v1/routes')).json().data.length, 1);
    assert.equal((await call('DELETE', `/api/v1/routes/${id}`)).statusCode, 200);
    assert.equal((await call('DELETE', `/api/v1/routes/${id}`)).statusCode, 404);
    const system = (await call('GET', '/api/v1/routes/system')).json().data as Array<{ destination: string; interface: string }>;
    assert.ok(system.some((row) => row.destination === '10.242.1.0/24' && row.interface === 'lan0'), JSON.stringify(system));
  });

  test('connections, blocked and logs page with limit and offset; out-of-range paging is a 400', async () => {
    const conns = await call('GET', '/api/v1/connections?limit=10&offset=0');
    assert.equal(conns.statusCode, 200, conns.body);
    assert.deepEqual(Object.keys(conns.json()).sort(), ['data', 'limit', 'offset', 'total']);
    for (const q of ['limit=0', 'limit=10001', 'offset=-1', 'limit=abc']) {
      assert.equal((await call('GET', `/api/v1/connections?${q}`)).statusCode, 400, q);
      assert.equal((await call('GET', `/api/v1/blocked?${q}`)).statusCode, 400, q);
      assert.equal((await call('GET', `/api/v1/logs?${q}`)).statusCode, 400, q);
    }
    assert.equal((await call('GET', '/api/v1/connections', viewer.headers)).statusCode, 200);
    // One shape for the three lists: a page of the newest first, the total in the body and in X-Total-Count.
    const ring = edgeServices(r.core).network.blocked;
    for (const port of [1001, 1002, 1003]) {
      ring.push({ timestamp: `2026-01-01T00:00:0${port - 1000}.000Z`, action: 'block', direction: 'in', interface: 'lan0', protocol: 'tcp', src_addr: '10.242.77.1', src_port: port, dst_addr: '10.242.77.2', dst_port: 22, rule: null });
    }
    const blockedPage = await call('GET', '/api/v1/blocked?src=10.242.77.1&limit=2&offset=1');
    assert.deepEqual([blockedPage.json().total, blockedPage.json().limit, blockedPage.json().offset, blockedPage.headers['x-total-count']], [3, 2, 1, '3']);
    assert.deepEqual(blockedPage.json().data.map((b: { src_port: number }) => b.src_port), [1002, 1001], 'newest first, from the offset');
    const fwLogs = await call('GET', '/api/v1/logs?source=firewall&search=10.242.77.1&limit=1&offset=2');
    assert.deepEqual([fwLogs.json().total, fwLogs.json().data.length, fwLogs.headers['x-total-count']], [3, 1, '3']);
    assert.match(fwLogs.json().data[0].details, /10\.242\.77\.1:1001 ->/);
    assert.equal(conns.headers['x-total-count'], String(conns.json().total));
    const logs = (await call('GET', '/api/v1/logs?source=audit&search=vlan')).json();
    assert.ok(logs.data.some((e: { action: string }) => e.action === 'edge.vlan.create'));
    assert.equal((await call('GET', '/api/v1/logs?source=kernel')).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/logs', viewer.headers)).statusCode, 200);
  });

  test('status, about, metrics and series; 400 on unknown series and ranges', async () => {
    const status = (await call('GET', '/api/v1/status')).json();
    for (const key of ['pf_running', 'pf_states', 'pf_rules', 'aifw_rules', 'aifw_active_rules', 'nat_rules', 'packets_in', 'packets_out', 'bytes_in', 'bytes_out']) assert.ok(key in status, key);
    assert.equal(status.pf_running, false);
    assert.equal(typeof (await call('GET', '/api/v1/about')).json().version, 'string');
    assert.equal(typeof (await call('GET', '/api/v1/metrics')).json().pf_states_count, 'number');
    const names = (await call('GET', '/api/v1/metrics/list')).json().data as string[];
    assert.ok(names.includes('cpu_usage'));
    // The producer stores a row every 10 ticks; the test ticks it by hand.
    const { frame } = edgeServices(r.core);
    const recorder = frame.startRecording();
    try {
      await waitFor('a stored sample', async () => {
        await frame.tick();
        const series = (await call('GET', '/api/v1/metrics/series?metrics=cpu_usage,pf_states&range=1h')).json().data;
        return series[0].points.length > 0 && series;
      }, 30_000);
    } finally {
      await recorder.stop();
    }
    assert.equal((await call('GET', '/api/v1/metrics/series?metrics=nope')).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/metrics/series')).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/metrics/series?metrics=cpu_usage&range=2y')).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/metrics/series?metrics=cpu_usage&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).statusCode, 400);
    assert.equal((await call('GET', '/api/v1/status', {})).statusCode, 401);
    const keyless = await signIn(r, { permissions: ['rules:read'] });
    assert.equal((await call('GET', '/api/v1/status', keyless.headers)).statusCode, 403);
  });

  test('serve records the series only where the edge runs the host firewall (the producer spawns processes every second)', async () => {
    const { frame, hooks } = edgeServices(r.core);
    const dataplane = r.core.config.dataplane as { enabled: boolean };
    const hostApplied = hooks.hostApplied;
    const off = await frame.recordWhenRouting();
    assert.equal(frame.producing(), false, 'no data plane: nothing samples the host');
    await off.stop();
    dataplane.enabled = true;
    try {
      const notYet = await frame.recordWhenRouting();
      assert.equal(frame.producing(), false, 'data plane on, the edge never applied here (an egress gateway): nothing samples');
      await notYet.stop();
      hooks.hostApplied = async () => true;
      const routing = await frame.recordWhenRouting();
      assert.equal(frame.producing(), true, 'a host the edge routes records its series');
      await routing.stop();
      assert.equal(frame.producing(), false);
    } finally {
      dataplane.enabled = false;
      hooks.hostApplied = hostApplied;
    }
  });

  test('declared response schemas match the real answers (the OpenAPI document and the console types come from them)', async () => {
    // Every key present (nulls spelled out): the stored rows answer each declared key.
    for (const v of (await call('GET', '/api/v1/vlans')).json().data) await call('DELETE', `/api/v1/vlans/${v.id}`);
    const vlanBody = { vlan_id: 44, parent: 'lan0', ipv4_mode: 'none', ipv4_address: null, ipv6_address: null, mtu: null, enabled: true, description: null };
    const routeBody = { destination: '10.242.8.0/24', gateway: '10.242.1.254', interface: null, metric: null, enabled: true, description: null, fib: null };
    const answers: Array<[method: string, path: string, url: string, payload?: unknown]> = [
      ['POST', '/api/v1/vlans', '/api/v1/vlans', vlanBody],
      ['POST', '/api/v1/routes', '/api/v1/routes', routeBody],
    ];
    const schemaOf = (method: string, path: string) => r.routes.find((x) => x.method === method && x.path === path && x.surface === 'edge')!.schema.response!;
    const check = async (method: string, path: string, url: string, payload?: unknown) => {
      const res = await call(method, url, admin.headers, payload);
      assert.ok(res.statusCode === 200 || res.statusCode === 201, `${method} ${url}: ${res.statusCode} ${res.body}`);
      const parsed = schemaOf(method, path).safeParse(res.json());
      assert.ok(parsed.success, `${method} ${url}: ${parsed.error?.message}`);
      return res.json();
    };
    const vlan = (await check(...answers[0]!)).data;
    const route = (await check(...answers[1]!)).data;
    await check('PUT', '/api/v1/vlans/:id', `/api/v1/vlans/${vlan.id}`, { ...vlanBody, description: 'typed' });
    await check('PUT', '/api/v1/routes/:id', `/api/v1/routes/${route.id}`, { ...routeBody, metric: 7 });
    await check('PUT', '/api/v1/interfaces/:name/role', '/api/v1/interfaces/lan0/role', { role: 'LAN' });
    for (const [path, url] of [
      ['/api/v1/interfaces', '/api/v1/interfaces'], ['/api/v1/interfaces/detailed', '/api/v1/interfaces/detailed'], ['/api/v1/interfaces/roles', '/api/v1/interfaces/roles'],
      ['/api/v1/interfaces/config/:name', '/api/v1/interfaces/config/lan0'], ['/api/v1/interfaces/:name/stats', '/api/v1/interfaces/lan0/stats'],
      ['/api/v1/interfaces/:name/role', '/api/v1/interfaces/lan0/role'], ['/api/v1/vlans', '/api/v1/vlans'], ['/api/v1/routes', '/api/v1/routes'],
      ['/api/v1/routes/system', '/api/v1/routes/system'], ['/api/v1/connections', '/api/v1/connections'], ['/api/v1/blocked', '/api/v1/blocked'],
      ['/api/v1/logs', '/api/v1/logs'], ['/api/v1/status', '/api/v1/status'], ['/api/v1/about', '/api/v1/about'], ['/api/v1/metrics', '/api/v1/metrics'],
      ['/api/v1/metrics/list', '/api/v1/metrics/list'], ['/api/v1/pending', '/api/v1/pending'],
    ] as const) {
      const body = await check('GET', path, url);
      if (['/api/v1/interfaces', '/api/v1/vlans', '/api/v1/routes', '/api/v1/routes/system', '/api/v1/logs', '/api/v1/interfaces/roles'].includes(path)) {
        assert.ok(body.data.length > 0, `${url} has rows to check`);
      }
    }
    await call('DELETE', '/api/v1/interfaces/lan0/role');
    await call('DELETE', `/api/v1/vlans/${vlan.id}`);
    await call('DELETE', `/api/v1/routes/${route.id}`);
  });

  describe('over a socket', () => {
    let base: string;
    before(async () => {
      await r.app.listen({ host: '127.0.0.1', port: 0 });
      base = `127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
    });
    const ticket = async (who = admin) => (await call('POST', '/api/v1/auth/ws-ticket', who.headers)).json().ticket as string;

    test('the WebSocket sends history, then status_update from one producer to every socket', async () => {
      const open = async () => {
        const ws = new WebSocket(`ws://${base}/api/v1/ws?ticket=${await ticket()}`);
        const messages: string[] = [];
        ws.on('message', (m) => messages.push(String(m)));
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        return { ws, messages };
      };
      const a = await open();
      const b = await open();
      try {
        await waitFor('two updates on both sockets', () => a.messages.length >= 3 && b.messages.length >= 3, 30_000);
        assert.equal(JSON.parse(a.messages[0]!).type, 'history');
        const update = JSON.parse(a.messages[1]!);
        assert.equal(update.type, 'status_update');
        for (const key of ['status', 'system', 'connections', 'interfaces', 'blocked', 'services']) assert.ok(key in update, key);
        assert.ok(update.interfaces.some((i: { name: string; address?: string }) => i.name === 'lan0' && i.address === '10.242.1.1'));
        assert.equal(typeof update.system.cpu_cores, 'number');
        // One producer: the updates both sockets got after b joined are the same texts.
        const shared = b.messages.slice(1).filter((m) => a.messages.includes(m));
        assert.ok(shared.length >= 1, 'the same update text reached both sockets');
        assert.equal(edgeServices(r.core).frame.socketCount(), 2);
      } finally {
        a.ws.close();
        b.ws.close();
      }
      await waitFor('sockets gone', () => edgeServices(r.core).frame.socketCount() === 0);
    });

    test('the WebSocket refuses a missing, spent or under-privileged ticket before upgrading', async () => {
      const refused = (url: string) =>
        new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('open', () => reject(new Error('upgraded')));
          ws.once('error', () => {});
        });
      assert.equal(await refused(`ws://${base}/api/v1/ws`), 401);
      const t = await ticket();
      const ok = new WebSocket(`ws://${base}/api/v1/ws?ticket=${t}`);
      await new Promise((resolve) => ok.once('open', resolve));
      ok.close();
      assert.equal(await refused(`ws://${base}/api/v1/ws?ticket=${t}`), 401, 'single use');
      const nobody = await signIn(r, { permissions: ['rules:read'] });
      assert.equal(await refused(`ws://${base}/api/v1/ws?ticket=${await ticket(nobody)}`), 403);
      assert.equal((await call('GET', '/api/v1/ws')).statusCode, 400, 'a plain GET is told to upgrade');
    });

    test('pending/stream pushes the state on connect and after a change', async () => {
      const controller = new AbortController();
      const res = await fetch(`http://${base}/api/v1/pending/stream?ticket=${await ticket()}`, { signal: controller.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      };
      try {
        await readUntil(/^data: .*\n\n/m);
        assert.doesNotMatch(text, /^event:/m, 'unnamed events: EventSource onmessage only sees those');
        await call('POST', '/api/v1/vlans', admin.headers, { vlan_id: 44, parent: 'lan0' });
        await readUntil(/^data: .*"firewall":true.*\n\n/m);
      } finally {
        controller.abort();
      }
    });
  });
});
