/**
 * The console's audit & SIEM, incident playbook and operations pages in Debian's Chromium against a real Rampart:
 * a webhook connector configured from the page (its secret write-only) whose "Send test event" reaches a receiver on
 * loopback and says so, then says so when the receiver is gone; a playbook dry run that shows the plan and changes
 * nothing (checked through the API), then the real run's steps; the operations overview with the device counts and
 * the certificate expiry; each page with no console error and no serious axe violation. Screenshots to docs/console/
 * (SQLite run).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, screenshot, seriousA11yViolations, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled } from '../helpers/console-egress.js';
import { waitFor } from '../helpers/wait.js';

describe('the console\'s audit, incident and operations pages', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;
  const received: { body: string; signature: string | undefined }[] = [];
  let receiver: Server;

  before(async () => {
    session = await consoleSession({ adminPassword: 'an ops console password', timeoutMs: 20_000 });
    ({ tdb, server, browser, admin } = session);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-rampart-signature'] as string | undefined });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    if (receiver?.listening) await new Promise((r) => receiver.close(r));
    await session?.close();
  });

  async function scan(page: Page, heading: string, shot: string) {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await settled(page);
    assert.deepEqual(await seriousA11yViolations(page), [], heading);
    if (!onPostgres) await screenshot(page, shot);
  }

  test('SIEM: the connector saved from the page, "Send test event" says it was delivered (and when it was not), the delivery log', async () => {
    const { page, context } = admin;
    const api = context.request;
    await page.goto('/admin/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit & SIEM' }).waitFor();
    await page.getByText('No connector configured').waitFor();
    await page.getByText('No deliveries').waitFor();
    const csv = page.getByRole('link', { name: 'Download CSV' });
    assert.equal(await csv.getAttribute('href'), '/v1/admin/audit/export?format=csv');
    assert.equal(await page.getByRole('link', { name: 'Download JSON' }).getAttribute('href'), '/v1/admin/audit/export?format=json');
    assert.match(await (await api.get('/v1/admin/audit/export?format=csv')).text(), /action/);

    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await page.getByLabel('URL').fill(url);
    await page.getByLabel('Secret').fill('an ops webhook secret 0123456789');
    await page.getByRole('button', { name: 'Save connector' }).click();
    await page.getByText('SIEM connector saved').waitFor();
    const shown = await (await api.get('/v1/admin/siem/connector')).json();
    assert.equal(shown.webhook.url, url);
    assert.equal(shown.webhook.secret_set, true);
    assert.ok(!JSON.stringify(shown).includes('an ops webhook secret'), 'the secret is write-only');
    assert.equal(await page.getByLabel('Secret').inputValue(), '', 'the secret field is emptied once saved');

    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('status').filter({ hasText: 'Test event delivered' }).filter({ hasText: 'HTTP 200' }).waitFor();
    await waitFor('the receiver got the signed test event', () => received.some((e) => e.body.includes('access.siem.test') && /v1=[0-9a-f]{64}/.test(e.signature ?? '')));
    await page.getByRole('row', { name: /test.*delivered/ }).first().waitFor();

    // The receiver gone: the page says the event did not go through, and why.
    await new Promise((r) => receiver.close(r));
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('status').filter({ hasText: 'Test event not delivered' }).waitFor();
    await page.getByRole('row', { name: /test.*failed/ }).first().waitFor();

    await scan(page, 'Audit & SIEM', 'access-audit');
    assert.deepEqual(admin.problems, []);
  });

  test('incidents: the dry run shows the plan and changes nothing; the real run shows its steps', async () => {
    const { page, context } = admin;
    const api = context.request;
    const headers = await csrfHeaders(context);
    const token = await (await api.post('/v1/admin/tokens/generate', { headers, data: { max_uses: 0 } })).json();
    const key = Buffer.from(Array.from({ length: 32 }, (_, j) => (j * 11 + 3) % 256)).toString('base64');
    const enrolled = await api.post('/v1/enroll', { data: { token: token.secret, public_key: key, device: { name: 'stolen-laptop', platform: 'linux' } } });
    assert.equal(enrolled.status(), 201, await enrolled.text());
    const devices = (await (await api.get('/v1/admin/devices')).json()).items;
    const device = devices.find((d: { name: string }) => d.name === 'stolen-laptop');
    const before = device.status;
    assert.notEqual(before, 'revoked');

    await page.goto('/admin/incidents');
    await page.getByRole('heading', { level: 1, name: 'Incident playbooks' }).waitFor();
    await page.getByRole('row', { name: /Contain a device/ }).waitFor();
    await page.getByText('No runs').waitFor();
    await page.getByRole('textbox', { name: 'Playbook' }).click();
    await page.getByRole('option', { name: 'Contain a device' }).click();
    await page.getByLabel('Device id').fill(device.id);
    await page.getByLabel('Reason').fill('laptop reported stolen');
    await page.getByRole('button', { name: 'Show the plan' }).click();
    const plan = page.getByRole('table', { name: 'Planned steps' });
    await plan.getByRole('row', { name: /Revoke the devices.*planned.*device ids: 1/ }).waitFor();
    await plan.getByRole('row', { name: /Kill the sessions.*planned/ }).waitFor();
    // Nothing changed: the device as it was, no run stored.
    assert.equal((await (await api.get(`/v1/admin/devices/${device.id}`)).json()).status, before);
    assert.deepEqual((await (await api.get('/v1/admin/incident/playbook')).json()).runs, []);

    await page.getByLabel('Dry run (show the plan, change nothing)').uncheck();
    await page.getByRole('button', { name: 'Run the playbook' }).click();
    const steps = page.getByRole('table', { name: 'Steps of the run' });
    await steps.getByRole('row', { name: /Revoke the devices.*done/ }).waitFor();
    await page.getByRole('region', { name: 'Run steps' }).getByText('succeeded').waitFor();
    await waitFor('the device is revoked', async () => (await (await api.get(`/v1/admin/devices/${device.id}`)).json()).status === 'revoked');
    await page.getByRole('row', { name: /Contain a device.*succeeded/ }).waitFor();

    await scan(page, 'Incident playbooks', 'access-incidents');
    assert.deepEqual(admin.problems, []);
  });

  test('operations: the overview counts, certificate expiry and directory sync', async () => {
    const { page } = admin;
    await page.goto('/admin/operations');
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    await page.getByLabel('Devices active: 0').waitFor();
    await page.getByRole('region', { name: 'Certificate expiry' }).getByRole('row').nth(1).waitFor();
    await page.getByText('No directory configured.').waitFor();
    await page.getByText('No sync runs').waitFor();
    await scan(page, 'Operations', 'access-operations');
    assert.deepEqual(admin.problems, []);
  });
});
