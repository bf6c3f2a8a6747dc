import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, onPostgres, unixSocketUrl, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { startRampartInNamespace, type NamespacedRampart } from '../helpers/console-fleet.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { waitFor } from '../helpers/wait.js';
import { CHROMIUM, ensureConsoleBuilt, launchChromium, screenshot, seriousA11yViolations, watchedPage, type WatchedPage } from '../helpers/console.js';
import { csrfHeaders, settled, signInFirstAdmin, unixSocketForwarder } from '../helpers/console-egress.js';

const PASSWORD = 'a fleet console password';
const HOSTNAME = 'web-console-1';
const CREDENTIAL = 'lab key';

/**
 * The console's fleet pages in Debian's Chromium against a real Rampart (the CLI on the test database) and real
 * hosts: the SSH lab (test/helpers/ssh-lab.ts) with `web`, Debian's sshd with key login in its own network and mount
 * namespaces, and `gone`, a namespace where no sshd listens. Rampart runs in the lab's client namespace (from which
 * it reaches the hosts), its API on a unix socket the browser reaches through a loopback forwarder.
 *
 * Through the pages: a credential (the lab's key) and a host, the host's page, "Scan now" and the failed rules with
 * their evidence; alert triage on the host_unreachable alert the liveness checks of `gone` raise; a system config
 * saved; every page's load (axe scan, no console error). Screenshots go to docs/console/ (SQLite).
 */
describe('the console\'s fleet pages', { skip: skipUnlessPrograms(CHROMIUM) || skipUnlessSshLab() }, () => {
  let tdb: TestDatabase;
  let lab: SshLab;
  let server: NamespacedRampart | undefined;
  let forwarder: Awaited<ReturnType<typeof unixSocketForwarder>> | undefined;
  let browser: Browser;
  let admin: WatchedPage;
  let hostId = '';
  const dir = mkdtempSync(join(tmpdir(), 'rampart-console-fleet-'));

  before(async () => {
    requirePrograms(CHROMIUM);
    ensureConsoleBuilt();
    lab = await startSshLab({ hosts: [{ name: 'web', login: 'key' }, { name: 'gone', login: 'unreachable' }] });
    tdb = await createTestDatabase();
    // On PostgreSQL, Rampart in the namespace reaches the test database through its unix socket.
    const databaseUrl = onPostgres ? await unixSocketUrl(tdb.url) : tdb.url;
    const socket = join(dir, 'rampart.sock');
    server = await startRampartInNamespace(lab.clientNamespace, { dataDir: tdb.dataDir, socket, env: { RAMPART_DATABASE_URL: databaseUrl } });
    forwarder = await unixSocketForwarder(socket);
    browser = await launchChromium();
    admin = await watchedPage(browser, forwarder.url);
    await signInFirstAdmin(admin.page, tdb.dataDir, PASSWORD);
  });
  after(async () => {
    await admin?.close();
    await browser?.close();
    await forwarder?.close();
    await server?.stop();
    await lab?.close();
    await tdb?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string> = {}, data?: unknown) => {
    const res = await admin.page.request.fetch(path, { method, data, headers: method === 'GET' ? headers : { ...headers, ...(await csrfHeaders(admin.context)) } });
    return { status: res.status(), body: await res.json().catch(() => undefined), text: await res.text() };
  };

  test('a credential and a host made through the forms are listed; "Scan now" scans it and its failed rules show their evidence', { timeout: 300_000 }, async () => {
    const { page, problems } = admin;
    const web = lab.host('web');
    const keyPath = join(dir, 'web-key');
    writeFileSync(keyPath, web.privateKey!, { mode: 0o600 });
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', keyPath], { encoding: 'utf8' }).split(' ')[1];

    await page.goto('/fleet/credentials');
    await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
    await page.getByText('No credentials').waitFor();
    await page.getByRole('button', { name: 'Add credential' }).click();
    const form = page.getByRole('dialog', { name: 'Add a credential' });
    await form.getByLabel('Name').fill(CREDENTIAL);
    await form.getByLabel('SSH user').fill(web.username);
    await form.getByLabel('Private key').fill(web.privateKey!);
    await form.getByLabel('Default for hosts without their own').check();
    await form.getByRole('button', { name: 'Save credential' }).click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: CREDENTIAL });
    await row.waitFor();
    assert.ok((await row.innerText()).includes(fingerprint), 'the key\'s fingerprint is listed');
    const listed = await api('GET', '/api/v1/credentials');
    assert.equal(listed.body.credentials.length, 1);
    assert.ok(!listed.text.includes('PRIVATE KEY') && !listed.text.includes(web.privateKey!.split('\n')[1]), 'the key never comes back');

    await page.goto('/fleet/hosts');
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    await page.getByText('No hosts').waitFor();
    await page.getByRole('button', { name: 'Add host' }).click();
    const hostForm = page.getByRole('dialog', { name: 'Add a host' });
    await hostForm.getByLabel('Hostname').fill(HOSTNAME);
    await hostForm.getByLabel('IP address').fill(web.address);
    await hostForm.getByLabel('SSH port').fill(String(web.port));
    await hostForm.getByLabel('Environment').fill('lab');
    await hostForm.getByLabel('Tags').fill('web, console');
    await hostForm.getByRole('button', { name: 'Add host' }).click();
    await hostForm.waitFor({ state: 'detached' });
    const hostRow = page.getByRole('row').filter({ hasText: HOSTNAME });
    await hostRow.waitFor();
    assert.match(await hostRow.innerText(), /lab[\s\S]*web[\s\S]*console[\s\S]*not scanned/i);
    const hosts = await api('GET', '/api/v1/hosts');
    assert.deepEqual(hosts.body.hosts.map((h: any) => [h.hostname, h.ip_address, h.port, h.environment, h.tags]), [[HOSTNAME, web.address, web.port, 'lab', ['web', 'console']]]);
    hostId = hosts.body.hosts[0].id;

    // The tag filter goes to the server and stays in the address.
    await page.getByLabel('Tag').fill('database');
    await page.getByText('No hosts').waitFor();
    assert.match(page.url(), /tag=database/);
    await page.getByLabel('Tag').fill('web');
    await hostRow.waitFor();

    // Discovery first: a scan picks the rules that apply by the host's OS. The sweep queues the discovery job for
    // every host; "Discover now" on the host's page runs it inline and the System panel shows what it found.
    await page.goto('/fleet/settings');
    await page.getByRole('button', { name: 'Discover every host now' }).click();
    await page.getByText('Discovery queued for 1 host.').waitFor();

    await page.goto('/fleet/hosts?tag=web');
    await hostRow.getByRole('link', { name: HOSTNAME }).click();
    await page.getByRole('heading', { level: 1, name: HOSTNAME }).waitFor();
    await page.getByRole('button', { name: 'Discover now' }).click();
    await page.getByText('Discovery finished: the system information is up to date.').waitFor({ timeout: 150_000 });
    const osRelease = Object.fromEntries(lab.must('web', 'cat /etc/os-release').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]));
    const { host: discovered } = (await api('GET', `/api/v1/hosts/${hostId}`)).body;
    assert.equal(discovered.os_version, osRelease.VERSION_ID, 'discovery read the host\'s own os-release');
    assert.ok(discovered.os_family && discovered.os_discovered_at, JSON.stringify(discovered));
    await page.getByRole('region', { name: 'System' }).getByText(`${discovered.os_family} ${discovered.os_version}`).waitFor();
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.getByText(/^Scan [0-9a-f]{8} queued\.$/).waitFor();
    const scans = await api('GET', `/api/v1/scans?host_id=${hostId}`);
    assert.equal(scans.body.scans.length, 1, 'one click, one scan');
    const scanId = scans.body.scans[0].scan_id;
    const scan = await waitFor('the scan to finish', async () => {
      const { body } = await api('GET', `/api/v1/scans/${scanId}`);
      return ['completed', 'failed'].includes(body.scan.status) && body;
    }, 240_000, 1_000);
    assert.equal(scan.scan.status, 'completed', scan.scan.failure_reason ?? '');
    assert.ok(scan.scan.rules_fail > 0, `a lab host fails some rules: ${JSON.stringify({ ...scan.scan, results: scan.results.slice(0, 3) })}`);

    // The page shows the scan's outcome; a failed rule opens on what its check ran and saw on the host.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: HOSTNAME }).waitFor();
    const failed = page.getByRole('region', { name: 'Failed rules' });
    const firstRule = failed.getByRole('button').first();
    await firstRule.waitFor();
    const failing = await api('GET', `/api/v1/hosts/${hostId}/compliance/failed-rules`);
    assert.equal(await failed.getByRole('button').count(), failing.body.rules.length);
    await firstRule.click();
    const ruleId = (await firstRule.innerText()).split('\n').map((l) => l.trim()).find((l) => failing.body.rules.some((r: any) => r.rule_id === l));
    assert.ok(ruleId, 'the rule id is shown');
    const evidence = (await api('GET', `/api/v1/scans/${scanId}/rules/${ruleId}/evidence`)).body;
    const check = failed.getByRole('table', { name: `Check 1 of ${ruleId}` });
    await check.waitFor();
    const shown = await check.innerText();
    for (const label of ['Command', 'Output', 'Expected', 'Actual']) assert.match(shown, new RegExp(label));
    assert.ok(shown.includes(evidence.checks[0].command.trim().split('\n')[0]), 'the command the check ran');
    await page.getByRole('region', { name: 'Scan history' }).getByText('completed', { exact: true }).waitFor();
    await shot(admin, 'fleet-host-evidence');
    assert.deepEqual(problems, []);
  });

  test('an alert the liveness checks raise is acknowledged, then resolved, on the alerts page', { timeout: 180_000 }, async () => {
    const { page, problems } = admin;
    const gone = lab.host('gone');
    const created = await api('POST', '/api/v1/hosts', {}, { hostname: 'gone-console', ip_address: gone.address, environment: 'lab' });
    assert.equal(created.status, 201, created.text);
    const goneId = created.body.id;
    // ICMP answers and SSH is refused: two checks in a row take the host to critical, which raises host_unreachable.
    await waitFor('a host_unreachable alert', async () => {
      const check = await api('POST', `/api/v1/hosts/${goneId}/connectivity:check`, { 'idempotency-key': randomUUID() });
      assert.equal(check.status, 200, check.text);
      const open = await api('GET', '/api/v1/alerts?state=active');
      return open.body.items.find((a: any) => a.alert_type === 'host_unreachable' && a.host_id === goneId);
    }, 120_000, 500);

    await page.goto('/fleet/alerts?state=active');
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Host unreachable' });
    await row.getByText('active', { exact: true }).waitFor();
    await shot(admin, 'fleet-alerts');
    // Without the state filter the row stays in view as its state changes.
    await page.goto('/fleet/alerts');
    await row.getByRole('button', { name: 'Acknowledge Host unreachable' }).click();
    await row.getByText('acknowledged', { exact: true }).waitFor();
    assert.deepEqual((await api('GET', '/api/v1/alerts?state=acknowledged')).body.items.map((a: any) => a.host_id), [goneId]);
    await row.getByRole('button', { name: 'Resolve Host unreachable' }).click();
    await row.getByText('resolved', { exact: true }).waitFor();
    const resolved = (await api('GET', '/api/v1/alerts?state=resolved')).body.items;
    assert.deepEqual(resolved.map((a: any) => [a.alert_type, a.host_id, a.resolved_by !== null]), [['host_unreachable', goneId, true]]);
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

  test('a viewer sees the fleet but none of its write actions', async () => {
    const password = 'a fleet viewer password';
    const created = await api('POST', '/api/v1/users', {}, { username: 'fleet-viewer', email: 'viewer@example.test', password, roles: ['viewer'] });
    assert.equal(created.status, 201, created.text);
    const viewer = await watchedPage(browser, forwarder!.url);
    try {
      const { page, problems } = viewer;
      await page.goto('/');
      await page.getByLabel('Username').fill('fleet-viewer');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const changing = page.getByRole('heading', { name: 'Choose a new password' });
      await changing.or(page.getByRole('heading', { name: 'Dashboard' })).first().waitFor();
      if (await changing.isVisible()) {
        await page.getByLabel('Current password').fill(password);
        await page.getByLabel(/^New password/).fill(`${password} 2`);
        await page.getByLabel('Repeat the new password').fill(`${password} 2`);
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      }
      await page.waitForLoadState('networkidle');
      const nav = page.getByRole('navigation', { name: 'Modules' });
      await nav.getByRole('link', { name: 'Hosts' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Credentials' }).count(), 0, 'a viewer has no credential:read');

      await page.goto('/fleet/hosts');
      await page.getByRole('row').filter({ hasText: HOSTNAME }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Add host' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: `Delete ${HOSTNAME}` }).count(), 0);
      assert.ok(await page.getByRole('switch', { name: `Maintenance for ${HOSTNAME}` }).isDisabled());

      await page.goto('/fleet/alerts');
      await page.getByRole('row').filter({ hasText: 'Host unreachable' }).first().waitFor();
      assert.equal(await page.getByRole('button', { name: /^(Acknowledge|Resolve|Dismiss|Silence) / }).count(), 0);

      await page.goto('/fleet/settings');
      await page.getByRole('heading', { level: 1, name: 'Fleet settings' }).waitFor();
      await settled(page);
      assert.ok(await page.getByRole('form', { name: 'Connectivity settings' }).getByLabel('Probe timeout (s)').isDisabled());
      assert.equal(await page.getByRole('button', { name: /^Save / }).count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await viewer.close();
    }
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
    // The dark theme (following the system's) passes the same scan: contrast is checked on its colours too.
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const path of ['/fleet/overview', `/fleet/hosts/${hostId}`, '/fleet/alerts']) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await settled(page);
      assert.deepEqual(await seriousA11yViolations(page), [], `${path} (dark)`);
    }
    await shot(admin, 'fleet-alerts-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(problems, []);
  });
});

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
