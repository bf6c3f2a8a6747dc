import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createFindingsStore } from '../../src/modules/egress/findings/findings.store.js';
import type { FindingInput } from '../../src/modules/egress/findings/findings.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const l4 = (overrides: Partial<FindingInput> = {}): FindingInput => ({
  finding_type: 'l4_deny', policy_id: 'pol-a', source_group: 'office', dst_ip: '203.0.113.20', dst_port: 443, proto: 6, at: 1_760_000_000, node_id: 'gw-1', ...overrides,
});

describe('findings store', () => {
  test('merges observations with the same key: count, first and last seen, node ids', () => {
    const store = createFindingsStore(100);
    store.record(l4({ at: 100 }));
    store.record(l4({ at: 300, count: 5, node_id: 'gw-2' }));
    store.record(l4({ at: 200 }));
    store.record(l4({ at: 250, dst_port: 80 }));
    const [merged] = store.query({ policy_id: 'pol-a' }).filter((f) => f.dst_port === 443);
    assert.deepEqual([merged.count, merged.first_seen, merged.last_seen, merged.node_ids], [7, 100, 300, ['gw-1', 'gw-2']]);
    assert.equal(store.size, 2, 'another port is another finding');
  });

  test('at capacity the finding seen longest ago goes first', () => {
    const store = createFindingsStore(3);
    for (const port of [1, 2, 3]) store.record(l4({ dst_port: port, at: port }));
    store.record(l4({ dst_port: 1, at: 10 })); // seen again: now the newest
    store.record(l4({ dst_port: 4, at: 11 }));
    assert.deepEqual(store.query({}).map((f) => f.dst_port), [4, 1, 3]);
  });
});

describe('GET /api/v1/audit/findings', () => {
  let r: TestRampart;
  let reader: SignedIn;
  let admin: SignedIn;

  before(async () => {
    r = await createTestRampart();
    reader = await signIn(r, { roles: ['readonly'] });
    admin = await signIn(r, { roles: ['admin'] });
    const { findings } = egressServices(r.core);
    findings.record(l4({ at: 1000 }));
    findings.record(l4({ at: 1010, count: 2 }));
    findings.record(l4({ finding_type: 'dns_deny', dst_ip: undefined, dst_port: undefined, proto: undefined, hostname: 'blocked.example.com', query_type: 1, at: 2000 }));
    findings.record(l4({ finding_type: 'icmp_deny', dst_port: undefined, proto: 1, icmp_type: 8, icmp_code: 0, source_group: 'lab', at: 3000 }));
    findings.record(l4({ policy_id: 'pol-b', source_group: 'servers', dst_port: 22, at: 4000 }));
  });
  after(() => r.cleanup());

  const get = (url: string, who: SignedIn | null = reader) => r.app.inject({ method: 'GET', url, headers: who?.headers ?? {} });

  test('answers Neuwerk\'s shape, newest first, with every field present', async () => {
    for (const path of ['/api/v1/audit/findings', '/api/v1/audit/findings/local']) {
      const res = await get(path);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual({ ...body, items: body.items.length }, { items: 4, partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1 });
      assert.deepEqual(body.items.map((f: any) => f.last_seen), [4000, 3000, 2000, 1010]);
      assert.deepEqual(body.items[3], {
        finding_type: 'l4_deny', policy_id: 'pol-a', source_group: 'office', hostname: null, dst_ip: '203.0.113.20', dst_port: 443, proto: 6,
        fqdn: null, sni: null, icmp_type: null, icmp_code: null, query_type: null, first_seen: 1000, last_seen: 1010, count: 3, node_ids: ['gw-1'],
      });
    }
  });

  test('filters: policy_id, repeated finding_type and source_group, since and until', async () => {
    const types = (url: string) => get(url).then((res) => res.json().items.map((f: any) => `${f.finding_type}:${f.source_group}`));
    assert.deepEqual(await types('/api/v1/audit/findings?policy_id=pol-b'), ['l4_deny:servers']);
    assert.deepEqual(await types('/api/v1/audit/findings?finding_type=dns_deny&finding_type=icmp_deny'), ['icmp_deny:lab', 'dns_deny:office']);
    assert.deepEqual(await types('/api/v1/audit/findings?source_group=lab&source_group=servers'), ['l4_deny:servers', 'icmp_deny:lab']);
    assert.deepEqual(await types('/api/v1/audit/findings?since=2000&until=3000'), ['icmp_deny:lab', 'dns_deny:office']);
    assert.deepEqual(await types('/api/v1/audit/findings?until=1005'), ['l4_deny:office'], 'first seen before until counts');
  });

  test('limit defaults to 500 and is clamped to 1..10000 rather than refused', async () => {
    assert.equal((await get('/api/v1/audit/findings?limit=2')).json().items.length, 2);
    assert.equal((await get('/api/v1/audit/findings?limit=0')).json().items.length, 1);
    assert.equal((await get('/api/v1/audit/findings?limit=-5')).json().items.length, 1);
    const big = await get('/api/v1/audit/findings?limit=99999');
    assert.equal(big.statusCode, 200);
    assert.equal(big.json().items.length, 4);
  });

  test('malformed values get 400 in the egress envelope', async () => {
    for (const query of ['limit=ten', 'since=yesterday', 'until=-1', 'finding_type=tcp_deny', 'finding_type=l4_deny&finding_type=nope', 'since=1.5']) {
      const res = await get(`/api/v1/audit/findings?${query}`);
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(typeof res.json().error, 'string', query);
    }
  });

  test('needs a token; readonly and admin may read', async () => {
    assert.equal((await get('/api/v1/audit/findings', null)).statusCode, 401);
    assert.equal((await get('/api/v1/audit/findings', admin)).statusCode, 200);
  });

  test('503 while performance mode is off, on both paths', async () => {
    await egressServices(r.core).performanceMode.set(false);
    try {
      for (const path of ['/api/v1/audit/findings', '/api/v1/audit/findings/local']) {
        const res = await get(path);
        assert.equal(res.statusCode, 503);
        assert.deepEqual(res.json(), { error: 'performance mode is disabled' });
      }
    } finally {
      await egressServices(r.core).performanceMode.set(true);
    }
    assert.equal((await get('/api/v1/audit/findings')).statusCode, 200);
  });
});
