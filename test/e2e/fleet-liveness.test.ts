/**
 * Host liveness against real hosts (test/helpers/ssh-lab.ts): ICMP from the lab's client namespace, SSH and the
 * privilege probe through the fleet's connector, driven through the API's connectivity check. Stopping a host's
 * sshd moves it through degraded to critical; starting it again brings it back after three clean probes; taking
 * its link down sends it to down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';

describe('fleet liveness on namespace hosts', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let r: TestRampart;
  let admin: SignedIn;
  const hostIds: Record<string, string> = {};
  const changes: string[] = [];
  let keyCounter = 0;

  before(async () => {
    lab = await startSshLab({ hosts: [{ name: 'web', login: 'key' }, { name: 'db', login: 'password' }] });
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    const fleet = fleetServices(r.core);
    fleet.connector = createSshConnector({ hostKeys: fleet.hostKeys, audit: r.core.audit, dial: lab.dial });
    fleet.hooks.ping = lab.ping;
    fleet.hooks.onLivenessChange = (host, from, to) => void changes.push(`${host.hostname}:${from}->${to}`);
    // Short probe timeouts keep the failing probes quick; the bands themselves are not waited for here.
    assert.equal((await call('PUT', '/api/v1/system/connectivity/config', { timeout_sec: 3 })).statusCode, 200);
    for (const name of ['web', 'db']) {
      const lh = lab.host(name);
      const host = await call('POST', '/api/v1/hosts', { hostname: name, ip_address: lh.address, port: lh.port });
      assert.equal(host.statusCode, 201, host.body);
      hostIds[name] = host.json().id;
      const secret = lab.secret(name);
      const credential = await call('POST', '/api/v1/credentials', {
        scope: 'host',
        scope_id: hostIds[name],
        name: `${name}-login`,
        username: secret.username,
        auth_method: secret.authMethod,
        ...(secret.privateKey ? { private_key: secret.privateKey } : { password: secret.password }),
      });
      assert.equal(credential.statusCode, 201, credential.body);
    }
  });

  after(async () => {
    await lab?.close();
    await r?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  function call(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
    return r.app.inject({ method, url, headers: { ...admin.headers, ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  }

  async function check(name: string) {
    const res = await call('POST', `/api/v1/hosts/${hostIds[name]}/connectivity:check`, undefined, { 'idempotency-key': `probe-${++keyCounter}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { monitoring_state: string; reachability_status: string; layers: Record<string, boolean | null>; privilege: string | null; error: string | null };
  }

  test('every layer passes on a healthy host: online, reachable, with the privilege each login has', async () => {
    const web = await check('web');
    assert.deepEqual(web.layers, { icmp: true, ssh: true, privilege: true }, web.error ?? '');
    assert.equal(web.monitoring_state, 'online');
    assert.equal(web.reachability_status, 'reachable');
    assert.equal(web.privilege, 'sudo_nopasswd');
    const db = await check('db');
    assert.equal(db.monitoring_state, 'online', db.error ?? '');
    assert.equal(db.privilege, 'sudo_password', 'sudo -S with the stored password');
  });

  test('sshd stopped: degraded, then critical and unreachable; the host detail and the fleet counts follow', async () => {
    await lab.stopSshd('web');
    const first = await check('web');
    assert.deepEqual(first.layers, { icmp: true, ssh: false, privilege: null });
    assert.equal(first.monitoring_state, 'degraded');
    assert.equal(first.reachability_status, 'reachable', 'one failure is not yet unreachable');
    const second = await check('web');
    assert.equal(second.monitoring_state, 'critical');
    assert.equal(second.reachability_status, 'unreachable');
    const detail = (await call('GET', `/api/v1/hosts/${hostIds.web}`)).json();
    assert.equal(detail.liveness.monitoring_state, 'critical');
    assert.equal(detail.liveness.ssh_consecutive_failures, 2);
    assert.equal(detail.liveness.last_error_type, 'unreachable');
    assert.match(detail.liveness.last_error, /ssh/);
    const breakdown = (await call('GET', '/api/v1/fleet/connectivity/breakdown')).json();
    assert.equal(breakdown.critical, 1);
    assert.equal(breakdown.online, 1);
    assert.equal((await call('GET', '/api/v1/fleet/liveness')).json().unreachable, 1);
    assert.deepEqual(changes.filter((c) => c.startsWith('web:')), ['web:unknown->online', 'web:online->degraded', 'web:degraded->critical']);
  });

  test('sshd started again: three clean probes in a row bring the host back online', async () => {
    await lab.startSshd('web');
    assert.equal((await check('web')).monitoring_state, 'degraded');
    assert.equal((await check('web')).monitoring_state, 'degraded');
    const third = await check('web');
    assert.equal(third.monitoring_state, 'online');
    assert.equal(third.reachability_status, 'reachable');
    assert.deepEqual(changes.slice(-2), ['web:critical->degraded', 'web:degraded->online']);
    const history = (await call('GET', `/api/v1/hosts/${hostIds.web}/monitoring/history?limit=20`)).json().entries;
    assert.deepEqual(
      history.map((h: any) => h.monitoring_state).reverse(),
      ['online', 'degraded', 'critical', 'degraded', 'degraded', 'online'],
    );
  });

  test('link down: no ICMP reply, critical at once and down on the third probe; the link back up recovers it', async () => {
    lab.must('db', 'ip link set eth0 down');
    try {
      const states = [];
      for (let i = 0; i < 3; i++) states.push(await check('db'));
      assert.deepEqual(states.map((s) => s.monitoring_state), ['critical', 'critical', 'down']);
      assert.deepEqual(states[0]!.layers, { icmp: false, ssh: null, privilege: null });
    } finally {
      lab.must('db', 'ip link set eth0 up');
    }
    const back = [];
    for (let i = 0; i < 3; i++) back.push((await check('db')).monitoring_state);
    assert.deepEqual(back, ['degraded', 'degraded', 'online']);
  });

  test('the scheduler probes due hosts through the same layers; a host in maintenance is left alone', async () => {
    const fleet = fleetServices(r.core);
    await call('PUT', `/api/v1/hosts/${hostIds.db}/maintenance`, { enabled: true });
    // Make web due now, as its interval would after the band's time.
    await r.core.db.kysely.updateTable('fleet_host_liveness').set({ next_probe_at: new Date(0).toISOString() }).execute();
    const before = (await call('GET', `/api/v1/hosts/${hostIds.web}/monitoring/history?limit=500`)).json().entries.length;
    const dbBefore = (await call('GET', `/api/v1/hosts/${hostIds.db}/monitoring/history?limit=500`)).json().entries.length;
    assert.equal(await fleet.liveness.tick(), 1, 'only web is probed');
    assert.equal((await call('GET', `/api/v1/hosts/${hostIds.web}/monitoring/history?limit=500`)).json().entries.length, before + 1);
    assert.equal((await call('GET', `/api/v1/hosts/${hostIds.db}/monitoring/history?limit=500`)).json().entries.length, dbBefore);
    const web = (await call('GET', `/api/v1/hosts/${hostIds.web}`)).json().liveness;
    assert.equal(web.monitoring_state, 'online');
    assert.ok(Date.parse(web.next_probe_at) > Date.now() + 0.8 * 900_000 - 60_000, 'the next probe is about the online interval away');
    assert.equal((await call('GET', `/api/v1/hosts/${hostIds.db}`)).json().liveness.monitoring_state, 'maintenance');
  });
});
