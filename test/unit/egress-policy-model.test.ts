import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectivePolicy } from '../../src/modules/egress/policy/policy.effective.js';
import { parsePolicyConfig } from '../../src/modules/egress/policy/policy.model.js';
import { toNeuwerkDocument } from '../../src/modules/egress/policy/policy.document.js';
import type { PolicyConfig, PolicyRecord, RecordMode, SourceGroup } from '../../src/modules/egress/policy/policy.types.js';

/** The validation message for a policy whose third rule has `match` (and the group `extra`). */
function problemWith(match: unknown, extra: Record<string, unknown> = {}): string {
  const policy = {
    default_policy: 'deny',
    source_groups: [{
      id: 'office', sources: { cidrs: ['10.20.0.0/16'] }, default_action: 'deny',
      rules: [
        { id: 'dns', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } },
        { id: 'https', action: 'allow', match: { proto: 'tcp', dst_ports: [443] } },
        { id: 'third', action: 'allow', match },
      ],
      ...extra,
    }],
  };
  const result = parsePolicyConfig(policy);
  assert.equal(result.ok, false, `expected a problem with ${JSON.stringify(match)}`);
  return (result as { message: string }).message;
}

const at = 'policy.source_groups[0].rules[2].match';

describe('egress policy model: validation names the path of the problem', () => {
  test('a full policy with every match field is accepted as sent', () => {
    const policy = {
      default_policy: 'allow',
      source_groups: [{
        id: 'all-fields', mode: 'audit', priority: 5, default_action: 'allow',
        sources: { cidrs: ['10.0.0.0/8', '2001:db8::/32'], ips: ['192.0.2.7', '2001:db8::7'], kubernetes: [{ integration: 'k', pod_selector: { namespace: 'web', match_labels: { app: 'api' } } }] },
        rules: [{
          id: 'r', priority: 1, action: 'deny', mode: 'enforce',
          match: {
            dst_cidrs: ['203.0.113.0/24'], dst_ips: ['198.51.100.1'], proto: 'TCP', src_ports: ['1024-65535'], dst_ports: [443, '8000-8080'],
            dns_hostname: '^(www|api)\\.example\\.com$',
            tls: { sni: '^api\\.example\\.com$', server_san: ['api.example.com'], server_cn: { exact: ['api'], regex: '^api' }, fingerprint_sha256: ['AB'.repeat(32)], tls13_uninspectable: 'allow' },
          },
        }, { id: 'ping', action: 'allow', match: { proto: 'icmp', icmp_types: [0, 8], icmp_codes: [0] } }],
      }],
    };
    const result = parsePolicyConfig(policy);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.policy, policy);
  });

  test('ports and ranges', () => {
    assert.equal(problemWith({ dst_ports: [80, '80-'] }), `${at}.dst_ports[1]: "80-" is not a port or a range (0..65535, or "lo-hi")`);
    assert.match(problemWith({ dst_ports: ['90-80'] }), /dst_ports\[0\]: "90-80" is not a port or a range: its start is above its end/);
    assert.match(problemWith({ src_ports: [65536] }), /src_ports\[0\]: 65536 is not a port/);
    assert.match(problemWith({ dst_ports: [true] }), /dst_ports\[0\]: must be a port number or a "lo-hi" range string/);
  });

  test('regexes compile, and are not longer than 1,000 characters', () => {
    assert.match(problemWith({ dns_hostname: '([a-z' }), /match\.dns_hostname: "\(\[a-z" is not a valid regex/);
    assert.match(problemWith({ dns_hostname: 'a'.repeat(1001) }), /dns_hostname: the regex is longer than 1000 characters/);
    assert.match(problemWith({ dns_hostname: '  ' }), /dns_hostname: the regex is empty/);
    assert.match(problemWith({ tls: { sni: '(' } }), /match\.tls\.sni: "\(" is not a valid regex/);
    assert.match(problemWith({ tls: { server_san: { regex: '[' } } }), /match\.tls\.server_san\.regex: "\[" is not a valid regex/);
    assert.equal(parsePolicyConfig({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] }, rules: [{ id: 'r', action: 'allow', match: { tls: { server_dn: 'CN=*.example.com, O=Example (Test)' } } }] }] }).ok, true, 'server_dn is an exact DN, not a regex');
    assert.match(problemWith({ tls: { server_dn: ' ' } }), /match\.tls\.server_dn: must not be empty/);
  });

  test('addresses: IPv4 and IPv6 CIDRs and IPs', () => {
    assert.match(problemWith({ dst_cidrs: ['10.0.0.0/33'] }), /dst_cidrs\[0\]: "10.0.0.0\/33" is not a CIDR/);
    assert.match(problemWith({ dst_cidrs: ['2001:db8::/129'] }), /is not a CIDR/);
    assert.match(problemWith({ dst_ips: ['10.0.0.256'] }), /dst_ips\[0\]: "10.0.0.256" is not an IP address/);
    assert.match(problemWith({}, { sources: { cidrs: ['office'] } }), /^policy\.source_groups\[0\]\.sources\.cidrs\[0\]: "office" is not a CIDR/);
    assert.match(problemWith({}, { sources: {} }), /source_groups\[0\]\.sources: sources cannot be empty/);
  });

  test('protocols, and ICMP and port fields only where the protocol has them', () => {
    assert.match(problemWith({ proto: 'sctp' }), /match\.proto: "sctp" is not a protocol/);
    assert.match(problemWith({ proto: 256 }), /is not a protocol/);
    assert.equal(problemWith({ proto: 'tcp', icmp_types: [8] }), `${at}.icmp_types: icmp_types needs proto icmp or icmpv6 (or no proto), not proto "tcp"`);
    assert.match(problemWith({ proto: 'udp', icmp_codes: [0] }), /icmp_codes: icmp_codes needs proto icmp/);
    assert.match(problemWith({ proto: 'icmp', icmp_types: [256] }), /icmp_types\[0\]: must be 0..255/);
    assert.match(problemWith({ proto: 'icmp', dst_ports: [80] }), /match\.dst_ports: ports are not valid with proto "icmp"/);
    assert.match(problemWith({ proto: 1, src_ports: [80] }), /src_ports: ports are not valid with proto 1/);
    for (const proto of [6, 17, '6', 132]) assert.equal(parsePolicyConfig({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] }, rules: [{ id: 'r', action: 'allow', match: { proto, dst_ports: [443, '8000-8080'] } }] }] }).ok, true, `proto ${proto} with ports`);
    assert.match(problemWith({ proto: 'udp', tls: { sni: 'x' } }), /match\.tls: tls needs proto tcp/);
    assert.ok(parsePolicyConfig({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] }, rules: [{ id: 'r', action: 'allow', match: { proto: 58, icmp_types: [128] } }] }] }).ok);
  });

  test('unique group ids and rule ids; unknown fields; TLS modes; kubernetes selectors', () => {
    const twice = parsePolicyConfig({ source_groups: [{ id: 'a', sources: { ips: ['10.0.0.1'] } }, { id: 'a', sources: { ips: ['10.0.0.2'] } }] });
    assert.deepEqual(twice, {
      ok: false,
      message: 'policy.source_groups[1].id: duplicate source group id "a"',
      issues: [{ path: 'policy.source_groups[1].id', message: 'duplicate source group id "a"' }],
    });
    assert.match(problemWith({}, { rules: [{ id: 'x', action: 'allow', match: {} }, { id: 'x', action: 'deny', match: {} }] }), /rules\[1\]\.id: duplicate rule id "x" in this group/);
    assert.equal(problemWith({ dst_port: [80] }), `${at}: unknown field "dst_port"`);
    assert.match(problemWith({ tls: { mode: 'intercept', sni: 'x' } }), /tls\.mode: tls\.mode intercept cannot be combined with metadata matchers \(sni\)/);
    assert.match(problemWith({ tls: { http: { request: { methods: ['GET'] } } } }), /tls\.http: tls\.http is only valid when tls\.mode is intercept/);
    assert.match(problemWith({ tls: { mode: 'intercept', http: { request: { path: { regex: '(' } } } } }), /tls\.http\.request\.path\.regex: "\(" is not a valid regex/);
    assert.match(problemWith({}, { sources: { kubernetes: [{ integration: 'k' }] } }), /sources\.kubernetes\[0\]: set exactly one of pod_selector or node_selector/);
    assert.match(problemWith({ action: 'maybe' }), new RegExp(`${at.replace(/[.[\]]/g, '\\$&')}: unknown field "action"`));
  });

  test('a policy that is not an object, or fields of the wrong type', () => {
    assert.deepEqual(parsePolicyConfig(undefined), { ok: false, message: 'policy: required', issues: [{ path: 'policy', message: 'required' }] });
    assert.match((parsePolicyConfig('deny all') as { message: string }).message, /^policy: Invalid input: expected object/);
    assert.match((parsePolicyConfig({ default_policy: 'block' }) as { message: string }).message, /^policy\.default_policy: "block" is not one of allow, deny/);
  });
});

const record = (name: string, mode: RecordMode, policy: PolicyConfig, n: number): PolicyRecord => ({
  id: `00000000-0000-4000-8000-00000000000${n}`, name, mode, policy, created_at: `2026-01-01T00:00:0${n}.000Z`, updated_at: `2026-01-01T00:00:0${n}.000Z`,
});
const group = (id: string, extra: Partial<SourceGroup> = {}): SourceGroup => ({ id, sources: { cidrs: ['10.0.0.0/24'] }, rules: [], ...extra });
const noKubernetes = async () => assert.fail('no kubernetes source in these policies');

describe('egress policy: the active record as the EffectivePolicy', () => {
  test('no active record: allow everything, no groups', async () => {
    assert.deepEqual(await effectivePolicy(null, 1, noKubernetes), { generation: 1, default_policy: 'allow', groups: [] });
  });

  test('default_policy as written, deny when left out, in any case; an audit record blocks nothing unclaimed', async () => {
    const policyOf = async (mode: RecordMode, policy: PolicyConfig) => (await effectivePolicy(record('r', mode, policy, 1), 1, noKubernetes)).default_policy;
    assert.equal(await policyOf('enforce', { default_policy: 'ALLOW', source_groups: [] }), 'allow');
    assert.equal(await policyOf('enforce', { default_policy: 'Deny', source_groups: [] }), 'deny');
    assert.equal(await policyOf('enforce', { source_groups: [] }), 'deny');
    assert.equal(await policyOf('audit', { default_policy: 'deny', source_groups: [] }), 'allow');
  });

  test('an audit record makes its groups and rules audit; an enforce record keeps what its groups say', async () => {
    const policy: PolicyConfig = {
      source_groups: [group('g', { mode: 'Enforce', rules: [{ id: 'r', action: 'Deny', mode: 'ENFORCE', match: {} }, { id: 's', action: 'deny', match: {} }] })],
    };
    const [audited] = (await effectivePolicy(record('a', 'audit', policy, 1), 1, noKubernetes)).groups;
    assert.equal(audited.mode, 'audit');
    assert.deepEqual(audited.rules.map((r) => r.mode), ['audit', 'audit']);
    const [enforced] = (await effectivePolicy(record('a', 'enforce', policy, 1), 1, noKubernetes)).groups;
    assert.equal(enforced.mode, 'enforce');
    assert.deepEqual(enforced.rules.map((r) => [r.action, r.mode]), [['deny', 'enforce'], ['deny', undefined]]);
    const auditGroup = await effectivePolicy(record('a', 'enforce', { source_groups: [group('g', { mode: 'audit' })] }, 1), 1, noKubernetes);
    assert.equal(auditGroup.groups[0].mode, 'audit');
  });

  test('groups by priority, then list order; rules by priority, then list order', async () => {
    const only = record('first', 'enforce', {
      source_groups: [
        group('a-no-priority'),
        group('b-priority-5', { priority: 5, rules: [
          { id: 'r-none', action: 'allow', match: {} },
          { id: 'r-2', priority: 2, action: 'allow', match: {} },
          { id: 'r-1', priority: 1, action: 'allow', match: {} },
          { id: 'r-2-later', priority: 2, action: 'allow', match: {} },
        ] }),
        group('c-priority-1', { priority: 1 }),
        group('d-priority-5', { priority: 5 }),
      ],
    }, 1);
    const effective = await effectivePolicy(only, 7, noKubernetes);
    assert.deepEqual(effective.groups.map((g) => g.id), ['c-priority-1', 'b-priority-5', 'd-priority-5', 'a-no-priority']);
    assert.deepEqual(effective.groups[1].rules.map((r) => r.id), ['r-1', 'r-2', 'r-2-later', 'r-none']);
    assert.ok(effective.groups.every((g) => g.policy_id === only.id));
  });

  test('sources become CIDRs, with host bits cleared; kubernetes selectors are resolved; defaults filled in', async () => {
    const policy: PolicyConfig = {
      source_groups: [{
        id: 'g', rules: [{ id: 'r', action: 'allow', match: { proto: 'TCP', dst_cidrs: ['203.0.113.9/24'] } }],
        sources: { cidrs: ['10.1.2.3/16', '2001:db8::1/32'], ips: ['192.0.2.1', '10.1.0.0'], kubernetes: [{ integration: 'k', node_selector: { match_labels: { role: 'egress' } } }] },
      }],
    };
    const asked: unknown[] = [];
    const effective = await effectivePolicy(record('k8s', 'enforce', policy, 1), 1, async (source) => (asked.push(source), ['10.9.0.1', '10.9.0.1', 'fd00::5']));
    assert.deepEqual(asked, [{ integration: 'k', node_selector: { match_labels: { role: 'egress' } } }]);
    const [g] = effective.groups;
    assert.deepEqual(g.sources, ['10.1.0.0/16', '2001:db8::/32', '192.0.2.1/32', '10.1.0.0/32', '10.9.0.1/32', 'fd00::5/128']);
    assert.equal(g.default_action, 'deny');
    assert.deepEqual(g.rules[0].match, { proto: 'tcp', dst_cidrs: ['203.0.113.0/24'] });
  });
});

describe("egress policy document: Neuwerk's serialised form", () => {
  /** Every field Neuwerk's serde models serialise, kubernetes sources and TLS interception included. */
  const full = {
    default_policy: null,
    source_groups: [{
      id: 'pods', priority: 3, mode: 'Audit', default_action: 'Allow',
      sources: {
        cidrs: [], ips: ['10.0.0.9'],
        kubernetes: [
          { integration: 'prod', pod_selector: { namespace: 'apps', match_labels: { app: 'api' } }, node_selector: null },
          { integration: 'prod', pod_selector: null, node_selector: { match_labels: {} } },
        ],
      },
      rules: [
        { id: 'intercept', priority: null, action: 'allow', mode: 'enforce', match: {
          dst_cidrs: [], dst_ips: [], dns_hostname: null, proto: 'tcp', src_ports: [], dst_ports: [443], icmp_types: [], icmp_codes: [],
          tls: { mode: 'Intercept', sni: null, server_dn: null, server_san: null, server_cn: null, fingerprint_sha256: [], trust_anchors_pem: [], tls13_uninspectable: null, http: {
            request: {
              host: { exact: ['vault.example.com'], regex: null }, methods: ['GET'],
              path: { exact: [], prefix: ['/v1/'], regex: '\\A/v1/(?P<rest>.*)\\z' },
              query: { keys_present: ['token'], key_values_exact: {}, key_values_regex: { page: '^\\d+$' } },
              headers: { require_present: [], deny_present: ['x-debug'], exact: {}, regex: {} },
            },
            response: { headers: null },
          } },
        } },
        { id: 'names', priority: 1, action: 'deny', mode: null, match: {
          dst_cidrs: [], dst_ips: [], dns_hostname: null, proto: null, src_ports: [], dst_ports: [], icmp_types: [], icmp_codes: [],
          tls: { mode: null, sni: '(?i)^evil\\.', server_dn: 'CN=evil, O=Evil Corp', server_san: ['a.example.com'], server_cn: { exact: [], regex: '^x$' }, fingerprint_sha256: [], trust_anchors_pem: [], tls13_uninspectable: 'allow', http: null },
        } },
      ],
    }],
  };

  test('a document in that form is accepted, and renders back to the same document', () => {
    const parsed = parsePolicyConfig(full);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.deepEqual(toNeuwerkDocument(parsed.policy), full);
  });

  test('a sparse document renders with every field filled in: null, [] and {}', () => {
    const parsed = parsePolicyConfig({ source_groups: [{ id: 'g', sources: { ips: ['10.0.0.1'] }, rules: [{ id: 'r', action: 'allow', match: { proto: 17 } }] }] });
    assert.ok(parsed.ok);
    assert.deepEqual(toNeuwerkDocument(parsed.policy), {
      default_policy: null,
      source_groups: [{
        id: 'g', priority: null, mode: 'enforce', default_action: null, sources: { cidrs: [], ips: ['10.0.0.1'], kubernetes: [] },
        rules: [{ id: 'r', priority: null, action: 'allow', mode: null, match: { dst_cidrs: [], dst_ips: [], dns_hostname: null, proto: 17, src_ports: [], dst_ports: [], icmp_types: [], icmp_codes: [], tls: null } }],
      }],
    });
  });
});
