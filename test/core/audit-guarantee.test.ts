/**
 * The audit guarantee: what a client sends can never make an audit row unwritable (NUL bytes, lone surrogates and
 * huge details are made storable and bounded), and a request whose row cannot be written fails rather than going
 * on unrecorded. Both databases: PostgreSQL is the one that refuses NUL in text and jsonb.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { DEFAULT_PASSWORD, signIn } from '../helpers/identity.js';

describe('audit guarantee', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart();
  });
  after(() => r.cleanup());

  test('client text with NUL bytes, lone surrogates and huge values is stored, made storable and bounded', async () => {
    const hostile = `ad\u0000min\ud800`;
    const event = await r.core.audit.record({
      actor: { type: 'anonymous', id: null, name: hostile },
      action: 'identity.login',
      result: 'failure',
      userAgent: `agent\u0000${'u'.repeat(10_000)}`,
      correlationId: 'hostile-row',
      details: { username: hostile, [`key\u0000`]: 'x', list: Array.from({ length: 500 }, (_, i) => i), deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } },
    });
    const [stored] = (await r.core.audit.list({ correlationId: 'hostile-row' }, { limit: 1 })).items;
    assert.equal(stored.id, event.id);
    assert.equal(stored.actor_name, 'ad\ufffdmin\ufffd');
    assert.equal(stored.details.username, 'ad\ufffdmin\ufffd');
    assert.equal(stored.details['key\ufffd'], 'x');
    assert.ok(stored.user_agent!.length < 600);
    assert.ok((stored.details.list as unknown[]).length <= 51);
    assert.ok(!JSON.stringify(stored.details).includes('"g"'), 'depth is bounded');
  });

  test('a failed login whose audit row cannot be written fails with a 500 instead of a silent 401', async () => {
    const record = r.core.audit.record;
    r.core.audit.record = async () => {
      throw new Error('audit store unavailable');
    };
    try {
      const res = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'wrong password' } });
      assert.equal(res.statusCode, 500);
      assert.equal(res.json().error.code, 'internal_error');
    } finally {
      r.core.audit.record = record;
    }
  });

  test('an audited mutation whose row cannot be written fails and changes nothing', async () => {
    const admin = await signIn(r, { roles: ['admin'] });
    const record = r.core.audit.record;
    r.core.audit.record = async () => {
      throw new Error('audit store unavailable');
    };
    try {
      const res = await r.app.inject({
        method: 'POST', url: '/api/v1/users', headers: admin.headers,
        payload: { username: 'never-created', email: 'n@example.com', password: DEFAULT_PASSWORD, roles: ['viewer'] },
      });
      assert.equal(res.statusCode, 500);
    } finally {
      r.core.audit.record = record;
    }
    assert.equal(await r.core.identity.users.findRowByUsername('never-created'), undefined, 'the user was not created');
  });
});
