import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import { createExceptionService } from '../../src/modules/fleet/exceptions/exception.service.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { insertHost, movableClock } from '../helpers/fleet-rows.js';
import { testLicenseIssuer } from '../helpers/fleet-license.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000003';

describe('fleet compliance exceptions: request, review with separation of duties, revoke, expiry', () => {
  let r: TestRampart;
  let requester: SignedIn;
  let reviewer: SignedIn;
  let secAdmin: SignedIn;
  let viewer: SignedIn;
  const clock = movableClock();
  const issuer = testLicenseIssuer();
  before(async () => {
    r = await createTestRampart({ now: clock.now, overrides: issuer.overrides });
    await issuer.install(r, ['structured_exceptions']);
    [requester, reviewer, secAdmin, viewer] = await Promise.all([
      signIn(r, { roles: ['auditor'] }),
      signIn(r, { roles: ['auditor'] }),
      signIn(r, { roles: ['security_admin'] }),
      signIn(r, { roles: ['viewer'] }),
    ]);
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, who: SignedIn, payload?: object) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const requestOn = (host: string, payload: object, who = requester) => call('POST', `/api/v1/hosts/${host}/exceptions`, who, payload);
  const review = (id: string, action: string, who: SignedIn, payload?: object, base = '/api/v1/exceptions') => call('POST', `${base}/${id}:${action}`, who, payload);
  const auditActions = async (id: string) =>
    (await r.core.db.kysely.selectFrom('audit_events').select('action').where('resource_type', '=', 'exception').where('resource_id', '=', id).orderBy('occurred_at').execute()).map((a) => a.action);

  test('request, self-approval refused, approval by another, revoke; both review paths', async () => {
    const host = await insertHost(r);
    const created = await requestOn(host, { rule_id: 'sshd-permit-root-login', justification: 'bastion needs it', duration_days: 30 });
    assert.equal(created.statusCode, 201, created.body);
    const x = created.json();
    assert.equal(x.status, 'requested');
    assert.equal(x.requested_by, requester.user.id);

    const own = await review(x.id, 'approve', requester, { comment: 'mine' });
    assert.equal(own.statusCode, 409);
    assert.equal(own.json().error.code, 'exceptions.self_review');
    assert.equal((await review(x.id, 'reject', requester)).json().error.code, 'exceptions.self_review');

    const approved = await review(x.id, 'approve', reviewer, { comment: 'ok for a quarter' }, '/api/v1/compliance/exceptions');
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'approved');
    assert.equal(approved.json().reviewed_by, reviewer.user.id);
    assert.equal(approved.json().review_comment, 'ok for a quarter');
    assert.equal((await review(x.id, 'approve', reviewer)).json().error.code, 'exceptions.invalid_transition');

    assert.equal((await review(x.id, 'revoke', reviewer)).statusCode, 403, 'auditors cannot revoke');
    const revoked = await review(x.id, 'revoke', secAdmin, { reason: 'bastion retired' });
    assert.equal(revoked.json().status, 'revoked');
    assert.equal(revoked.json().revoked_by, secAdmin.user.id);
    assert.equal((await review(x.id, 'revoke', secAdmin)).statusCode, 409);
    assert.deepEqual(await auditActions(x.id), ['compliance.exception.requested', 'compliance.exception.approved', 'compliance.exception.revoked']);
  });

  test('one open exception per host and rule; a rejected one frees the rule', async () => {
    const host = await insertHost(r);
    const body = { rule_id: 'audit-rules', justification: 'migrating auditd' };
    const first = (await requestOn(host, body)).json();
    const dup = await requestOn(host, body);
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.code, 'exceptions.duplicate');
    assert.equal((await requestOn(await insertHost(r), body)).statusCode, 201, 'another host is independent');

    assert.equal((await review(first.id, 'reject', reviewer, { comment: 'no' })).json().status, 'rejected');
    assert.equal((await review(first.id, 'approve', reviewer)).statusCode, 409, 'a rejected exception cannot be approved');
    assert.equal((await requestOn(host, body)).statusCode, 201);

    const open = (await call('GET', `/api/v1/hosts/${host}/exceptions`, viewer)).json().items;
    assert.deepEqual(open.map((e: any) => e.status), ['requested']);
    const all = (await call('GET', `/api/v1/hosts/${host}/exceptions?history=true`, viewer)).json().items;
    assert.deepEqual(all.map((e: any) => e.status).sort(), ['rejected', 'requested']);
    const rejected = (await call('GET', '/api/v1/compliance/exceptions?status=rejected', viewer)).json().items;
    assert.ok(rejected.some((e: any) => e.id === first.id));
    assert.ok(rejected.every((e: any) => e.status === 'rejected'));
  });

  test('approving after expiry is 409, and the sweeper marks expired exceptions, as the system', async () => {
    const host = await insertHost(r);
    const soon = new Date(clock.now().getTime() + 60_000).toISOString();
    const pending = (await requestOn(host, { rule_id: 'r-pending', justification: 'short', expires_at: soon })).json();
    const granted = (await requestOn(host, { rule_id: 'r-granted', justification: 'short', expires_at: soon })).json();
    assert.equal((await review(granted.id, 'approve', reviewer)).json().status, 'approved');

    clock.advance(120_000);
    const late = await review(pending.id, 'approve', reviewer);
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error.code, 'exceptions.expired');

    assert.ok((await fleetServices(r.core).exceptions.sweepExpired()) >= 2);
    const history = (await call('GET', `/api/v1/hosts/${host}/exceptions?history=true`, viewer)).json().items;
    assert.deepEqual(history.map((e: any) => e.status), ['expired', 'expired']);
    const row = await r.core.db.kysely.selectFrom('audit_events').selectAll().where('resource_id', '=', granted.id).where('action', '=', 'compliance.exception.expired').executeTakeFirstOrThrow();
    assert.equal(row.actor_name, 'the system');
    assert.equal((await requestOn(host, { rule_id: 'r-granted', justification: 'again' })).statusCode, 201, 'an expired exception frees the rule');
  });

  test('without structured_exceptions in the license, requests and reviews are 402; reads stay open', async () => {
    const host = await insertHost(r);
    const x = (await requestOn(host, { rule_id: 'lic', justification: 'j' })).json();
    await fleetServices(r.core).license.revoke();
    try {
      const refused = await requestOn(host, { rule_id: 'lic-2', justification: 'j' });
      assert.equal(refused.statusCode, 402);
      assert.equal(refused.json().error.code, 'license.feature_unavailable');
      assert.equal((await review(x.id, 'approve', reviewer)).statusCode, 402);
      assert.equal((await call('GET', `/api/v1/hosts/${host}/exceptions`, viewer)).json().items.length, 1);
    } finally {
      await issuer.install(r, ['structured_exceptions']);
    }
    assert.equal((await review(x.id, 'approve', reviewer)).statusCode, 200);
  });

  test('bad input 400, unknown host or exception 404, permissions 403, license 402', async () => {
    const host = await insertHost(r);
    const past = new Date(clock.now().getTime() - 1000).toISOString();
    const future = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const bad = [
      { rule_id: 'x' },
      { rule_id: '', justification: 'j' },
      { rule_id: 'x', justification: 'j', expires_at: past },
      { rule_id: 'x', justification: 'j', expires_at: future, duration_days: 3 },
      { rule_id: 'x', justification: 'j', duration_days: 0 },
      { rule_id: 'x', justification: 'j', extra: true },
    ];
    for (const payload of bad) assert.equal((await requestOn(host, payload)).statusCode, 400, JSON.stringify(payload));
    assert.equal((await call('GET', `/api/v1/hosts/${host}/exceptions?history=true`, viewer)).json().items.length, 0, 'nothing was stored');
    assert.equal((await call('GET', '/api/v1/compliance/exceptions?status=pending', viewer)).statusCode, 400);

    assert.equal((await requestOn(UNKNOWN, { rule_id: 'x', justification: 'j' })).json().error.code, 'hosts.not_found');
    assert.equal((await call('GET', `/api/v1/hosts/${UNKNOWN}/exceptions`, viewer)).statusCode, 404);
    assert.equal((await review(UNKNOWN, 'approve', reviewer)).json().error.code, 'exceptions.not_found');

    assert.equal((await requestOn(host, { rule_id: 'x', justification: 'j' }, viewer)).statusCode, 403);
    const x = (await requestOn(host, { rule_id: 'x', justification: 'j' })).json();
    assert.equal((await review(x.id, 'approve', viewer)).statusCode, 403);

    const unlicensed = createExceptionService({
      core: r.core,
      requireFeature: (feature) => {
        throw new RampartError({ code: 'license.feature_unavailable', status: 402, fault: 'policy', message: `${feature} needs an enterprise license` });
      },
    });
    const actor = { id: requester.user.id, audit: async () => undefined };
    await assert.rejects(unlicensed.request(host, { rule_id: 'y', justification: 'j' }, actor), (err: RampartError) => err.status === 402 && /structured_exceptions/.test(err.message));
    await assert.rejects(unlicensed.review(x.id, 'approve', actor), (err: RampartError) => err.status === 402);
  });
});
