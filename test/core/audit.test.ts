import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { probeModule } from '../helpers/probe-module.js';

describe('audit trail', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T14:00:00Z');
  before(async () => {
    r = await createTestRampart({ modules: [probeModule()], now: () => clock });
  });
  after(() => r.cleanup());

  test('an audited request writes who, what, on which resource, from where', async () => {
    const res = await r.app.inject({
      method: 'POST',
      url: '/api/v1/probe/notes',
      headers: { 'user-agent': 'rampart-test/1.0', 'x-correlation-id': 'audit-who' },
      payload: { text: 'audited' },
    });
    assert.equal(res.statusCode, 201);
    const { items } = await r.core.audit.list({ correlationId: 'audit-who' }, { limit: 5 });
    assert.equal(items.length, 1);
    const e = items[0];
    assert.equal(e.action, 'probe.note.create');
    assert.equal(e.result, 'success');
    assert.equal(e.actor_type, 'anonymous');
    assert.equal(e.resource_type, 'probe_note');
    assert.equal(e.resource_id, res.json().id);
    assert.equal(e.user_agent, 'rampart-test/1.0');
    assert.equal(e.client_ip, '127.0.0.1');
    assert.deepEqual(e.details, { length: 7 });
    assert.equal(e.occurred_at, clock.toISOString());
  });

  test('a failed audited request leaves a failure row', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/probe/notes', headers: { 'x-correlation-id': 'audit-fail' }, payload: { text: '' } });
    assert.equal(res.statusCode, 400, 'validation happens before the handler, so nothing is audited');
    const { items } = await r.core.audit.list({ correlationId: 'audit-fail' }, { limit: 5 });
    assert.equal(items.length, 0);
  });

  test('rows cannot be changed or deleted', async () => {
    await assert.rejects(sql`update audit_events set action = 'forged'`.execute(r.core.db.kysely), /append-only/);
    await assert.rejects(sql`delete from audit_events`.execute(r.core.db.kysely), /append-only/);
  });

  test('filters, offset pages with a total, and cursor pages newest first', async () => {
    for (let i = 0; i < 7; i++) {
      clock = new Date(clock.getTime() + 1000);
      await r.core.audit.record({ actor: { type: 'system', id: 'system', name: 'rampart' }, action: 'probe.tick', result: 'success', details: { i } });
    }
    const offsetPage = await r.core.audit.list({ action: 'probe.tick' }, { limit: 3, offset: 3 });
    assert.equal(offsetPage.total, 7);
    assert.deepEqual(offsetPage.items.map((e) => e.details.i), [3, 2, 1]);

    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await r.core.audit.list({ action: 'probe.tick' }, { limit: 3, cursor });
      seen.push(...page.items.map((e) => e.details.i as number));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0]);

    const window = await r.core.audit.list(
      { action: 'probe.tick', since: new Date(clock.getTime() - 2000).toISOString(), until: clock.toISOString() },
      { limit: 10 },
    );
    assert.deepEqual(window.items.map((e) => e.details.i), [5, 4]);
    const system = await r.core.audit.list({ actorType: 'system' }, { limit: 50 });
    assert.equal(system.items.length, 7);
  });

  test('a forged cursor is a validation error', async () => {
    await assert.rejects(r.core.audit.list({}, { limit: 3, cursor: 'not-a-cursor' }), (err: any) => err.status === 400);
  });
});

describe('an audit row that cannot be written fails its request', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart({ modules: [probeModule()] });
  });
  after(() => r.cleanup());

  test('500, and the change it would have recorded is rolled back', async () => {
    await sql`drop table audit_events`.execute(r.core.db.kysely);
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/probe/notes', payload: { text: 'must not persist' } });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error.code, 'internal_error');
    const count = await r.app.inject({ method: 'GET', url: '/api/v1/probe/notes/count' });
    assert.equal(count.json().count, 0);
  });
});
