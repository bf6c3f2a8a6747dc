import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { spawnRampart, type SpawnedRampart } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { CHROMIUM, ensureConsoleBuilt, launchChromium, screenshot, seriousA11yViolations, watchedPage, type WatchedPage } from '../helpers/console.js';
import { csrfHeaders, settled, signInFirstAdmin } from '../helpers/console-egress.js';

const PASSWORD = 'a fleet console password';
const HOSTNAME = 'web-console-1';
const CREDENTIAL = 'lab key';

/**
 * The console's fleet pages in Debian's Chromium against a real Rampart (the CLI on the test database): a credential
 * and a host made through the forms, the host's page, alert triage on an alert the liveness probes raise, a system
 * config saved, and every page's load (axe scan, no console error). Screenshots go to docs/console/ (SQLite).
 *
 * The host is registered at 127.0.0.1 on port 1, where nothing listens: ICMP answers and SSH is refused, so two
 * connectivity checks take it to critical, which raises host_unreachable. No traffic leaves loopback.
 */
describe('the console\'s fleet pages', { skip: skipUnlessPrograms(CHROMIUM, 'ssh-keygen', 'ping') }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let hostId = '';
  const keyDir = mkdtempSync(join(tmpdir(), 'rampart-console-fleet-'));

  before(async () => {
    requirePrograms(CHROMIUM, 'ssh-keygen', 'ping');
    ensureConsoleBuilt();
    tdb = await createTestDatabase();
    server = await spawnRampart(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], { RAMPART_DATABASE_URL: tdb.url });
    browser = await launchChromium();
    admin = await watchedPage(browser, server.url);
    await signInFirstAdmin(admin.page, tdb.dataDir, PASSWORD);
  });
  after(async () => {
    await admin?.close();
    await browser?.close();
    await server?.stop();
    await tdb?.cleanup();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const api = async (method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string> = {}) => {
    const res = await admin.page.request.fetch(path, { method, headers: method === 'GET' ? headers : { ...headers, ...(await csrfHeaders(admin.context)) } });
    return { status: res.status(), body: await res.json().catch(() => undefined), text: await res.text() };
  };

  test('a credential and a host made through the forms are listed; the host page shows it and queues a scan', async () => {
    const { page, problems } = admin;
    const keyPath = join(keyDir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'console-test', '-f', keyPath]);
    const privateKey = readFileSync(keyPath, 'utf8');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${keyPath}.pub`], { encoding: 'utf8' }).split(' ')[1];

    await page.goto('/fleet/credentials');
    await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
    await page.getByText('No credentials').waitFor();
    await page.getByRole('button', { name: 'Add credential' }).click();
    const form = page.getByRole('dialog', { name: 'Add a credential' });
    await form.getByLabel('Name').fill(CREDENTIAL);
    await form.getByLabel('SSH user').fill('rampart');
    await form.getByLabel('Private key').fill(privateKey);
    await form.getByLabel('Default for hosts without their own').check();
    await form.getByRole('button', { name: 'Save credential' }).click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: CREDENTIAL });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(fingerprint.replace(/[+/]/g, '\\$&')), 'the key\'s fingerprint is listed');
    const listed = await api('GET', '/api/v1/credentials');
    assert.equal(listed.body.items.length, 1);
    assert.ok(!listed.text.includes('PRIVATE KEY') && !listed.text.includes(privateKey.split('\n')[1]), 'the key never comes back');

    await page.goto('/fleet/hosts');
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    await page.getByText('No hosts').waitFor();
    await page.getByRole('button', { name: 'Add host' }).click();
    const hostForm = page.getByRole('dialog', { name: 'Add a host' });
    await hostForm.getByLabel('Hostname').fill(HOSTNAME);
    await hostForm.getByLabel('IP address').fill('127.0.0.1');
    await hostForm.getByLabel('SSH port').fill('1');
    await hostForm.getByLabel('Environment').fill('lab');
    await hostForm.getByLabel('Tags').fill('web, console');
    await hostForm.getByRole('button', { name: 'Add host' }).click();
    await hostForm.waitFor({ state: 'detached' });
    const hostRow = page.getByRole('row').filter({ hasText: HOSTNAME });
    await hostRow.waitFor();
    assert.match(await hostRow.innerText(), /127\.0\.0\.1:1[\s\S]*lab[\s\S]*web[\s\S]*console[\s\S]*not scanned/i);
    const hosts = await api('GET', '/api/v1/hosts');
    assert.deepEqual(hosts.body.items.map((h: any) => [h.hostname, h.ip_address, h.port, h.environment, h.tags]), [[HOSTNAME, '127.0.0.1', 1, 'lab', ['web', 'console']]]);
    hostId = hosts.body.items[0].id;

    // The tag filter goes to the server and stays in the address.
    await page.getByLabel('Tag').fill('database');
    await page.getByText('No hosts').waitFor();
    assert.match(page.url(), /tag=database/);
    await page.getByLabel('Tag').fill('web');
    await hostRow.waitFor();

    await hostRow.getByRole('link', { name: HOSTNAME }).click();
    await page.getByRole('heading', { level: 1, name: HOSTNAME }).waitFor();
    await page.getByRole('region', { name: 'System' }).getByText('not discovered yet').waitFor();
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.getByText(/^Scan [0-9a-f]{8} queued\.$/).waitFor();
    const history = page.getByRole('table', { name: 'Scans of this host' });
    await history.getByRole('row').nth(1).waitFor();
    const scans = await api('GET', `/api/v1/scans?host_id=${hostId}`);
    assert.equal(scans.body.scans.length, 1, 'one click, one scan');
    assert.deepEqual(problems, []);
  });

  test('an alert the liveness probes raise is acknowledged, then resolved, on the alerts page', async () => {
    const { page, problems } = admin;
    assert.ok(hostId, 'the host of the first test');
    // SSH refused twice in a row: critical, which raises host_unreachable.
    await waitFor('a host_unreachable alert', async () => {
      const check = await api('POST', `/api/v1/hosts/${hostId}/connectivity:check`, { 'idempotency-key': randomUUID() });
      assert.equal(check.status, 200, check.text);
      const open = await api('GET', '/api/v1/alerts?state=active');
      return open.body.items.find((a: any) => a.alert_type === 'host_unreachable' && a.host_id === hostId);
    }, 60_000, 200);

    await page.goto('/fleet/alerts?state=active');
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Host unreachable' });
    await row.getByText('active', { exact: true }).waitFor();
    await shot(admin, 'fleet-alerts');
    // Without the state filter the row stays in view as its state changes.
    await page.goto('/fleet/alerts');
    await row.getByRole('button', { name: 'Acknowledge Host unreachable' }).click();
    await row.getByText('acknowledged', { exact: true }).waitFor();
    assert.equal((await api('GET', '/api/v1/alerts?state=acknowledged')).body.items.length, 1);
    await row.getByRole('button', { name: 'Resolve Host unreachable' }).click();
    await row.getByText('resolved', { exact: true }).waitFor();
    const resolved = (await api('GET', '/api/v1/alerts?state=resolved')).body.items;
    assert.deepEqual(resolved.map((a: any) => [a.alert_type, a.resolved_by !== null]), [['host_unreachable', true]]);
    assert.equal(await row.getByRole('button', { name: 'Acknowledge Host unreachable' }).count(), 0, 'a resolved alert cannot be acknowledged');
    assert.deepEqual(problems, []);
  });

  test('a system config value changed on the settings page is saved; one out of bounds is refused and changes nothing', async () => {
    const { page, problems } = admin;
    await page.goto('/fleet/settings');
    await page.getByRole('heading', { level: 1, name: 'Fleet settings' }).waitFor();
    await settled(page);
    const connectivity = page.getByRole('form', { name: 'Connectivity settings' });
    const timeout = connectivity.getByLabel('Probe timeout (s)');
    await timeout.fill('12');
    await connectivity.getByRole('button', { name: 'Save connectivity' }).click();
    await page.getByText('Connectivity settings saved.').waitFor();
    assert.equal((await api('GET', '/api/v1/system/connectivity/config')).body.config.timeout_sec, 12);

    await timeout.fill('99');
    await connectivity.getByRole('button', { name: 'Save connectivity' }).click();
    await page.getByText('That did not work').waitFor();
    assert.equal((await api('GET', '/api/v1/system/connectivity/config')).body.config.timeout_sec, 12, 'the refused value is not stored');

    await page.reload();
    await settled(page);
    assert.equal(await page.getByRole('form', { name: 'Connectivity settings' }).getByLabel('Probe timeout (s)').inputValue(), '12');
    // The 400 of the refused save is the one console error, and it was expected.
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    problems.length = 0;
  });

  test('every fleet page loads with no console error and no serious accessibility violation', async () => {
    const { page, problems } = admin;
    const scanId = (await api('GET', `/api/v1/scans?host_id=${hostId}`)).body.scans[0].scan_id;
    const pages = [
      { path: '/fleet/overview', heading: 'Fleet overview', shot: 'fleet-overview' },
      { path: '/fleet/hosts', heading: 'Hosts', shot: 'fleet-hosts' },
      { path: `/fleet/hosts/${hostId}`, heading: HOSTNAME, shot: 'fleet-host' },
      { path: '/fleet/credentials', heading: 'Credentials', shot: 'fleet-credentials' },
      { path: '/fleet/scans', heading: 'Scans', shot: 'fleet-scans' },
      { path: `/fleet/scans/${scanId}`, heading: 'Scan', shot: 'fleet-scan' },
      { path: '/fleet/alerts', heading: 'Alerts', shot: null },
      { path: '/fleet/exceptions', heading: 'Exceptions', shot: 'fleet-exceptions' },
      { path: '/fleet/remediation', heading: 'Remediation', shot: 'fleet-remediation' },
      { path: '/fleet/settings', heading: 'Fleet settings', shot: 'fleet-settings' },
      { path: '/fleet/license', heading: 'License', shot: 'fleet-license' },
    ];
    for (const p of pages) {
      await page.goto(p.path);
      await page.getByRole('heading', { level: 1, name: p.heading, exact: true }).waitFor();
      await settled(page);
      assert.deepEqual(await seriousA11yViolations(page), [], p.path);
      if (p.shot) await shot(admin, p.shot);
    }
    assert.deepEqual(problems, []);
  });
});

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
