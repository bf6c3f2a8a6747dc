import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { repoRoot, spawnRampart, type SpawnedRampart } from '../helpers/process.js';
import { CLIENT_IP, GATEWAY_CLIENT_SIDE, RoutedLab, UPSTREAM_IP } from '../helpers/routed-lab.js';
import { waitFor } from '../helpers/wait.js';
import { CHROMIUM, ensureConsoleBuilt, launchChromium, screenshot, seriousA11yViolations, watchedPage, type WatchedPage } from '../helpers/console.js';
import { csrfHeaders, signInFirstAdmin, unixSocketForwarder } from '../helpers/console-egress.js';

const PASSWORD = 'an egress console password';
const PAGES = [
  { path: '/egress/policy', heading: 'Egress policy', shot: 'egress-policy' },
  { path: '/egress/findings', heading: 'Findings', shot: 'egress-findings' },
  { path: '/egress/wiretap', heading: 'Wiretap', shot: null },
  { path: '/egress/dns-cache', heading: 'DNS cache', shot: 'egress-dns-cache' },
  { path: '/egress/integrations', heading: 'Integrations', shot: null },
  { path: '/egress/service-accounts', heading: 'Service accounts', shot: null },
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

  before(async () => {
    requirePrograms(CHROMIUM);
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
  });

  test('a policy with an error shows it at its field and saves nothing; fixed, it shows what changes and saves', async () => {
    const { page, problems } = admin;
    await page.goto('/egress/policy');
    await page.getByRole('heading', { name: 'Egress policy' }).waitFor();
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
    await review.getByRole('list', { name: 'Changes' }).filter({ hasText: 'Source groups added: office' }).waitFor();
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
      await page.getByRole('status').filter({ hasText: /Loading/ }).waitFor({ state: 'detached' });
      assert.deepEqual(await seriousA11yViolations(page), [], p.path);
      if (p.shot) await shot(admin, p.shot);
    }
    assert.deepEqual(problems, []);
  });
});

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
