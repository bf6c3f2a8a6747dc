import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { GENERATIONS_KEPT } from '../../src/modules/egress/policy/policy.store.js';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../../src/modules/egress/compiler/compile-cache.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { selfSigned } from '../helpers/egress-pki.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const BASE = '/api/v1/policies';

/** The example policy of research/neuwerk.md: the office may resolve api.example.com and speak HTTPS; default deny. */
const office = (extra: Record<string, unknown> = {}) => ({
  default_policy: 'deny',
  source_groups: [{
    id: 'office-users', mode: 'enforce', sources: { cidrs: ['10.20.0.0/16'] }, default_action: 'deny',
    rules: [
      { id: 'allow-example-dns', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } },
      { id: 'allow-example-https', action: 'allow', match: { proto: 'tcp', dst_ports: [443] } },
    ],
    ...extra,
  }],
});
const groupOnly = (id: string, cidr = '10.30.0.0/16') => ({ source_groups: [{ id, sources: { cidrs: [cidr] }, rules: [] }] });

describe('egress policies (/api/v1/policies)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;

  before(async () => {
    r = await createTestRampart();
    [admin, reader] = await Promise.all([signIn(r, { roles: ['admin'] }), signIn(r, { roles: ['readonly'] })]);
  });
  after(() => r.cleanup());
  // Records persist across tests; each test names its own and leaves only disabled or distinct ones behind.
  beforeEach(async () => {
    await r.core.db.kysely.deleteFrom('egress_policies').execute();
  });

  async function call(method: string, url: string, who: SignedIn, payload?: unknown) {
    return r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  async function create(name: string, policy: unknown, mode = 'enforce') {
    const res = await call('POST', BASE, admin, { name, mode, policy });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  /** Asserts a 4xx with the egress envelope and returns its message. */
  async function refused(status: number, method: string, url: string, payload?: unknown): Promise<string> {
    const res = await call(method, url, admin, payload);
    assert.equal(res.statusCode, status, res.body);
    assert.deepEqual(Object.keys(res.json()), ['error']);
    return res.json().error;
  }
  const generations = () => r.core.db.kysely.selectFrom('egress_generations').select(['generation']).orderBy('generation').execute();
  const newestGeneration = async () => (await generations()).at(-1)?.generation ?? 0;

  test('create, list, get, replace and delete a record; readers may read but not write', async () => {
    const created = await create('office-egress', office());
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.name, 'office-egress');
    assert.equal(created.mode, 'enforce');
    assert.deepEqual(created.policy, office());
    assert.equal(created.created_at, created.updated_at);

    assert.deepEqual((await call('GET', BASE, reader)).json(), [created]);
    assert.deepEqual((await call('GET', `${BASE}/${created.id}`, reader)).json(), created);
    assert.equal((await call('POST', BASE, reader, { name: 'x', policy: groupOnly('x') })).statusCode, 403);

    const replaced = await call('PUT', `${BASE}/${created.id}`, admin, { mode: 'audit', policy: groupOnly('office-users') });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().name, 'office-egress', 'a PUT without a name keeps it');
    assert.equal(replaced.json().mode, 'audit');
    assert.deepEqual(replaced.json().policy, { source_groups: [{ id: 'office-users', sources: { cidrs: ['10.30.0.0/16'] }, rules: [] }] });
    assert.equal(replaced.json().created_at, created.created_at);

    const deleted = await call('DELETE', `${BASE}/${created.id}`, admin);
    assert.equal(deleted.statusCode, 204);
    assert.deepEqual((await call('GET', BASE, admin)).json(), []);
    assert.equal(await refused(404, 'GET', `${BASE}/${created.id}`), 'policy not found');
  });

  test('404 for unknown ids and names, and for ids that are not UUIDs', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal(await refused(404, 'GET', `${BASE}/${unknown}`), 'policy not found');
    assert.equal(await refused(404, 'GET', `${BASE}/not-a-uuid`), 'policy not found');
    assert.equal(await refused(404, 'PUT', `${BASE}/not-a-uuid`, { name: 'x', policy: groupOnly('x') }), 'policy not found');
    assert.equal(await refused(404, 'PUT', `${BASE}/${unknown}`, { name: 'x', policy: groupOnly('x') }), 'policy not found');
    assert.equal(await refused(404, 'DELETE', `${BASE}/${unknown}`), 'policy not found');
    assert.equal(await refused(404, 'GET', `${BASE}/by-name/nobody`), 'policy "nobody" not found');
  });

  test('invalid policies get 400 naming the path of the problem, and nothing is stored', async () => {
    const before = await newestGeneration();
    const post = (policy: unknown) => refused(400, 'POST', BASE, { name: 'bad', policy });
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: { dns_hostname: '(unclosed' } }] })), /^policy\.source_groups\[0\]\.rules\[0\]\.match\.dns_hostname: "\(unclosed" is not a valid regex/);
    assert.match(await post(office({ sources: { cidrs: ['10.20.0.0/40'] } })), /^policy\.source_groups\[0\]\.sources\.cidrs\[0\]: "10.20.0.0\/40" is not a CIDR/);
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: { dst_ports: [443, '80-'] } }] })), /rules\[0\]\.match\.dst_ports\[1\]: "80-" is not a port or a range/);
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: { dst_ports: ['2000-1000'] } }] })), /its start is above its end/);
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: { proto: 'tcp', icmp_types: [8] } }] })), /icmp_types needs proto icmp or icmpv6/);
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: {} }, { id: 'r', action: 'deny', match: {} }] })), /rules\[1\]\.id: duplicate rule id "r"/);
    assert.match(await post({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] } }, { id: 'g', sources: { ips: ['10.0.0.2'] } }] }), /source_groups\[1\]\.id: duplicate source group id "g"/);
    assert.match(await post(office({ rules: [{ id: 'r', action: 'allow', match: { dst_port: [443] } }] })), /match: unknown field "dst_port"/);
    assert.equal(await refused(400, 'POST', BASE, { name: 'bad' }), 'policy: required');
    assert.match(await refused(400, 'POST', BASE, { name: 42, policy: office() }), /^name: must be a string/);
    assert.match(await refused(400, 'POST', BASE, { name: 'bad', mode: 'sometimes', policy: office() }), /mode/);
    assert.deepEqual((await call('GET', BASE, admin)).json(), []);
    assert.equal(await newestGeneration(), before, 'a refused write makes no generation');
  });

  test('malformed bodies get 400 in the egress envelope', async () => {
    const raw = await r.app.inject({ method: 'POST', url: BASE, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: '{"name": "x", ' });
    assert.equal(raw.statusCode, 400);
    assert.deepEqual(Object.keys(raw.json()), ['error']);
    assert.equal(await refused(400, 'POST', BASE, [1, 2]).then((m) => typeof m), 'string');
    assert.match(await refused(400, 'POST', BASE, { name: 'x', policy: 'deny everything' }), /^policy: Invalid input: expected object/);
  });

  test('bodies parsed group by group answer as JSON.parse would: prototype keys, invalid JSON and repeated groups', async () => {
    const body = (port: number) => ({ name: 'by-group', policy: { source_groups: [1, 2, 3].map((g) => ({ id: `g${g}`, sources: { cidrs: [`10.${60 + g}.0.0/16`] }, rules: [{ id: 'r', action: 'allow', match: { proto: 'tcp', dst_ports: [g === 2 ? port : 443] } }] })) } });
    const send = (text: string) => r.app.inject({ method: 'POST', url: BASE, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: text });
    const first = await send(JSON.stringify(body(80)));
    assert.equal(first.statusCode, 200, first.body);
    const text = JSON.stringify(body(81));
    const poisoned = text.replace('"rules":[{"id":"r"', '"rules":[{"__proto__":{"x":1},"id":"r"');
    for (const bad of [poisoned, text.replace('"g3"', '"g3"]'), text.slice(0, -2)]) {
      const res = await send(bad);
      assert.equal(res.statusCode, 400, bad.slice(-60));
      assert.deepEqual(Object.keys(res.json()), ['error']);
    }
    // A body that repeats the groups of the last one, and names a group twice, is refused as a duplicate, not merged.
    const twice = JSON.parse(text);
    twice.policy.source_groups.push(twice.policy.source_groups[0]);
    assert.match(await refused(400, 'PUT', `${BASE}/${first.json().id}`, twice), /duplicate source group id "g1"/);
    const put = await r.app.inject({ method: 'PUT', url: `${BASE}/${first.json().id}`, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: text });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.headers['content-length'], String(Buffer.byteLength(put.body)));
    assert.deepEqual(put.json().policy, JSON.parse(text).policy);
    // A key given twice: the last one counts, as with JSON.parse.
    const again = await r.app.inject({ method: 'PUT', url: `${BASE}/${first.json().id}`, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: `${text.slice(0, -1)},"policy":{"source_groups":[]}}` });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json().policy, { source_groups: [] });
  });

  test('a one-rule change to a policy of 1,024 groups answers the record as sent and adds under 100 kB to the database', async () => {
    const policy = (port: number) => ({
      default_policy: 'deny',
      source_groups: Array.from({ length: 1024 }, (_, g) => ({
        id: `g${g}`, sources: { cidrs: [`10.${100 + (g >> 8)}.${g & 255}.0/24`] }, default_action: 'deny',
        rules: Array.from({ length: 4 }, (_, i) => ({ id: `r${i}`, action: 'allow', match: { proto: 'tcp', dst_ports: [g === 600 && i === 0 ? port : 1000 + i], dst_cidrs: [`198.18.${i}.0/24`] } })),
      })),
    });
    const created = await create('large', policy(1));
    const services = egressServices(r.core);
    const before = await services.policies.generationStorage();
    for (const port of [2, 3]) {
      const res = await call('PUT', `${BASE}/${created.id}`, admin, { name: 'large', mode: 'enforce', policy: policy(port) });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { ...created, policy: policy(port), updated_at: res.json().updated_at });
      assert.deepEqual((await call('GET', `${BASE}/${created.id}`, admin)).json(), res.json());
    }
    const grown = ((await services.policies.generationStorage()).bytes - before.bytes) / 2;
    assert.ok(grown < 100 * 1024, `a one-rule generation took ${Math.round(grown / 1024)} kB`);
  });

  test('a duplicate name is 409, on create and on rename', async () => {
    const first = await create('team-a', groupOnly('a'));
    await create('team-b', groupOnly('b', '10.40.0.0/16'));
    assert.match(await refused(409, 'POST', BASE, { name: 'team-a', policy: groupOnly('c', '10.50.0.0/16') }), /a policy named "team-a" already exists/);
    const other = (await call('GET', `${BASE}/by-name/team-b`, admin)).json();
    assert.match(await refused(409, 'PUT', `${BASE}/${other.id}`, { name: 'team-a', policy: groupOnly('b', '10.40.0.0/16') }), /team-a/);
    assert.equal((await call('GET', `${BASE}/${first.id}`, admin)).json().name, 'team-a');
  });

  test('one record is active, as in Neuwerk: the last written in enforce or audit mode; disabling or deleting it leaves none', async () => {
    const active = async () => (await egressServices(r.core).policies.active())?.name ?? null;
    const a = await create('team-a', groupOnly('shared'));
    const b = await create('team-b', groupOnly('shared', '10.99.0.0/16'));
    assert.equal(await active(), 'team-b', 'two records may use one group id: only one is enforced');
    assert.deepEqual((await egressServices(r.core).policies.effective()).groups.map((g) => [g.id, g.sources]), [['shared', ['10.99.0.0/16']]]);
    await create('parked', groupOnly('parked'), 'disabled');
    assert.equal(await active(), 'team-b', 'a disabled record does not take over');
    assert.equal((await call('PUT', `${BASE}/${a.id}`, admin, { mode: 'Audit', policy: groupOnly('shared') })).statusCode, 200);
    assert.equal(await active(), 'team-a', 'a replaced record in audit mode becomes the active one');
    assert.equal((await call('PUT', `${BASE}/${a.id}`, admin, { mode: 'disabled', policy: groupOnly('shared') })).statusCode, 200);
    assert.equal(await active(), null, 'disabling the active record leaves none (no fallback to an older one)');
    assert.deepEqual(await egressServices(r.core).policies.effective(), { generation: await newestGeneration(), default_policy: 'allow', groups: [] });
    assert.equal((await call('PUT', `${BASE}/by-name/team-b`, admin, { mode: 'enforce', policy: groupOnly('b') })).statusCode, 200);
    assert.equal(await active(), 'team-b');
    assert.equal((await call('DELETE', `${BASE}/${b.id}`, admin)).statusCode, 204);
    assert.equal(await active(), null, 'deleting the active record leaves none');
  });

  test('a name is optional on create (omitted from the record), and names compare case-insensitively', async () => {
    const unnamed = await call('POST', BASE, admin, { mode: 'ENFORCE', policy: groupOnly('anon') });
    assert.equal(unnamed.statusCode, 200, unnamed.body);
    assert.equal('name' in unnamed.json(), false);
    assert.equal(unnamed.json().mode, 'enforce', 'the mode is read in any case and stored lower-case');
    assert.equal((await call('POST', BASE, admin, { name: null, policy: groupOnly('anon2') })).statusCode, 200, 'null is no name');
    await create('Team-C', groupOnly('c'));
    assert.match(await refused(409, 'POST', BASE, { name: ' team-c ', policy: groupOnly('c2') }), /already exists/);
    assert.equal((await call('GET', `${BASE}/by-name/TEAM-C`, admin)).json().name, 'Team-C');
  });

  test('?format=yaml answers application/yaml that parses back to the same record', async () => {
    const created = await create('yaml-me', office({ rules: [{ id: 'ports', action: 'allow', match: { proto: 'tcp', dst_ports: [443, '8000-8080'], dns_hostname: '^a\\.b$' } }] }));
    for (const url of [`${BASE}/${created.id}?format=yaml`, `${BASE}/by-name/yaml-me?format=YAML`]) {
      const res = await call('GET', url, reader);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.headers['content-type'] as string, /^application\/yaml/);
      assert.deepEqual(parseYaml(res.body), created);
    }
    const list = await call('GET', `${BASE}?format=yaml`, reader);
    assert.deepEqual(parseYaml(list.body), [created]);
    assert.equal((await call('GET', `${BASE}/${created.id}?format=json`, reader)).json().id, created.id);
    assert.match(await refused(400, 'GET', `${BASE}/${created.id}?format=xml`), /format: must be json or yaml/);
  });

  test('PUT by name creates, then replaces, keeping the id', async () => {
    const url = `${BASE}/by-name/branch-office`;
    const first = await call('PUT', url, admin, { mode: 'audit', policy: groupOnly('branch') });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().name, 'branch-office');
    assert.equal(first.json().mode, 'audit');
    const second = await call('PUT', url, admin, { mode: 'enforce', policy: office() });
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(second.json().id, first.json().id);
    assert.deepEqual(second.json().policy, office());
    assert.deepEqual((await call('GET', url, reader)).json(), second.json());
    assert.equal((await call('GET', BASE, reader)).json().length, 1);
    assert.match(await refused(400, 'PUT', url, { name: 'elsewhere', policy: office() }), /differs from the name in the path/);
    assert.equal((await call('PUT', url, reader, { policy: office() })).statusCode, 403);
  });

  test('every write makes the next generation, a compiled row, and announces it after commit', async () => {
    const announced: number[] = [];
    const unsubscribe = r.core.events.subscribe('egress.policy.compiled', (event) => void announced.push((event.payload as { generation: number }).generation));
    try {
      const start = await newestGeneration();
      const created = await create('gen', office());
      const afterCreate = await generations();
      assert.equal(afterCreate.at(-1)!.generation, start + 1);
      const compiled = (await egressServices(r.core).policies.generation(start + 1))!.compiled;
      assert.equal(compiled.generation, start + 1);
      assert.match(compiled.nft, /table inet rampart_egress/);
      assert.equal(compiled.dns.default_policy, 'deny');
      assert.deepEqual(compiled.dns.groups.map((g) => [g.id, g.rules.map((rule) => rule.hostname)]), [['office-users', ['^api\\.example\\.com$']]]);

      const services = egressServices(r.core);
      assert.equal((await services.policies.effective()).generation, start + 1);
      assert.equal((await services.policies.latestCompiled())!.generation, start + 1);

      await call('PUT', `${BASE}/${created.id}`, admin, { mode: 'disabled', policy: office() });
      assert.equal(await newestGeneration(), start + 2);
      assert.deepEqual(await services.policies.effective(), { generation: start + 2, default_policy: 'allow', groups: [] }, 'nothing active: allow, no groups');
      await call('DELETE', `${BASE}/${created.id}`, admin);
      assert.equal(await newestGeneration(), start + 3);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(announced, [start + 1, start + 2, start + 3]);
    } finally {
      unsubscribe();
    }
  });

  test('concurrent writes each get their own generation, and the last one committed is the active one', async () => {
    const start = await newestGeneration();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => call('POST', BASE, admin, { name: `parallel-${n}`, policy: groupOnly(`parallel-${n}`, `10.${n}.0.0/16`) })));
    assert.deepEqual(results.map((res) => res.statusCode), [200, 200, 200, 200, 200]);
    const numbers = (await generations()).map((g) => g.generation).filter((g) => g > start);
    assert.deepEqual(numbers, [start + 1, start + 2, start + 3, start + 4, start + 5]);
    const effective = await egressServices(r.core).policies.effective();
    const active = await egressServices(r.core).policies.active();
    assert.deepEqual(effective.groups.map((g) => g.id), [active!.name], 'the newest generation compiles the record that is active');
  });

  test(`only the newest ${GENERATIONS_KEPT} generations are kept`, async () => {
    const created = await create('churn', groupOnly('churn'));
    for (let i = 0; i < GENERATIONS_KEPT + 2; i++) {
      const res = await call('PUT', `${BASE}/${created.id}`, admin, { policy: groupOnly('churn', `10.${i}.0.0/16`) });
      assert.equal(res.statusCode, 200, res.body);
    }
    const rows = await generations();
    assert.equal(rows.length, GENERATIONS_KEPT);
    assert.equal(rows.at(-1)!.generation - rows[0].generation, GENERATIONS_KEPT - 1);
  });

  test('generations share unchanged groups; storage stays bounded and every kept generation reads back as a full compile of it', async () => {
    const policy = (port: number) => ({
      source_groups: Array.from({ length: 8 }, (_, g) => ({
        id: `g${g}`, sources: { cidrs: [`10.${40 + g}.0.0/16`] },
        rules: [{ id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [g === 3 ? port : 443] } }],
      })),
    });
    const created = await create('storage', policy(1));
    const res = await call('PUT', `${BASE}/${created.id}`, admin, { policy: policy(2) });
    assert.equal(res.statusCode, 200, res.body);
    const manifest = async (n: number) =>
      JSON.parse((await r.core.db.kysely.selectFrom('egress_generations').select('manifest').where('generation', '=', n).executeTakeFirstOrThrow()).manifest);
    const [before, after] = [await manifest((await newestGeneration()) - 1), await manifest(await newestGeneration())];
    assert.equal(before.frame, after.frame, 'the frame is shared');
    assert.deepEqual(after.groups.map((h: string, i: number) => h === before.groups[i]), [true, true, true, false, true, true, true, true], 'only the changed group is a new part');
    for (let i = 0; i < GENERATIONS_KEPT * 2; i++) {
      const put = await call('PUT', `${BASE}/${created.id}`, admin, { policy: policy(3 + i) });
      assert.equal(put.statusCode, 200, put.body);
    }
    const services = egressServices(r.core);
    const kept = await services.policies.generationNumbers();
    assert.equal(kept.length, GENERATIONS_KEPT);
    const manifests = await r.core.db.kysely.selectFrom('egress_generations').select('manifest').execute();
    const referenced = new Set(manifests.flatMap((m) => { const parsed = JSON.parse(m.manifest); return [parsed.frame, ...parsed.groups]; }));
    const stored = await r.core.db.kysely.selectFrom('egress_generation_parts').select('hash').execute();
    assert.deepEqual(stored.map((p) => p.hash).sort(), [...referenced].sort(), 'exactly the parts kept generations use');
    assert.equal(await services.policies.generation(kept[0] - 1), null, 'a dropped generation is gone');
    for (const n of [kept[0], kept.at(-1)!]) {
      const generation = (await services.policies.generation(n))!;
      const full = compilePolicy(generation.effective, new CompileCache());
      assert.deepEqual(generation.compiled, full, `generation ${n} as a compile of its policy from nothing`);
    }
  });

  test('an audit record makes its groups audit and blocks nothing unclaimed; enums are read in any case', async () => {
    const audit = await create('observe', { default_policy: 'Deny', source_groups: [{ id: 'watched', mode: 'Enforce', sources: { ips: ['10.2.0.5'] }, default_action: 'DENY', rules: [{ id: 'r', action: 'Deny', mode: 'ENFORCE', match: { proto: 'Tcp', dst_ports: [22] } }] }] }, 'audit');
    const effective = await egressServices(r.core).policies.effective();
    assert.equal(effective.default_policy, 'allow');
    assert.deepEqual(effective.groups.map((g) => [g.id, g.mode, g.default_action, g.sources, g.policy_id]), [['watched', 'audit', 'deny', ['10.2.0.5/32'], audit.id]]);
    assert.deepEqual(effective.groups[0].rules.map((x) => [x.action, x.mode, x.match.proto]), [['deny', 'audit', 'tcp']]);
    assert.equal(audit.policy.source_groups[0].default_action, 'DENY', 'the record keeps the spelling sent');
  });

  test('kubernetes sources must name an existing integration', async () => {
    const source = (integration: string) => ({ source_groups: [{ id: 'pods', sources: { kubernetes: [{ integration, pod_selector: { namespace: 'prod' } }] }, rules: [] }] });
    assert.equal(
      await refused(400, 'POST', BASE, { name: 'k8s', policy: source('no-such-cluster') }),
      'policy.source_groups[0].sources.kubernetes[0].integration: unknown kubernetes integration "no-such-cluster"',
    );
    const ca = await selfSigned({ name: 'kubernetes' });
    // Nothing listens there: selectors resolve in the background, so activating the record does not wait on it
    // (test/api/egress-integrations.test.ts follows the resolution); meanwhile the group claims no address.
    const integration = await call('POST', '/api/v1/integrations', admin, { name: 'cluster-a', kind: 'kubernetes', api_server_url: 'https://127.0.0.1:9', ca_cert_pem: ca.certPem, service_account_token: 'token' });
    assert.equal(integration.statusCode, 200, integration.body);
    const parked = await call('POST', BASE, admin, { name: 'k8s', mode: 'disabled', policy: source('cluster-a') });
    assert.equal(parked.statusCode, 200, parked.body);
    const activate = await call('PUT', `${BASE}/${parked.json().id}`, admin, { mode: 'enforce', policy: source('cluster-a') });
    assert.equal(activate.statusCode, 200, activate.body);
    const status = (await call('GET', `${BASE}/${parked.json().id}/status`, admin)).json();
    assert.deepEqual([status.kubernetes_resolved, status.kubernetes[0].resolved, status.kubernetes[0].addresses], [false, false, []]);
    assert.equal((await call('DELETE', `${BASE}/${parked.json().id}`, admin)).statusCode, 204);
  });

  test('tls.mode intercept needs a TLS-intercept CA', async () => {
    const intercept = office({
      rules: [{ id: 'api-get', action: 'allow', match: { proto: 'tcp', dst_ports: [443], tls: { mode: 'intercept', http: { request: { methods: ['GET'], path: { prefix: ['/v1/'] } } } } } }],
    });
    assert.match(await refused(400, 'POST', BASE, { name: 'mitm', policy: intercept }), /^policy\.source_groups\[0\]\.rules\[0\]\.match\.tls\.mode: tls\.mode intercept needs a TLS-intercept CA/);
    assert.equal((await call('POST', '/api/v1/settings/tls-intercept-ca/generate', admin)).statusCode, 200);
    const res = await call('POST', BASE, admin, { name: 'mitm', policy: intercept });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('writes are audited with the record and the generation', async () => {
    const created = await create('audited', groupOnly('audited'));
    await call('POST', BASE, admin, { name: 'audited', policy: groupOnly('x') });
    await call('DELETE', `${BASE}/${created.id}`, admin);
    const { items } = await r.core.audit.list({ resourceType: 'egress_policy' }, { limit: 50 });
    const rows = items.filter((e) => e.resource_id === created.id || e.details.name === 'audited' || e.action === 'egress.policy.create');
    const create_ = rows.find((e) => e.action === 'egress.policy.create' && e.result === 'success' && e.resource_id === created.id);
    assert.ok(create_, JSON.stringify(rows));
    assert.equal(create_.actor_id, admin.user.id);
    assert.equal(typeof create_.details.generation, 'number');
    assert.ok(rows.some((e) => e.action === 'egress.policy.create' && e.result === 'failure' && /already exists/.test(String(e.details.error))));
    assert.ok(rows.some((e) => e.action === 'egress.policy.delete' && e.result === 'success' && e.resource_id === created.id));
  });
});
