import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createCoreWorker } from '../../src/core/index.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { insertHost, movableClock } from '../helpers/fleet-rows.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver on loopback: records what arrives; answers with the statuses queued, then 200. */
async function startReceiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    statuses,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SECRET_A = 'first-webhook-secret-0123456789';
const SECRET_B = 'second-webhook-secret-abcdefghij';
const hmac = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('fleet notification channels: webhook with HMAC, email through SMTP, tag filters, test action', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let smtp: TestSmtpServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const clock = movableClock();
  before(async () => {
    smtp = await startSmtpServer();
    receiver = await startReceiver();
    r = await createTestRampart({ now: clock.now, overrides: { 'mail.smtp_url': smtp.url } });
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(async () => {
    await r.cleanup();
    await receiver.close();
    await smtp.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, who: SignedIn = admin) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const create = async (payload: object) => {
    const res = await call('POST', '/api/v1/notifications/channels', payload);
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  /** Runs due jobs until none is left. */
  const drainJobs = async () => {
    const worker = createCoreWorker(r.core);
    while ((await worker.runOnce()) > 0);
  };

  test('a new alert reaches the webhooks whose tag filter matches, signed with each channel’s secret', async () => {
    const severe = await create({ kind: 'webhook', name: 'severe', config: { url: receiver.url('/severe') }, secret: SECRET_A, tag_filter: { severity: ['high', 'critical'] } });
    await create({ kind: 'webhook', name: 'drift', config: { url: receiver.url('/drift') }, secret: SECRET_B, tag_filter: { alert_type: 'drift_minor' } });
    await create({ kind: 'webhook', name: 'off', enabled: false, config: { url: receiver.url('/off') }, secret: SECRET_B });
    assert.equal(severe.secret_set, true);
    assert.ok(!JSON.stringify(severe).includes(SECRET_A));

    const host = await insertHost(r);
    const { alert } = await fleetServices(r.core).alerts.raiseHostUnreachable(host);
    await fleetServices(r.core).alerts.raiseHostUnreachable(host); // a dedup touch notifies no one
    await drainJobs();

    const got = receiver.at('/severe');
    assert.equal(got.length, 1);
    assert.equal(got[0].headers['x-rampart-signature'], hmac(SECRET_A, got[0].body), 'the signature verifies with the channel secret');
    assert.notEqual(got[0].headers['x-rampart-signature'], hmac(SECRET_B, got[0].body));
    const notice = JSON.parse(got[0].body);
    assert.equal(notice.event, 'alert.created');
    assert.equal(notice.alert.id, alert.id);
    assert.equal(notice.alert.tags.host_id, host);
    assert.equal(receiver.at('/drift').length, 0, 'the tag filter left this channel out');
    assert.equal(receiver.at('/off').length, 0, 'a disabled channel gets nothing');

    await fleetServices(r.core).alerts.raiseDrift({ host_id: host, kind: 'minor', previous: 80, current: 74, scan_id: 's' });
    await drainJobs();
    assert.equal(receiver.at('/drift').length, 1);
    assert.equal(receiver.at('/severe').length, 1, 'a medium alert does not match severity high|critical');
    const listed = (await call('GET', '/api/v1/notifications/channels')).json().channels.find((c: any) => c.id === severe.id);
    assert.ok(listed.last_delivery_at);
  });

  test('a failed delivery is retried with backoff until the receiver takes it', async () => {
    const channel = await create({ kind: 'webhook', name: 'flaky', config: { url: receiver.url('/flaky') }, secret: SECRET_A, tag_filter: { alert_type: 'flaky_check' } });
    receiver.statuses.push(500);
    await fleetServices(r.core).alerts.raise({ alert_type: 'flaky_check', title: 'flaky' });
    await drainJobs();
    assert.equal(receiver.at('/flaky').length, 1);
    const failed = (await call('GET', `/api/v1/notifications/channels/${channel.id}`)).json();
    assert.match(failed.last_error, /500/);

    clock.advance(60_000); // past the first retry's backoff (at most 1 s)
    await drainJobs();
    assert.equal(receiver.at('/flaky').length, 2);
    const ok = (await call('GET', `/api/v1/notifications/channels/${channel.id}`)).json();
    assert.equal(ok.last_error, null);
    assert.equal(receiver.at('/flaky')[1].headers['x-rampart-signature'], hmac(SECRET_A, receiver.at('/flaky')[1].body));
  });

  test('an email channel mails each recipient through the core mailer', async () => {
    await create({ kind: 'email', name: 'oncall', config: { recipients: ['oncall@example.test', 'lead@example.test'] }, tag_filter: { alert_type: 'mail_check' } });
    await fleetServices(r.core).alerts.raise({ alert_type: 'mail_check', severity: 'critical', title: 'Disk almost full', body: 'only 1% left' });
    await drainJobs();
    const mails = await smtp.waitFor(2);
    assert.deepEqual(mails.flatMap((m) => m.to).sort(), ['lead@example.test', 'oncall@example.test']);
    assert.match(mails[0].text, /\[critical\] Disk almost full/);
    assert.match(mails[0].text, /only 1% left/);
  });

  test(':test sends a sample and reports the outcome', async () => {
    const good = await create({ kind: 'webhook', name: 'probe-ok', config: { url: receiver.url('/probe') }, secret: SECRET_B });
    const res = await call('POST', `/api/v1/notifications/channels/${good.id}:test`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { delivered: true, status: 200 });
    const sample = receiver.at('/probe')[0];
    assert.equal(JSON.parse(sample.body).event, 'alert.test');
    assert.equal(sample.headers['x-rampart-signature'], hmac(SECRET_B, sample.body));

    receiver.statuses.push(503);
    const refused = await call('POST', `/api/v1/notifications/channels/${good.id}:test`);
    assert.equal(refused.statusCode, 502, 'a failed test is an error the console shows');
    assert.equal(refused.json().error.code, 'notifications.delivery_failed');
    assert.match(refused.json().error.human_message, /503/);
    assert.match((await call('GET', `/api/v1/notifications/channels/${good.id}`)).json().last_error, /503/);

    const before = smtp.received.length;
    const mail = await create({ kind: 'email', name: 'probe-mail', config: { recipients: ['probe@example.test'] } });
    assert.equal((await call('POST', `/api/v1/notifications/channels/${mail.id}:test`)).json().delivered, true);
    await smtp.waitFor(before + 1);
  });

  test('OpenWatch’s console form: {type, url, token, tag_filter: {severity}} and slack; severity as a floor', async () => {
    const hook = await create({ type: 'webhook', name: 'ow-hook', enabled: true, url: receiver.url('/ow-hook'), token: 'bearer-token-value', tag_filter: { severity: 'high' } });
    assert.equal(hook.type, 'webhook');
    assert.equal(hook.token_set, true);
    assert.equal(hook.secret_set, false);
    const slack = await create({ type: 'slack', name: 'ow-slack', url: receiver.url('/services/T000/B000/XXXX'), tag_filter: { severity: 'critical' } });
    assert.equal(slack.target_hint, receiver.url(''));
    const mail = await create({ type: 'email', name: 'ow-mail', smtp_host: 'smtp.example.test', smtp_port: 587, from: 'ow@example.test', to: ['ow@example.test'], password: 'unused', tag_filter: { severity: 'critical' } });
    assert.deepEqual(mail.to, ['ow@example.test']);
    assert.ok(!JSON.stringify(mail).includes('unused'));

    const alerts = fleetServices(r.core).alerts;
    await alerts.raise({ alert_type: 'ow_check', severity: 'critical', title: 'Critical thing', body: 'details' });
    await alerts.raise({ alert_type: 'ow_check', rule_id: 'r2', severity: 'medium', title: 'Medium thing' });
    await drainJobs();
    const hooked = receiver.at('/ow-hook');
    assert.equal(hooked.length, 1, 'severity high routes high and above: the critical alert, not the medium one');
    assert.equal(hooked[0].headers.authorization, 'Bearer bearer-token-value');
    assert.equal(hooked[0].headers['x-rampart-signature'], undefined, 'no secret, no signature');
    const slacked = receiver.at('/services/T000/B000/XXXX');
    assert.equal(slacked.length, 1);
    assert.deepEqual(JSON.parse(slacked[0].body), { text: '[critical] Critical thing - details' });
    const listed = (await call('GET', '/api/v1/notifications/channels')).body;
    assert.ok(!listed.includes('T000/B000') && !listed.includes('bearer-token-value'));
  });

  test('update, delete, secrets never returned, bad input 400, unknown 404, permissions', async () => {
    const channel = await create({ kind: 'webhook', name: 'edit-me', config: { url: receiver.url('/edit') }, secret: SECRET_A });
    const stored = await r.core.db.kysely.selectFrom('fleet_notification_channels').select('secret_sealed').where('id', '=', channel.id).executeTakeFirstOrThrow();
    assert.ok(stored.secret_sealed && !stored.secret_sealed.includes(SECRET_A), 'sealed at rest');

    const patched = await call('PATCH', `/api/v1/notifications/channels/${channel.id}`, { enabled: false, tag_filter: { host_id: 'h1' }, secret: SECRET_B });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().enabled, false);
    assert.deepEqual(patched.json().tag_filter, { host_id: 'h1' });
    for (const body of [(await call('GET', '/api/v1/notifications/channels')).body, patched.body]) {
      assert.ok(!body.includes(SECRET_A) && !body.includes(SECRET_B));
      assert.ok(!body.includes('/edit'), 'the URL (a credential for Slack) is never returned, only its origin');
    }
    assert.equal(patched.json().target_hint, receiver.url(''));

    const bad = [
      { kind: 'sms', name: 'x', config: { url: receiver.url('/') } },
      { name: 'no-kind', config: { url: receiver.url('/') } },
      { kind: 'webhook', name: 'no-url', secret: SECRET_A },
      { kind: 'slack', name: 'slack-secret', url: receiver.url('/'), secret: SECRET_A },
      { kind: 'email', type: 'webhook', name: 'two-kinds', to: ['a@example.test'] },
      { kind: 'webhook', name: 'short', config: { url: receiver.url('/') }, secret: 'short' },
      { kind: 'webhook', name: 'ftp', config: { url: 'ftp://example.test/' }, secret: SECRET_A },
      { kind: 'email', name: 'nobody', config: { recipients: [] } },
      { kind: 'email', name: 'bad-mail', config: { recipients: ['not an address'] } },
    ];
    for (const payload of bad) assert.equal((await call('POST', '/api/v1/notifications/channels', payload)).statusCode, 400, JSON.stringify(payload));
    assert.equal((await call('PATCH', `/api/v1/notifications/channels/${channel.id}`, { config: { recipients: ['a@example.test'] } })).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/notifications/channels', { kind: 'webhook', name: 'edit-me', config: { url: receiver.url('/') }, secret: SECRET_A })).statusCode, 409);

    const unknown = '00000000-0000-4000-8000-000000000002';
    assert.equal((await call('GET', `/api/v1/notifications/channels/${unknown}`)).statusCode, 404);
    assert.equal((await call('POST', `/api/v1/notifications/channels/${unknown}:test`)).statusCode, 404);

    const viewer = await signIn(r, { roles: ['viewer'] });
    assert.equal((await call('GET', '/api/v1/notifications/channels', undefined, viewer)).statusCode, 200);
    assert.equal((await call('POST', '/api/v1/notifications/channels', { kind: 'email', name: 'v', config: { recipients: ['v@example.test'] } }, viewer)).statusCode, 403);
    assert.equal((await call('DELETE', `/api/v1/notifications/channels/${channel.id}`, undefined, viewer)).statusCode, 403);

    assert.equal((await call('DELETE', `/api/v1/notifications/channels/${channel.id}`)).statusCode, 204);
    assert.equal((await call('GET', `/api/v1/notifications/channels/${channel.id}`)).statusCode, 404);
    await waitFor('nothing left running', async () => (await r.core.mail.idle(), true));
  });
});
