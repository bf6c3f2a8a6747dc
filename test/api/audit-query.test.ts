import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ActorType } from '../../src/core/principal.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('audit queries: fleet cursor pages and edge offset pages', () => {
  let r: TestRampart;
  let auditor: SignedIn;
  let clock = new Date('2026-06-10T10:00:00Z');
  const tick = () => void (clock = new Date(clock.getTime() + 1000));

  const record = (action: string, actorType: ActorType = 'system', correlationId?: string) => {
    tick();
    return r.core.audit.record({ actor: { type: actorType, id: actorType, name: actorType }, action, result: 'success', correlationId, details: {} });
  };
  const get = (url: string, who: SignedIn = auditor) => r.app.inject({ method: 'GET', url, headers: who.headers });

  before(async () => {
    r = await createTestRampart({ now: () => clock });
    auditor = await signIn(r, { roles: ['auditor'] });
    for (let i = 0; i < 5; i++) await record('probe.alpha', 'system', `corr-${i}`);
    for (let i = 0; i < 3; i++) await record('probe.beta', 'api_key');
    for (let i = 0; i < 240; i++) await record('probe.bulk');
  });
  after(() => r.cleanup());

  test('newest first, 50 by default; filters by action, correlation_id and actor_type', async () => {
    const all = await get('/api/v1/audit/events');
    assert.equal(all.statusCode, 200, all.body);
    const { items, next_cursor } = all.json();
    assert.equal(items.length, 50);
    assert.ok(next_cursor);
    const times = items.map((e: any) => e.occurred_at);
    assert.deepEqual(times, [...times].sort().reverse());

    const beta = (await get('/api/v1/audit/events?action=probe.beta')).json();
    assert.equal(beta.items.length, 3);
    assert.equal(beta.next_cursor, null);
    assert.ok(beta.items.every((e: any) => e.actor_type === 'api_key'));

    const byCorrelation = (await get('/api/v1/audit/events?correlation_id=corr-3')).json();
    assert.deepEqual(byCorrelation.items.map((e: any) => e.action), ['probe.alpha']);

    const byActor = (await get('/api/v1/audit/events?actor_type=api_key&limit=200')).json();
    assert.equal(byActor.items.length, 3);
    assert.equal((await get('/api/v1/audit/events?actor_type=robot')).statusCode, 400);
  });

  test('since (inclusive) and until (exclusive) take RFC 3339 with any offset; anything else is 400', async () => {
    // The alpha events happened at 10:00:01..10:00:05 UTC (the sign-in happened before any of them).
    const window = (await get('/api/v1/audit/events?action=probe.alpha&since=2026-06-10T12:00:02%2B02:00&until=2026-06-10T10:00:04Z')).json();
    assert.deepEqual(window.items.map((e: any) => e.occurred_at), ['2026-06-10T10:00:03.000Z', '2026-06-10T10:00:02.000Z']);
    for (const bad of ['since=yesterday', 'until=2026-06-10', 'since=2026-06-10T10:00:00']) {
      const res = await get(`/api/v1/audit/events?${bad}`);
      assert.equal(res.statusCode, 400, bad);
      assert.match(res.json().error.human_message, /since|until/);
    }
  });

  test('following next_cursor walks every event once; limit is 1-200', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await get(`/api/v1/audit/events?action=probe.bulk&limit=70${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((e: any) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 240);
    assert.equal(new Set(seen).size, 240);

    for (const bad of ['limit=0', 'limit=201', 'limit=ten', 'cursor=not-a-cursor']) {
      assert.equal((await get(`/api/v1/audit/events?${bad}`)).statusCode, 400, bad);
    }
    assert.equal((await get('/api/v1/audit/events?limit=200')).json().items.length, 200);
  });

  test('only holders of audit:read may query the fleet trail', async () => {
    const viewer = await signIn(r, { roles: ['viewer'] });
    assert.equal((await get('/api/v1/audit/events', viewer)).statusCode, 403);
  });

  test('edge: ?limit (default 100, up to 1000) and &offset, with the total', async () => {
    const admin = await signIn(r, { roles: ['admin'] });
    const first = (await get('/api/v1/auth/audit', admin)).json();
    assert.equal(first.items.length, 100);
    assert.equal(first.limit, 100);
    assert.equal(first.offset, 0);
    const total = first.total;
    assert.ok(total >= 248);

    const big = (await get('/api/v1/auth/audit?limit=1000', admin)).json();
    assert.equal(big.items.length, total, 'more than one service page in a single response');
    assert.equal(new Set(big.items.map((e: any) => e.id)).size, total);

    const tail = (await get(`/api/v1/auth/audit?limit=10&offset=${total - 4}`, admin)).json();
    assert.deepEqual(tail.items.map((e: any) => e.id), big.items.slice(total - 4).map((e: any) => e.id));
    assert.equal((await get('/api/v1/auth/audit?limit=1001', admin)).statusCode, 400);

    const viewer = await signIn(r, { roles: ['viewer'] });
    assert.equal((await get('/api/v1/auth/audit', viewer)).statusCode, 403);
  });
});
