import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, onPostgres, unixSocketUrl, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { CLIENT_IP, RoutedLab } from '../helpers/routed-lab.js';
import { waitFor } from '../helpers/wait.js';
import { CHROMIUM, ensureConsoleBuilt, launchChromium, screenshot, seriousA11yViolations, watchedPage, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled, signInFirstAdmin, unixSocketForwarder } from '../helpers/console-egress.js';

const PASSWORD = 'an egress console password';
const PAGES = [
  { path: '/egress/policy', heading: 'Egress policy', shot: 'egress-policy' },
  { path: '/egress/findings', heading: 'Findings', shot: 'egress-findings' },
  { path: '/egress/wiretap', heading: 'Wiretap', shot: null },
  { path: '/egress/dns-cache', heading: 'DNS cache', shot: 'egress-dns-cache' },
  { path: '/egress/integrations', heading: 'Integrations', shot: null },
  { path: '/egress/settings', heading: 'Egress settings', shot: 'egress-settings' },
];

/**
 * The console's egress pages in Debian's Chromium against a real Rampart (the CLI on the test database): the policy
 * editor's round trip through the server's check, and every page's load. Screenshots go to docs/console/ (SQLite).
 */
describe('the console\'s egress pages', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;

  before(async () => {
    session = await consoleSession({ adminPassword: PASSWORD });
    ({ tdb, server, browser, admin } = session);
  });
  after(async () => {
    await session?.close();
  });

  test('a policy with an error shows it at its field and saves nothing; fixed, it shows what changes and saves', async () => {
    const { page, problems } = admin;
    await page.goto('/egress/policy');
    await page.getByRole('heading', { name: 'Egress policy' }).waitFor();
    // With no policy yet the gateway allows everything; this one denies what no group claims.
    assert.equal(await page.getByRole('textbox', { name: 'Default policy' }).inputValue(), 'allow');
    await page.getByRole('textbox', { name: 'Default policy' }).click();
    await page.getByRole('option', { name: 'deny' }).click();
    await page.getByRole('button', { name: 'Add source group' }).click();
    const group = page.getByRole('region', { name: 'Source group group-1' });
    await group.getByLabel('Group ID').fill('office');
    const office = page.getByRole('region', { name: 'Source group office' });
    await office.getByLabel('Source CIDRs').fill('10.20.0.0/33');
    await office.getByRole('button', { name: 'Add rule to office' }).click();
    await office.getByLabel('Rule ID').fill('api');
    await office.getByLabel('DNS hostname (regex)').fill('^api\\.example\\.com$');
    await page.getByRole('button', { name: 'Review changes' }).click();

    // The server's check names policy.source_groups[0].sources.cidrs[0]; the form marks the CIDR field with it.
    const cidrs = office.getByLabel('Source CIDRs');
    await waitFor('the CIDR field marked invalid', async () => (await cidrs.getAttribute('aria-invalid')) === 'true');
    const fieldError = await cidrs.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '));
    assert.match(fieldError, /\S/, 'the error is read out with the field');
    await page.getByRole('alert').filter({ hasText: 'policy.source_groups[0].sources.cidrs[0]' }).waitFor();
    assert.equal(await office.getByLabel('Group ID').getAttribute('aria-invalid'), 'false', 'only the field at fault is marked');
    assert.deepEqual((await (await page.request.get('/api/v1/policy')).json()).source_groups, [], 'nothing was saved');
    assert.deepEqual(await seriousA11yViolations(page), []);
    await shot(admin, 'egress-policy-error');

    await cidrs.fill('10.20.0.0/24');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const review = page.getByRole('dialog', { name: 'Review changes' });
    const listed = review.getByRole('list', { name: 'Changes' });
    await listed.filter({ hasText: 'Source groups added: office' }).waitFor();
    assert.match(await listed.innerText(), /Default policy:\s*allow\s*→\s*deny/i);
    assert.equal(await cidrs.getAttribute('aria-invalid'), 'false');
    await review.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved; the gateway enforces it now.').waitFor();

    const saved = await (await page.request.get('/api/v1/policy')).json();
    assert.equal(saved.default_policy, 'deny');
    assert.deepEqual(saved.source_groups.map((g: any) => [g.id, g.sources.cidrs, g.rules.map((r: any) => [r.id, r.action, r.match.dns_hostname])]), [
      ['office', ['10.20.0.0/24'], [['api', 'allow', '^api\\.example\\.com$']]],
    ]);

    // The same policy as YAML, after a reload: what the server stored.
    await page.reload();
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('textbox', { name: 'Policy YAML' }).filter({ hasText: '10.20.0.0/24' }).waitFor();
    await shot(admin, 'egress-policy-yaml');
    assert.deepEqual(problems, []);
  });

  test('every egress page loads with no console error and no serious accessibility violation', async () => {
    const { page, problems } = admin;
    for (const p of PAGES) {
      await page.goto(p.path);
      await page.getByRole('heading', { level: 1, name: p.heading }).waitFor();
      await settled(page);
      assert.deepEqual(await seriousA11yViolations(page), [], p.path);
      if (p.shot) await shot(admin, p.shot);
    }
    // Leaving the wiretap page closes its event stream, which Chromium reports as an aborted request.
    assert.deepEqual(problems.filter((p) => !/\/api\/v1\/wiretap\/stream\?ticket=\w+: net::ERR_ABORTED$/.test(p)), []);
  });
});

const API_IP = '203.0.113.10';
const GATEWAY_PROGRAMS = ['ip', 'nft', 'conntrack', 'curl'];
const gatewaySkip = skipUnlessPrograms(CHROMIUM, ...GATEWAY_PROGRAMS);

/**
 * The wiretap page on real traffic: the egress gateway namespace fixture (client -> gateway -> upstream, as the
 * gateway e2e test) with Rampart's data plane on in the gateway, its API on a unix socket the browser reaches
 * through a loopback forwarder. A curl from the client namespace must appear on the page as it happens.
 */
describe('the console\'s wiretap on a real gateway', { skip: gatewaySkip }, () => {
  let lab: RoutedLab | undefined;
  let forwarder: Awaited<ReturnType<typeof unixSocketForwarder>> | undefined;
  let browser: Browser | undefined;
  let admin: WatchedPage | undefined;
  let tdb: TestDatabase | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rampart-console-wiretap-'));

  after(async () => {
    await admin?.close();
    await browser?.close();
    await forwarder?.close();
    await lab?.destroy();
    await tdb?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a connection through the gateway appears on the wiretap page; paused, new events are counted, not shown', { timeout: 180_000 }, async () => {
    requirePrograms(CHROMIUM, ...GATEWAY_PROGRAMS);
    ensureConsoleBuilt();
    lab = RoutedLab.create([API_IP]);
    const web = `require('node:http').createServer((req, res) => res.end('hello from ' + req.socket.localAddress + '\\n')).listen(80, process.argv[1]);`;
    lab.spawn('upstream', process.execPath, ['-e', web, API_IP]);

    const socket = join(dir, 'rampart.sock');
    const dataDir = join(dir, 'data');
    // On PostgreSQL the gateway's Rampart reaches the test database through its unix socket (see unixSocketUrl).
    tdb = onPostgres ? await createTestDatabase() : undefined;
    const env = tdb ? { RAMPART_DATABASE_URL: await unixSocketUrl(tdb.url) } : {};
    const { context } = await lab.startGatewayRampart({ dataDir, socket, nodeId: 'gw-console', env });
    forwarder = await unixSocketForwarder(socket);
    browser = await launchChromium();
    admin = await watchedPage(browser, forwarder.url);
    const { page, problems } = admin;
    await signInFirstAdmin(page, dataDir, PASSWORD);

    // The clients may reach the upstream's address; the page then watches for their flows.
    const policy = { default_policy: 'deny', source_groups: [{ id: 'clients', sources: { cidrs: ['10.20.0.0/24'] }, default_action: 'deny', rules: [{ id: 'web', action: 'allow', match: { dst_cidrs: [`${API_IP}/32`], proto: 'tcp', dst_ports: [80] } }] }] };
    const saved = await page.request.put('/api/v1/policy', { data: policy, headers: await csrfHeaders(admin.context) });
    assert.equal(saved.status(), 200, `${await saved.text()}\n${context()}`);

    await page.goto('/egress/wiretap');
    await page.getByRole('heading', { name: 'Wiretap' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    const curl = async () => {
      const { status, output } = await lab!.run('client', 'curl', ['-s', '--max-time', '5', `http://${API_IP}/`]);
      assert.ok(status === 0 && output.includes(`hello from ${API_IP}`), `HTTP through the gateway: ${output}\n${context()}`);
    };
    await curl();
    const ours = page.getByRole('row').filter({ hasText: `${API_IP}:80` }).filter({ hasText: CLIENT_IP });
    await ours.first().waitFor({ timeout: 30_000 });
    assert.match(await ours.first().innerText(), /tcp/);
    await shot(admin, 'egress-wiretap');

    // Paused: the list stands still while the stream goes on; what arrives is counted.
    await page.getByRole('button', { name: 'Pause' }).click();
    const shown = await page.getByRole('row').count();
    await curl();
    await page.getByText(/^Paused; [1-9]\d* events? not shown$/).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('row').count(), shown);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText(/^Paused;/).waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
  });
});

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
