import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const DOC = '/api/v1/policy';

/**
 * A policy as Neuwerk's GET /api/v1/policy serialises it (serde models of PolicyConfig): every field present, null
 * for absent optional values, enum values in the spelling a client sent, a protocol number with ports, an exact
 * server_dn, Rust regex syntax.
 */
const neuwerkDocument = {
  default_policy: 'Deny',
  source_groups: [
    {
      id: 'office', priority: null, mode: 'enforce',
      sources: { cidrs: ['10.20.0.0/16'], ips: ['10.30.0.7'], kubernetes: [] },
      rules: [
        { id: 'dns', priority: 1, action: 'ALLOW', mode: null, match: { dst_cidrs: [], dst_ips: [], dns_hostname: '(?i)\\A(?P<host>api|www)\\.example\\.com\\z', proto: null, src_ports: [], dst_ports: [], icmp_types: [], icmp_codes: [], tls: null } },
        { id: 'https', priority: null, action: 'Allow', mode: 'audit', match: { dst_cidrs: ['203.0.113.0/24'], dst_ips: ['198.51.100.9'], dns_hostname: null, proto: 6, src_ports: [], dst_ports: [443, '8443-8444'], icmp_types: [], icmp_codes: [], tls: null } },
        { id: 'dn', priority: null, action: 'deny', mode: null, match: { dst_cidrs: [], dst_ips: [], dns_hostname: null, proto: 'Tcp', src_ports: [], dst_ports: [443], icmp_types: [], icmp_codes: [], tls: {
          mode: 'metadata', sni: { exact: ['blocked.example.com'], regex: null }, server_dn: 'CN=blocked.example.com, O=Example (Test)', server_san: null, server_cn: null,
          fingerprint_sha256: [], trust_anchors_pem: [], tls13_uninspectable: 'Deny', http: null,
        } } },
        { id: 'ping', priority: null, action: 'allow', mode: null, match: { dst_cidrs: [], dst_ips: [], dns_hostname: null, proto: 'icmp', src_ports: [], dst_ports: [], icmp_types: [0, 8], icmp_codes: [], tls: null } },
      ],
      default_action: null,
    },
    {
      id: 'servers', priority: 5, mode: 'Audit',
      sources: { cidrs: ['10.40.0.0/16'], ips: [], kubernetes: [] },
      rules: [{ id: 'dns-any', priority: null, action: 'allow', mode: null, match: { dst_cidrs: [], dst_ips: [], dns_hostname: '^.*$', proto: 17, src_ports: ['1024-65535'], dst_ports: [53], icmp_types: [], icmp_codes: [], tls: null } }],
      default_action: 'DENY',
    },
  ],
};

describe('egress policy document (/api/v1/policy)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;

  before(async () => {
    r = await createTestRampart();
    [admin, reader] = await Promise.all([signIn(r, { roles: ['admin'] }), signIn(r, { roles: ['readonly'] })]);
  });
  after(() => r.cleanup());
  beforeEach(async () => {
    await r.core.db.kysely.deleteFrom('egress_policies').execute();
  });

  const call = (method: string, url: string, who: SignedIn, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  test('a document in Neuwerk\'s own output form round-trips: PUT then GET gives it back', async () => {
    const put = await call('PUT', DOC, admin, neuwerkDocument);
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json(), neuwerkDocument);
    const got = await call('GET', DOC, reader);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), neuwerkDocument);
    const yaml = await call('GET', `${DOC}?format=YAML`, reader);
    assert.match(String(yaml.headers['content-type']), /^application\/yaml/);
    assert.deepEqual(parseYaml(yaml.body), neuwerkDocument);
    assert.equal((await call('PUT', DOC, reader, neuwerkDocument)).statusCode, 403);
  });

  test('what the document means is enforced: enums lower-cased, Rust regexes translated, the record active', async () => {
    assert.equal((await call('PUT', DOC, admin, neuwerkDocument)).statusCode, 200);
    const services = egressServices(r.core);
    const effective = await services.policies.effective();
    assert.equal(effective.default_policy, 'deny');
    assert.deepEqual(effective.groups.map((g) => [g.id, g.mode, g.default_action]), [['servers', 'audit', 'deny'], ['office', 'enforce', 'deny']]);
    const compiled = (await services.policies.latestCompiled())!;
    const dnsRule = compiled.dns.groups.find((g) => g.id === 'office')!.rules[0]!;
    const re = new RegExp(dnsRule.hostname, dnsRule.flags);
    assert.ok(re.test('WWW.example.com') && !re.test('www.example.com.evil'));
    const records = (await call('GET', '/api/v1/policies', reader)).json();
    assert.equal(records.length, 1);
    assert.equal('name' in records[0], false, 'the document\'s record has no name');
    assert.equal(records[0].mode, 'enforce');
  });

  test('the document is the active record: a PUT rewrites it and keeps its name; none active reads as allow-all', async () => {
    assert.deepEqual((await call('GET', DOC, reader)).json(), { default_policy: 'allow', source_groups: [] });
    const created = await call('POST', '/api/v1/policies', admin, { name: 'team', mode: 'audit', policy: { source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] } }] } });
    assert.equal(created.statusCode, 200, created.body);
    const doc = (await call('GET', DOC, reader)).json();
    assert.deepEqual(doc.source_groups.map((g: { id: string; mode: string; rules: unknown[] }) => [g.id, g.mode, g.rules]), [['g', 'enforce', []]]);
    assert.equal((await call('PUT', DOC, admin, { default_policy: 'allow', source_groups: [] })).statusCode, 200);
    const record = (await call('GET', `/api/v1/policies/${created.json().id}`, reader)).json();
    assert.equal(record.name, 'team');
    assert.equal(record.mode, 'enforce', 'a document write enforces, as Neuwerk\'s does');
    assert.deepEqual(record.policy, { default_policy: 'allow', source_groups: [] });
  });

  test('bad documents get 400 in the egress envelope and change nothing', async () => {
    for (const body of [
      { source_groups: [{ id: 'g', mode: 'enforce', sources: { cidrs: ['10.0.0.0/8'] }, rules: [{ id: 'r', action: 'allow', match: { dns_hostname: '(?=x)' } }] }] },
      { source_groups: [{ id: null, sources: { cidrs: ['10.0.0.0/8'] } }] },
      { default_policy: 'sometimes' },
      [1, 2],
    ]) {
      const res = await call('PUT', DOC, admin, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(Object.keys(res.json()), ['error']);
    }
    const raw = await r.app.inject({ method: 'PUT', url: DOC, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: '{"source_groups": [' });
    assert.equal(raw.statusCode, 400);
    assert.deepEqual(Object.keys(raw.json()), ['error']);
    assert.deepEqual((await call('GET', '/api/v1/policies', reader)).json(), []);
  });

  test('no 500 for anything a client can send to a policy route: 4xx in the egress envelope', async () => {
    const record = await call('POST', '/api/v1/policies', admin, { name: 'keep', policy: { source_groups: [] } });
    const deep = `{"source_groups": ${'['.repeat(20000)}${']'.repeat(20000)}}`;
    const group = (patch: Record<string, unknown>) => ({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] }, rules: [], ...patch }] });
    const policies = [null, [], 'x', 42, true, { source_groups: {} }, { source_groups: [null] }, { source_groups: [[]] }, group({ rules: [null] }), group({ rules: [{ id: 'r', action: 'allow', match: null }] }),
      group({ rules: [{ id: 'r', action: 7, match: { proto: {}, dst_ports: [{}], dns_hostname: 'a'.repeat(5000) } }] }), group({ priority: 1e300 }), group({ sources: null }), group({ mode: ['audit'] })];
    const bodies = [
      ...policies.map((policy) => ({ url: '/api/v1/policy', method: 'PUT', payload: JSON.stringify(policy) })),
      ...policies.map((policy) => ({ url: '/api/v1/policies', method: 'POST', payload: JSON.stringify({ name: 'x', policy }) })),
      ...policies.map((policy) => ({ url: `/api/v1/policies/${record.json().id}`, method: 'PUT', payload: JSON.stringify({ policy }) })),
      ...policies.map((policy) => ({ url: '/api/v1/policies/by-name/x', method: 'PUT', payload: JSON.stringify({ policy }) })),
      ...['null', '[]', '"x"', '{"mode": 5, "policy": {}}', '{"name": {}, "policy": {}}', '{"name": "\u0000", "policy": {}}', deep].flatMap((payload) => [
        { url: '/api/v1/policy', method: 'PUT', payload },
        { url: '/api/v1/policies', method: 'POST', payload },
        { url: `/api/v1/policies/${record.json().id}`, method: 'PUT', payload },
      ]),
    ];
    for (const { url, method, payload } of bodies) {
      const res = await r.app.inject({ method: method as 'PUT', url, headers: { ...admin.headers, 'content-type': 'application/json' }, payload });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${url} ${payload.slice(0, 80)}: ${res.statusCode} ${res.body}`);
      assert.deepEqual(Object.keys(res.json()), ['error'], res.body);
    }
    for (const url of ['/api/v1/policy?format=xml', '/api/v1/policies?format=toml', '/api/v1/policies/not-a-uuid/telemetry', '/api/v1/policies/not-a-uuid', '/api/v1/policies/by-name/nobody']) {
      const res = await call('GET', url, reader);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`);
      assert.deepEqual(Object.keys(res.json()), ['error']);
    }
    const wrongMethod = await call('DELETE', DOC, admin);
    assert.equal(wrongMethod.statusCode, 405);
    assert.match(String(wrongMethod.headers.allow), /GET/);
    assert.deepEqual(Object.keys(wrongMethod.json()), ['error']);
    assert.deepEqual((await call('GET', '/api/v1/policies', reader)).json().map((x: { name: string }) => x.name), ['keep'], 'nothing was stored');
  });

  test('older clients\' per-record telemetry: the active record has the hits, others none', async () => {
    const active = (await call('POST', '/api/v1/policies', admin, { name: 'on', policy: { source_groups: [] } })).json();
    const parked = (await call('POST', '/api/v1/policies', admin, { name: 'off', mode: 'disabled', policy: { source_groups: [] } })).json();
    egressServices(r.core).policyTelemetry.recordHit('g');
    const items = async (id: string) => (await call('GET', `/api/v1/policies/${id}/telemetry`, reader)).json().items;
    assert.deepEqual((await items(active.id)).map((i: { source_group_id: string }) => i.source_group_id), ['g']);
    assert.deepEqual(await items(parked.id), []);
  });

  test('telemetry counts hits per source group over 24 hours, in Neuwerk\'s shape', async () => {
    const telemetry = egressServices(r.core).policyTelemetry;
    const now = Math.floor(Date.now() / 1000);
    telemetry.recordHit('tele-office', now);
    telemetry.recordHit('tele-office', now - 60);
    telemetry.recordHit('tele-office', now - 30 * 3600);
    telemetry.recordHit('tele-servers', now - 25 * 3600);
    for (const path of [`${DOC}/telemetry`, `${DOC}/telemetry/local`]) {
      const res = await call('GET', path, reader);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      // The store lives as long as the node: only this test's groups are looked at.
      assert.deepEqual({ ...body, items: body.items.filter((i: { source_group_id: string }) => i.source_group_id.startsWith('tele-')) }, {
        items: [
          { source_group_id: 'tele-office', current_24h_hits: 2, previous_24h_hits: 1 },
          { source_group_id: 'tele-servers', current_24h_hits: 0, previous_24h_hits: 1 },
        ],
        partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1,
      });
    }
  });
  test('a dry run names every problem at its path and changes nothing', async () => {
    await call('PUT', DOC, admin, neuwerkDocument);
    const before = (await call('GET', DOC, reader)).json();
    const broken = { default_policy: 'deny', source_groups: [{ id: 'office', sources: { cidrs: ['10.0.0.0/33'] }, rules: [{ id: 'r', action: 'maybe', match: {} }] }] };
    const res = await call('POST', `${DOC}/dry-run`, reader, broken);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.valid, false);
    assert.equal(body.changes, null);
    const paths = body.issues.map((i: { path: string }) => i.path);
    assert.ok(paths.includes('policy.source_groups[0].sources.cidrs[0]'), JSON.stringify(body.issues));
    assert.ok(paths.includes('policy.source_groups[0].rules[0].action'), JSON.stringify(body.issues));
    assert.deepEqual((await call('GET', DOC, reader)).json(), before, 'nothing stored');
  });

  test('a dry run of a valid document lists what a PUT would change, by group and rule id', async () => {
    await call('PUT', DOC, admin, neuwerkDocument);
    const [office, servers] = structuredClone(neuwerkDocument.source_groups);
    const proposed = {
      default_policy: 'allow',
      source_groups: [
        { ...office, rules: [...office.rules.filter((r) => r.id !== 'ping').map((r) => (r.id === 'dns' ? { ...r, action: 'deny' } : r)), { ...office.rules[3], id: 'ping-2' }] },
        { ...servers, id: 'lab' },
      ],
    };
    const res = await call('POST', `${DOC}/dry-run`, reader, proposed);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      valid: true,
      issues: [],
      changes: {
        default_policy: { from: 'deny', to: 'allow' },
        groups_added: ['lab'],
        groups_removed: ['servers'],
        groups_changed: [{ id: 'office', fields: [], rules_added: ['ping-2'], rules_removed: ['ping'], rules_changed: ['dns'] }],
      },
    });
    // The same document again changes nothing; the enforced policy is still the stored one.
    const same = (await call('POST', `${DOC}/dry-run`, reader, neuwerkDocument)).json();
    assert.deepEqual(same.changes, { default_policy: null, groups_added: [], groups_removed: [], groups_changed: [] });
    assert.equal((await call('GET', DOC, reader)).json().default_policy, 'Deny');
  });

  test('a dry run reports a rule that needs a missing TLS-intercept CA at that rule; it needs a signed-in caller', async () => {
    const intercept = { source_groups: [{ id: 'g', sources: { cidrs: ['10.0.0.0/24'] }, rules: [{ id: 'tls', action: 'allow', match: { proto: 'tcp', dst_ports: [443], tls: { mode: 'intercept', http: { request: { methods: ['GET'] } } } } }] }] };
    const body = (await call('POST', `${DOC}/dry-run`, reader, intercept)).json();
    assert.equal(body.valid, false);
    assert.equal(body.issues[0].path, 'policy.source_groups[0].rules[0].match.tls.mode');
    assert.match(body.issues[0].message, /TLS-intercept CA/);
    const anonymous = await r.app.inject({ method: 'POST', url: `${DOC}/dry-run`, payload: intercept });
    assert.equal(anonymous.statusCode, 401);
  });
});
