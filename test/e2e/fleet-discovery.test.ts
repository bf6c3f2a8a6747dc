/**
 * Discovery and intelligence through the API against real hosts (test/helpers/ssh-lab.ts): hosts and credentials
 * registered over HTTP, discovery facts compared with the hosts' own files, intelligence events for a user added
 * and a config file changed on one host, and a category that cannot be read kept (stale) rather than removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { parseOsRelease } from '../../src/modules/fleet/intelligence/discovery.parse.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';

describe('fleet discovery and intelligence on namespace hosts', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  const hostIds: Record<string, string> = {};
  const bodies: string[] = [];

  async function call(who: SignedIn, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
    const res = await r.app.inject({ method, url, headers: who.headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
    bodies.push(res.body);
    return res;
  }

  function assertFleetError(res: { statusCode: number; body: string; json(): any }, status: number, code?: string) {
    assert.equal(res.statusCode, status, res.body);
    assert.equal(typeof res.json().error?.human_message, 'string', 'the fleet envelope');
    if (code) assert.equal(res.json().error.code, code);
  }

  async function register(name: string, address: string): Promise<string> {
    const res = await call(admin, 'POST', '/api/v1/hosts', { hostname: name, ip_address: address });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }

  const discover = (hostId: string, who = admin) => call(who, 'POST', `/api/v1/hosts/${hostId}/discovery:run`, {});

  async function events(query: string) {
    const res = await call(viewer, 'GET', `/api/v1/intelligence/events?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { items: { event_code: string; severity: string; detail: Record<string, unknown>; host_id: string }[]; next_cursor: string | null };
  }

  before(async () => {
    lab = await startSshLab({
      hosts: [
        { name: 'alpha', login: 'key' },
        { name: 'beta', login: 'password', os: 'ubuntu2204' },
        { name: 'gamma', login: 'unreachable' },
      ],
    });
    r = await createTestRampart();
    const fleet = fleetServices(r.core);
    fleet.connector = createSshConnector({ hostKeys: fleet.hostKeys, audit: r.core.audit, dial: lab.dial });
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    // A loaded machine can take more than the default 5 s to finish an SSH handshake.
    assert.equal((await call(admin, 'PUT', '/api/v1/system/connectivity/config', { timeout_sec: 30 })).statusCode, 200);

    for (const name of ['alpha', 'beta', 'gamma']) {
      const host = lab.host(name);
      hostIds[name] = await register(name, host.address);
      const secret = host.privateKey ? { auth_method: 'ssh_key', private_key: host.privateKey } : { auth_method: 'password', password: host.password };
      const cred = await call(admin, 'POST', '/api/v1/credentials', { scope: 'host', scope_id: hostIds[name], name: `${name}-login`, username: host.username, ...secret });
      assert.equal(cred.statusCode, 201, cred.body);
    }
  });

  after(async () => {
    await lab?.close();
    await r?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  test('discovery reads the OS from the host itself: Debian 12 as the machine, Ubuntu 22.04 where the host says so', async () => {
    const own = parseOsRelease(lab.must('alpha', 'cat /etc/os-release'));
    const connections = fleetServices(r.core).connector.connectionsOpened(hostIds.alpha);
    const res = await discover(hostIds.alpha);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(fleetServices(r.core).connector.connectionsOpened(hostIds.alpha) - connections, 1, 'all of discovery over one connection');
    const facts = res.json().facts;
    assert.equal(facts.os.id, own.ID);
    assert.equal(facts.os.version_id, own.VERSION_ID);
    assert.equal(facts.os.pretty_name, own.PRETTY_NAME);
    assert.equal(facts.hostname, 'alpha');
    assert.equal(facts.architecture, lab.must('alpha', 'uname -m').trim());
    assert.equal(facts.kernel.release, lab.must('alpha', 'uname -r').trim());
    assert.equal(facts.privilege, 'sudo_nopasswd');
    assert.ok(facts.memory_total_mb > 0);

    const host = (await call(viewer, 'GET', `/api/v1/hosts/${hostIds.alpha}`)).json();
    const row = host.host ?? host;
    assert.equal(row.os_family, own.ID);
    assert.equal(row.os_version, own.VERSION_ID);
    assert.equal(row.platform_identifier, `${own.ID}${own.VERSION_ID}`);
    assert.ok(row.os_discovered_at);

    const info = await call(viewer, 'GET', `/api/v1/hosts/${hostIds.alpha}/system-info`);
    assert.equal(info.statusCode, 200);
    assert.deepEqual(info.json().facts, facts);

    const beta = await discover(hostIds.beta);
    assert.equal(beta.statusCode, 200, beta.body);
    assert.equal(beta.json().facts.os_family, 'ubuntu');
    assert.equal(beta.json().facts.platform_identifier, 'ubuntu2204');
    assert.equal(beta.json().facts.privilege, 'sudo_password');
  });

  test('discovery with an Idempotency-Key runs once: a retry gets the first answer', async () => {
    const headers = { ...admin.headers, 'idempotency-key': `discover-${hostIds.beta}` };
    const first = await r.app.inject({ method: 'POST', url: `/api/v1/hosts/${hostIds.beta}/discovery:run`, headers, payload: {} });
    assert.equal(first.statusCode, 200, first.body);
    const connections = fleetServices(r.core).connector.connectionsOpened(hostIds.beta);
    const retry = await r.app.inject({ method: 'POST', url: `/api/v1/hosts/${hostIds.beta}/discovery:run`, headers, payload: {} });
    assert.equal(retry.statusCode, 200);
    assert.equal(retry.json().discovered_at, first.json().discovered_at);
    assert.equal(fleetServices(r.core).connector.connectionsOpened(hostIds.beta), connections, 'the retry did not connect');
  });

  test('discovery of an unreachable host answers 502 host.unreachable and changes nothing', async () => {
    const res = await discover(hostIds.gamma);
    assertFleetError(res, 502, 'host.unreachable');
    const info = (await call(viewer, 'GET', `/api/v1/hosts/${hostIds.gamma}/system-info`)).json();
    assert.equal(info.collected_at, null);
    assert.equal(info.facts, null);
  });

  test('discovery needs host:write, a real host and a credential', async () => {
    assertFleetError(await discover(hostIds.alpha, viewer), 403);
    assertFleetError(await discover('00000000-0000-4000-8000-000000000000'), 404, 'hosts.not_found');
    const bare = await register('no-credential', '10.213.1.99');
    assertFleetError(await discover(bare), 409, 'credentials.not_resolved');
  });

  test('intelligence: a user added and a config file changed on one host become events for that host only', async () => {
    const fleet = fleetServices(r.core);
    const baseline = await fleet.intelligence.collect(hostIds.alpha);
    assert.deepEqual(baseline.events, [], 'the first snapshot is a baseline');
    await fleet.intelligence.collect(hostIds.beta);

    lab.must('alpha', 'useradd -m -s /bin/bash intruder && echo "# tuned by hand" >> /etc/ssh/sshd_config');
    assert.equal(lab.exec('beta', 'id intruder').status, 1, 'the other host does not see the user');

    const second = await fleet.intelligence.collect(hostIds.alpha);
    const codes = second.events.map((e) => `${e.event_code} ${JSON.stringify(e.detail)}`);
    assert.ok(codes.some((c) => c.startsWith('account.user.created') && c.includes('"user":"intruder"')), codes.join('\n'));
    assert.ok(codes.some((c) => c.startsWith('system.config.file_changed') && c.includes('/etc/ssh/sshd_config')), codes.join('\n'));
    assert.deepEqual((await fleet.intelligence.collect(hostIds.beta)).events, [], 'nothing changed on beta');

    const created = await events(`host_id=${hostIds.alpha}&event_code=account.user.created`);
    assert.equal(created.items.length, 1);
    assert.equal(created.items[0].severity, 'medium');
    assert.equal(created.items[0].detail.user, 'intruder');
    const changed = await events(`event_code=system.config.file_changed&severity=high`);
    assert.ok(changed.items.every((e) => e.host_id === hostIds.alpha));
    assert.ok(changed.items.some((e) => e.detail.path === '/etc/ssh/sshd_config'));
  });

  test('a category that cannot be read is stale with its last data, not reported as removed; read again, the change shows', async () => {
    const fleet = fleetServices(r.core);
    // useradd leaves the account locked ("!"): give it a password, so locking it later is a change.
    lab.must('alpha', 'chpasswd', 'intruder:Intruder-pass-1\n');
    const unlocked = await fleet.intelligence.collect(hostIds.alpha);
    assert.ok(unlocked.events.some((e) => e.event_code === 'account.user.unlocked' && e.detail.user === 'intruder'), JSON.stringify(unlocked.events));
    const before = (await call(viewer, 'GET', `/api/v1/intelligence/state/${hostIds.alpha}`)).json();
    assert.equal(before.category_freshness.shadow.status, 'ok');
    const shadowBefore = before.snapshot.shadow;

    // Without sudo, /etc/shadow and the watched-file hashes cannot be read; meanwhile an account is locked.
    lab.must('alpha', 'mv /etc/sudoers.d/fleetkey /root/fleetkey.sudoers && usermod -L intruder');
    const blind = await fleet.intelligence.collect(hostIds.alpha);
    assert.ok(blind.stale_categories.includes('shadow') && blind.stale_categories.includes('file_hashes'), blind.stale_categories.join());
    assert.ok(!blind.stale_categories.includes('users'));
    assert.ok(!blind.events.some((e) => e.event_code.startsWith('account.') || e.event_code === 'system.config.file_changed'), JSON.stringify(blind.events));

    const state = (await call(viewer, 'GET', `/api/v1/intelligence/state/${hostIds.alpha}`)).json();
    assert.equal(state.category_freshness.shadow.status, 'stale');
    assert.equal(state.category_freshness.shadow.reason, 'denied');
    assert.equal(state.category_freshness.shadow.observed_at, before.category_freshness.shadow.observed_at);
    assert.deepEqual(state.snapshot.shadow, shadowBefore, 'the last known data is carried forward');
    assert.equal(state.category_freshness.users.status, 'ok');

    lab.must('alpha', 'mv /root/fleetkey.sudoers /etc/sudoers.d/fleetkey');
    const seeing = await fleet.intelligence.collect(hostIds.alpha);
    assert.ok(seeing.events.some((e) => e.event_code === 'account.user.locked' && e.detail.user === 'intruder'), JSON.stringify(seeing.events));
    const after = (await call(viewer, 'GET', `/api/v1/intelligence/state/${hostIds.alpha}`)).json();
    assert.equal(after.category_freshness.shadow.status, 'ok');
  });

  test('events page newest first with an opaque cursor; bad filters are 400s', async () => {
    const all = await events(`host_id=${hostIds.alpha}&limit=200`);
    assert.ok(all.items.length >= 3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof events>> = await events(`host_id=${hostIds.alpha}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => JSON.stringify(e)));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, all.items.map((e) => JSON.stringify(e)));

    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/events?limit=0'), 400);
    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/events?limit=201'), 400);
    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/events?severity=urgent'), 400);
    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/events?since=yesterday'), 400);
    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/events?cursor=not-a-cursor'), 400);
    assertFleetError(await call(viewer, 'GET', '/api/v1/intelligence/state/00000000-0000-4000-8000-000000000000'), 404);
  });

  test('no secret appears in any response', () => {
    for (const name of ['alpha', 'beta']) {
      const host = lab.host(name);
      for (const secret of [host.password, host.privateKey?.split('\n')[1]].filter(Boolean) as string[]) {
        assert.ok(!bodies.some((b) => b.includes(secret)), `a response carried ${name}'s secret`);
      }
    }
  });
});
