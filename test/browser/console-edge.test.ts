import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { CHROMIUM, screenshot, seriousA11yViolations, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled } from '../helpers/console-egress.js';

const PASSWORD = 'an edge console password';
const PAGES = [
  { path: '/edge/rules', heading: 'Firewall rules', shot: 'edge-rules' },
  { path: '/edge/aliases', heading: 'Aliases', shot: 'edge-aliases' },
  { path: '/edge/schedules', heading: 'Schedules', shot: 'edge-schedules' },
  { path: '/edge/nat', heading: 'NAT', shot: 'edge-nat' },
  { path: '/edge/interfaces', heading: 'Interfaces', shot: 'edge-interfaces' },
  { path: '/edge/vlans', heading: 'VLANs', shot: 'edge-vlans' },
  { path: '/edge/routes', heading: 'Routes', shot: 'edge-routes' },
  { path: '/edge/connections', heading: 'Connections', shot: 'edge-connections' },
  { path: '/edge/traffic', heading: 'Blocked traffic and logs', shot: 'edge-traffic' },
  { path: '/edge/config', heading: 'Configuration history', shot: 'edge-config' },
];

/**
 * The console's edge pages in Debian's Chromium against a real Rampart (the CLI, data plane off: the edge compiles
 * and stores, touching nothing on the host): reorder rules by dragging and from the keyboard, switch a rule off,
 * add a rule through the form, the schedules' week view across midnight, the pending banner's apply and the
 * commit-confirm countdown, configuration history with a diff and a restore, and every page's load with no console
 * error and no serious accessibility violation. Screenshots go to docs/console/edge-*.png (SQLite run).
 */
describe("the console's edge pages", { skip: skipUnlessPrograms(CHROMIUM) }, () => {
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

  /** A write through the API with the browser's session, as the pages make it. */
  async function api(method: 'POST' | 'PUT' | 'DELETE', path: string, data?: unknown) {
    const res = await admin.page.request.fetch(path, { method, data, headers: await csrfHeaders(admin.context) });
    assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
  async function get(path: string) {
    const res = await admin.page.request.get(path);
    assert.ok(res.ok(), `GET ${path}: ${res.status()} ${await res.text()}`);
    return res.json();
  }
  const ruleOrder = async () => ((await get('/api/v1/rules')).data as Array<{ label: string }>).map((r) => r.label);
  const rule = (label: string, extra: Record<string, unknown> = {}) => ({
    action: 'pass', direction: 'in', protocol: 'tcp', src_addr: 'any', dst_addr: 'any', log: false, quick: true, state_tracking: 'keep_state', status: 'active', label, ...extra,
  });
  const rows = (page: Page) => page.getByRole('table', { name: 'Firewall rules' }).locator('tbody tr');

  test('rules: drag a rule to the top, move one with the keyboard, switch one off, add one through the form', async () => {
    const { page, problems } = admin;
    await api('POST', '/api/v1/aliases', { name: 'lab_nets', alias_type: 'network', entries: ['10.247.0.0/16'], description: 'the lab', enabled: true });
    for (const r of [rule('allow-https', { src_addr: '<lab_nets>', dst_port_start: 443 }), rule('block-one', { action: 'block', src_addr: '10.247.1.66' }), rule('allow-ssh', { dst_port_start: 22 })]) {
      await api('POST', '/api/v1/rules', r);
    }
    assert.deepEqual(await ruleOrder(), ['allow-https', 'block-one', 'allow-ssh']);
    await page.goto('/edge/rules');
    await page.getByRole('heading', { level: 1, name: 'Firewall rules' }).waitFor();
    await rows(page).nth(2).filter({ hasText: 'allow-ssh' }).waitFor();

    // The block for one host must come before the pass for its network: drag it to the top.
    const blockId = await rows(page).nth(1).getAttribute('data-rule-id');
    const firstId = await rows(page).nth(0).getAttribute('data-rule-id');
    await page.locator(`[data-rule-handle="${blockId}"]`).dragTo(page.locator(`tr[data-rule-id="${firstId}"]`));
    await waitFor('the dragged order saved', async () => (await ruleOrder()).join() === 'block-one,allow-https,allow-ssh');
    await rows(page).nth(0).filter({ hasText: 'block-one' }).waitFor();

    // From the keyboard: focus allow-ssh's handle, Home moves it to the top, ArrowDown one place back down.
    const ssh = page.getByRole('button', { name: /^Move allow-ssh,/ });
    await ssh.focus();
    await page.keyboard.press('Home');
    await waitFor('allow-ssh first', async () => (await ruleOrder())[0] === 'allow-ssh');
    await page.keyboard.press('ArrowDown');
    await waitFor('allow-ssh second', async () => (await ruleOrder()).join() === 'block-one,allow-ssh,allow-https');
    // The order is saved before the table re-renders: wait for the focused handle to say where it now is.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    await waitFor('the focus to stay on the moved rule', async () => (await focused()) === 'Move allow-ssh, position 2 of 3').catch(async (err) =>
      assert.fail(`${err.message}: focused ${await focused()}`),
    );
    await page.getByText('Rule allow-ssh moved to position 2 of 3.').waitFor({ state: 'attached' });

    // Switched off inline (from the keyboard: Space on the focused switch): the whole rule goes back, disabled.
    await page.getByRole('switch', { name: 'allow-ssh enabled' }).focus();
    await page.keyboard.press('Space');
    await waitFor('allow-ssh disabled', async () => ((await get('/api/v1/rules')).data as Array<{ label: string; status: string }>).find((r) => r.label === 'allow-ssh')?.status === 'disabled');
    const ssh2 = ((await get('/api/v1/rules')).data as Array<{ label: string; rule_match: { dst_port: { start: number } | null } }>).find((r) => r.label === 'allow-ssh');
    assert.equal(ssh2?.rule_match.dst_port?.start, 22, 'the switch kept the rest of the rule');

    // Added through the form, with a port range and the alias as source.
    await page.getByRole('button', { name: 'Add rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add rule' });
    await dialog.getByLabel('Source', { exact: true }).fill('<lab_nets>');
    await dialog.getByLabel('Destination port').fill('8000-8080');
    await dialog.getByLabel('Label').fill('web-range');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rows(page).filter({ hasText: 'web-range' }).waitFor();
    const added = ((await get('/api/v1/rules')).data as Array<{ label: string; rule_match: { src_addr: string; dst_port: { start: number; end: number } } }>).find((r) => r.label === 'web-range');
    assert.deepEqual([added?.rule_match.src_addr, added?.rule_match.dst_port], ['<lab_nets>', { start: 8000, end: 8080 }]);

    // A bad port is refused in the form, and nothing is sent.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByLabel('Destination port').fill('70000');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Destination port' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await ruleOrder()).length, 4);
    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(problems, []);
  });

  test('schedules: the week view draws a window past midnight on both days', async () => {
    const { page, problems } = admin;
    await api('POST', '/api/v1/schedules', { name: 'office', time_ranges: ['08:00-17:00'], days_of_week: ['mon', 'tue', 'wed', 'thu', 'fri'], enabled: true });
    await api('POST', '/api/v1/schedules', { name: 'backups', time_ranges: ['22:00-06:00'], days_of_week: ['fri'], enabled: true });
    await page.goto('/edge/schedules');
    await page.getByRole('heading', { level: 1, name: 'Schedules' }).waitFor();
    const friday = page.getByRole('list', { name: 'Friday windows' });
    const saturday = page.getByRole('list', { name: 'Saturday windows' });
    await friday.getByRole('listitem', { name: 'backups: 22:00 to 24:00' }).waitFor();
    await saturday.getByRole('listitem', { name: 'backups: 00:00 to 06:00' }).waitFor();
    await friday.getByRole('listitem', { name: 'office: 08:00 to 17:00' }).waitFor();
    assert.equal(await saturday.getByRole('listitem', { name: /^office/ }).count(), 0);
    assert.equal(await page.getByRole('list', { name: 'Thursday windows' }).getByRole('listitem', { name: /^backups/ }).count(), 0);
    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(problems, []);
  });

  test('the pending banner: writes wait for Apply; apply with commit-confirm counts down until confirmed', async () => {
    const { page, problems } = admin;
    await api('POST', '/api/v1/rules', rule('pending-one', { dst_port_start: 8443 }));
    await page.goto('/edge/rules');
    const banner = page.getByRole('region', { name: 'Pending changes' });
    await banner.getByText('Firewall rules').waitFor();
    await shot(admin, 'edge-pending');
    await banner.getByRole('button', { name: 'Apply changes' }).click();
    await banner.waitFor({ state: 'detached' });
    assert.equal((await get('/api/v1/pending')).firewall, false);

    await api('PUT', '/api/v1/rules/reorder', { rule_ids: ((await get('/api/v1/rules')).data as Array<{ id: string }>).map((r) => r.id).reverse() });
    await page.reload();
    await banner.getByRole('button', { name: 'Apply with commit-confirm' }).click();
    await page.getByLabel('What is changing').fill('reversed the rules');
    await page.getByRole('button', { name: 'Apply and start the countdown' }).click();
    const countdown = page.getByRole('region', { name: 'Commit-confirm countdown' });
    await countdown.getByText(/reversed the rules/).waitFor();
    const remaining = async () => countdown.getByTestId('commit-confirm-remaining').innerText();
    const first = await remaining();
    assert.match(first, /^[45]:\d\d$/);
    await waitFor('the countdown to move', async () => (await remaining()) !== first, 5000);
    const status = await get('/api/v1/config/commit-confirm/status');
    assert.equal(status.active, true);
    await shot(admin, 'edge-commit-confirm');
    await countdown.getByRole('button', { name: 'Confirm configuration' }).click();
    await countdown.waitFor({ state: 'detached' });
    assert.equal((await get('/api/v1/config/commit-confirm/status')).active, false);
    assert.deepEqual(problems, []);
  });

  test('configuration history: the diff of two versions shows the rule that changed; restore brings it back', async () => {
    const { page, problems } = admin;
    await api('POST', '/api/v1/config/save', { comment: 'before the telnet rule' });
    await api('POST', '/api/v1/rules', rule('telnet-in', { dst_port_start: 23 }));
    await api('POST', '/api/v1/reload');
    await api('POST', '/api/v1/config/save', { comment: 'with the telnet rule' });
    const versions = (await get('/api/v1/config/history')).data as Array<{ version: number; comment: string | null }>;
    const before = versions.find((v) => v.comment === 'before the telnet rule')!;
    const withIt = versions.find((v) => v.comment === 'with the telnet rule')!;
    await page.goto('/edge/config');
    await page.getByRole('heading', { level: 1, name: 'Configuration history' }).waitFor();
    await page.getByRole('radio', { name: `Compare from version ${before.version}` }).check();
    await page.getByRole('radio', { name: `Compare to version ${withIt.version}` }).check();
    await page.getByRole('heading', { name: `Changes from v${before.version} to v${withIt.version}` }).waitFor();
    const diff = page.getByRole('region', { name: 'Changes in rules' });
    await diff.getByText(/telnet-in/).first().waitFor();
    assert.ok((await diff.locator('.diff-add').filter({ hasText: 'telnet-in' }).count()) > 0, 'the new rule is an added line');
    await page.getByRole('heading', { name: `Changes from v${before.version} to v${withIt.version}` }).scrollIntoViewIfNeeded();
    await shot(admin, 'edge-config-diff');

    await page.getByRole('button', { name: `Restore version ${before.version}` }).click();
    const dialog = page.getByRole('dialog', { name: `Restore version ${before.version}` });
    await dialog.getByRole('button', { name: `Restore v${before.version}` }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitFor('the telnet rule gone', async () => !(await ruleOrder()).includes('telnet-in'));
    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(problems, []);
  });

  test('every edge page loads with no console error and no serious accessibility violation', async () => {
    const { page, problems } = admin;
    await api('POST', '/api/v1/nat', { nat_type: 'dnat', interface: 'lo', protocol: 'tcp', src_addr: 'any', dst_addr: 'any', dst_port_start: 8443, redirect_addr: '10.247.2.10', redirect_port_start: 443, label: 'web', status: 'active' });
    const failed: string[] = [];
    for (const p of PAGES) {
      await page.goto(p.path);
      await page.getByRole('heading', { level: 1, name: p.heading }).waitFor();
      await settled(page);
      const alerts = await page.getByRole('alert').filter({ hasText: 'Could not load this' }).count();
      if (alerts) failed.push(`${p.path}: ${await page.getByRole('alert').first().innerText()}`);
      const violations = await seriousA11yViolations(page);
      if (violations.length) failed.push(`${p.path}: ${JSON.stringify(violations)}`);
      if (p.shot) await shot(admin, p.shot);
    }
    assert.deepEqual(failed, []);
    assert.deepEqual(problems, []);
  });
});

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
