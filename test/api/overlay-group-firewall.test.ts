import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('overlay group firewall (/api/networks/{id}/group-firewall)', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let member: SignedIn;
  let outsider: SignedIn;
  let networkId: string;

  before(async () => {
    r = await createTestRampart();
    [owner, member, outsider] = await Promise.all([signIn(r), signIn(r), signIn(r)]);
    networkId = (await call('POST', '/api/networks', owner, { name: 'fw', subnet_cidr: '10.30.0.0/24' })).json().id;
    const added = await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: member.user.id, can_manage_nodes: true });
    assert.equal(added.statusCode, 200, added.body);
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, who: SignedIn, payload?: unknown) {
    return r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  const base = () => `/api/networks/${networkId}/group-firewall`;
  const put = (who: SignedIn, group: string, inbound_rules: unknown[]) => call('PUT', `${base()}/${encodeURIComponent(group)}`, who, { inbound_rules });
  const revision = async () => (await r.core.db.kysely.selectFrom('overlay_networks').select('config_revision').where('id', '=', networkId).executeTakeFirstOrThrow()).config_revision;

  test('put, list, replace and delete a group\'s rules; each change revises the configs', async () => {
    assert.deepEqual((await call('GET', base(), owner)).json(), []);
    const start = await revision();
    const saved = await put(owner, 'db', [
      { allowed_group: 'web', protocol: 'TCP', port_range: '5432', description: 'postgres' },
      { allowed_group: 'web', protocol: 'icmp', port_range: 'any' },
      { allowed_group: 'ops', protocol: 'tcp', port_range: '8000-8100' },
    ]);
    assert.equal(saved.statusCode, 200, saved.body);
    const rules = [
      { allowed_group: 'web', protocol: 'tcp', port_range: '5432', description: 'postgres' },
      { allowed_group: 'web', protocol: 'icmp', port_range: 'any', description: null },
      { allowed_group: 'ops', protocol: 'tcp', port_range: '8000-8100', description: null },
    ];
    assert.deepEqual(saved.json(), { group_name: 'db', inbound_rules: rules });
    assert.equal(await revision(), start + 1);

    assert.equal((await put(owner, 'web', [{ allowed_group: 'any', protocol: 'tcp', port_range: '443' }])).statusCode, 200);
    assert.deepEqual((await call('GET', base(), owner)).json().map((g: any) => g.group_name), ['db', 'web']);
    assert.deepEqual((await call('GET', base(), owner)).json()[0], { group_name: 'db', inbound_rules: rules });

    const replaced = await put(owner, 'web', []);
    assert.deepEqual(replaced.json(), { group_name: 'web', inbound_rules: [] }, 'PUT replaces the rules');
    assert.equal(await revision(), start + 3);

    const deleted = await call('DELETE', `${base()}/web`, owner);
    assert.equal(deleted.statusCode, 204);
    assert.equal(await revision(), start + 4);
    assert.deepEqual((await call('GET', base(), owner)).json().map((g: any) => g.group_name), ['db']);
    const again = await call('DELETE', `${base()}/web`, owner);
    assert.equal(again.statusCode, 404);
    assert.deepEqual(again.json(), { detail: "No firewall config for group 'web'" });
    assert.equal(await revision(), start + 4, 'a refused change revises nothing');

    const audit = await r.core.audit.list({ action: 'overlay.group_firewall.put', resourceId: networkId, result: 'success' }, { limit: 10 });
    assert.equal(audit.items.length, 3);
  });

  test('invalid rules are refused naming the rule; nothing is stored', async () => {
    const cases: [unknown[], RegExp][] = [
      [[{ allowed_group: 'web', protocol: 'tcp', port_range: '80' }, { allowed_group: 'web', protocol: 'gre', port_range: 'any' }], /^inbound_rules\[1\]: protocol 'gre' must be one of any, tcp, udp, icmp$/],
      [[{ allowed_group: 'web', protocol: 'tcp', port_range: '70000' }], /^inbound_rules\[0\]: .*outside 1-65535/],
      [[{ allowed_group: 'web', protocol: 'tcp', port_range: '90-80' }], /^inbound_rules\[0\]: .*greater than its end/],
      [[{ allowed_group: 'web', protocol: 'icmp', port_range: '22' }], /^inbound_rules\[0\]: protocol icmp has no ports/],
      [[{ allowed_group: ' ', protocol: 'tcp', port_range: '22' }], /^inbound_rules\[0\]: allowed_group/],
      [[{ protocol: 'tcp', port_range: '22' }], /allowed_group/],
    ];
    for (const [rules, detail] of cases) {
      const res = await put(owner, 'cache', rules);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().detail, detail);
    }
    assert.equal((await call('PUT', `${base()}/cache`, owner, {})).statusCode, 400, 'inbound_rules is required');
    assert.equal((await put(owner, 'a,b', [])).statusCode, 400, 'group names cannot hold commas');
    assert.ok(!(await call('GET', base(), owner)).json().some((g: any) => g.group_name === 'cache'));
  });

  test('members need can_manage_firewall; outsiders see nothing', async () => {
    const denied = await call('GET', base(), member);
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(denied.json(), { detail: 'this needs can_manage_firewall on this network' });
    assert.equal((await put(member, 'db', [])).statusCode, 403);
    assert.equal((await call('DELETE', `${base()}/db`, member)).statusCode, 403);
    for (const res of [await call('GET', base(), outsider), await put(outsider, 'db', [])]) {
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { detail: 'Network not found' });
    }
    assert.equal((await call('GET', '/api/networks/not-a-uuid/group-firewall', owner)).statusCode, 404);

    await call('PATCH', `/api/networks/${networkId}/users/${member.user.id}`, owner, { can_manage_firewall: true });
    assert.equal((await put(member, 'db', [{ allowed_group: 'web', protocol: 'udp', port_range: '53' }])).statusCode, 200);
  });
});
