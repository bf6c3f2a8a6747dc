import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { insertHost } from '../helpers/fleet-rows.js';
import { remediationHostsFor, rootLoginRule } from '../helpers/fleet-remediation-rule.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000004';
const RULE = rootLoginRule('/etc/ssh/sshd_config');

describe('fleet remediation requests: approval workflow, permissions, errors (no host contact)', () => {
  let r: TestRampart;
  let opsLead: SignedIn;
  let secA: SignedIn;
  let secB: SignedIn;
  let viewer: SignedIn;
  let host: string;
  before(async () => {
    r = await createTestRampart();
    [opsLead, secA, secB, viewer] = await Promise.all([
      signIn(r, { roles: ['ops_lead'] }),
      signIn(r, { roles: ['security_admin'] }),
      signIn(r, { roles: ['security_admin'] }),
      signIn(r, { roles: ['viewer'] }),
    ]);
    host = await insertHost(r);
    // The real planner over a real rule; the host cannot be reached (nothing here may touch a machine).
    fleetServices(r.core).remediationHosts = remediationHostsFor([RULE], async () => {
      throw new RampartError({ code: 'host.unreachable', status: 502, fault: 'external', message: 'the host does not answer' });
    });
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, who: SignedIn, payload?: object) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const file = (who: SignedIn, body: object = { host_id: host, rule_id: RULE.id }) => call('POST', '/api/v1/remediation/requests', who, body);
  const act = (id: string, action: string, who: SignedIn, payload?: object) => call('POST', `/api/v1/remediation/requests/${id}:${action}`, who, payload);

  test('requested, refused to its requester, approved by another; the plan is stored with the request', async () => {
    const created = await file(opsLead, { host_id: host, rule_id: RULE.id, comment: 'CIS 5.2.10' });
    assert.equal(created.statusCode, 201, created.body);
    const req = created.json();
    assert.equal(req.status, 'pending_approval');
    assert.equal(req.step_count, 1);
    const plan = (await call('GET', `/api/v1/remediation/requests/${req.id}/plan`, viewer)).json();
    assert.equal(plan.mechanism, 'config_set');
    assert.match(plan.steps[0].description, /PermitRootLogin to no in \/etc\/ssh\/sshd_config/);

    assert.equal((await act(req.id, 'approve', opsLead)).statusCode, 403, 'ops_lead holds no remediation:approve');
    const own = (await file(secA)).json();
    const self = await act(own.id, 'approve', secA);
    assert.equal(self.statusCode, 409);
    assert.equal(self.json().error.code, 'remediation.self_approval');

    const approved = await act(req.id, 'approve', secB, { comment: 'go' });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'approved');
    assert.equal(approved.json().reviewed_by, secB.user.id);
    assert.equal((await act(req.id, 'reject', secA)).json().error.code, 'remediation.invalid_transition');

    const rejected = await act(own.id, 'reject', secB, { reason: 'not now' });
    assert.equal(rejected.json().status, 'rejected');
    assert.equal((await act(own.id, 'execute', secA)).statusCode, 409, 'a rejected request never runs');
  });

  test('execute only once approved; a host that does not answer leaves the request approved', async () => {
    const req = (await file(opsLead)).json();
    assert.equal((await act(req.id, 'execute', opsLead)).json().error.code, 'remediation.invalid_transition');
    assert.equal((await act(req.id, 'rollback', opsLead)).statusCode, 409, 'nothing ran, nothing to roll back');
    assert.equal((await act(req.id, 'approve', secA)).statusCode, 200);
    const unreachable = await act(req.id, 'execute', opsLead);
    assert.equal(unreachable.statusCode, 502, unreachable.body);
    const after = (await call('GET', `/api/v1/remediation/requests/${req.id}`, viewer)).json();
    assert.equal(after.status, 'approved');
    assert.match(after.failure_reason, /does not answer/);
    assert.deepEqual((await call('GET', `/api/v1/remediation/requests/${req.id}/steps`, viewer)).json().items, []);
    const actions = (await r.core.db.kysely.selectFrom('audit_events').select('action').where('resource_id', '=', req.id).orderBy('occurred_at').execute()).map((a) => a.action);
    assert.deepEqual(actions, ['remediation.requested', 'remediation.approved', 'remediation.execution_started', 'remediation.dispatch_failed']);
  });

  test('lists with filters and a cursor; 400, 403 and 404', async () => {
    const listed = (await call('GET', `/api/v1/remediation/requests?host_id=${host}&status=approved&limit=1`, viewer)).json();
    assert.equal(listed.items.length, 1);
    assert.ok(listed.next_cursor);
    const next = (await call('GET', `/api/v1/remediation/requests?host_id=${host}&status=approved&limit=1&cursor=${encodeURIComponent(listed.next_cursor)}`, viewer)).json();
    assert.notEqual(next.items[0].id, listed.items[0].id);

    assert.equal((await file(opsLead, { host_id: host, rule_id: 'no-such-rule' })).json().error.code, 'rules.not_found');
    assert.equal((await file(opsLead, { host_id: UNKNOWN, rule_id: RULE.id })).json().error.code, 'hosts.not_found');
    assert.equal((await call('GET', `/api/v1/remediation/requests/${UNKNOWN}`, viewer)).statusCode, 404);
    assert.equal((await act(UNKNOWN, 'approve', secA)).statusCode, 404);
    for (const body of [{ host_id: 'x', rule_id: RULE.id }, { host_id: host }, { host_id: host, rule_id: RULE.id, dry_run: true }]) {
      assert.equal((await file(opsLead, body)).statusCode, 400, JSON.stringify(body));
    }
    assert.equal((await call('GET', '/api/v1/remediation/requests?status=done', viewer)).statusCode, 400);
    assert.equal((await file(viewer)).statusCode, 403);
  });
});
