import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { fetchRaw, repoRoot, type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, screenshot, seriousA11yViolations, watchedPage, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';

const ADMIN_PASSWORD = 'the overlay admin password';
const INVITEE = { username: 'invitee', email: 'invitee@example.com', password: 'the invitee password' };

/** Signs in with the password the first start printed and picks a new one (the first login must). */
/** A call with the page's own session cookie and CSRF token, for set-up the test does not do through pages. */
async function api(w: WatchedPage, method: 'GET' | 'POST', path: string, body?: object) {
  const csrf = (await w.context.cookies()).find((c) => c.name === 'rampart_csrf')?.value ?? '';
  const res = await w.page.request.fetch(path, { method, headers: { 'X-CSRF-Token': csrf }, ...(body ? { data: body } : {}) });
  assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** `rampart agent overlay enroll` as the operator runs it: the command the page shows, plus where to keep state. */
function runAgentCommand(command: string, extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [program, agent, overlay, ...args] = command.split(' ');
  assert.deepEqual([program, agent, overlay, args[0]], ['rampart', 'agent', 'overlay', 'enroll']);
  const proc = spawn(process.execPath, ['bin/rampart.js', agent, overlay, ...args, ...extra], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => proc.once('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

/**
 * The overlay pages in Debian's Chromium against a real Rampart: a network, a lighthouse and a node made in the
 * pages, the node's config downloaded and the node enrolled by the agent with the command the page shows, its
 * status turning live; an invitation accepted on the public page by a second user in their own browser.
 */
describe('the console overlay pages in a real browser', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;
  let invitee: WatchedPage | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'rampart-console-overlay-'));
  let networkUrl = '';

  before(async () => {
    session = await consoleSession({ adminPassword: ADMIN_PASSWORD, timeoutMs: 60_000 });
    ({ tdb, server, browser, admin } = session);
  });
  after(async () => {
    await invitee?.close();
    await session?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const shot = async (page: Page, name: string) => {
    if (!onPostgres) await screenshot(page, name);
  };
  const clean = async (w: WatchedPage, where: string) => {
    assert.deepEqual(await seriousA11yViolations(w.page), [], `axe on ${where}`);
    assert.deepEqual(w.problems, [], `console problems on ${where}`);
  };
  const rowOf = (page: Page, text: string) => page.getByRole('row').filter({ hasText: text });

  test('create a network, then a lighthouse and a node in it', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Networks' }).click();
    await page.getByRole('heading', { name: 'Networks' }).waitFor();
    await page.getByText('No networks').waitFor();
    await clean(admin, 'the empty networks page');

    await page.getByRole('button', { name: 'Create network' }).click();
    await page.getByLabel('Name').fill('office');
    await page.getByLabel(/^Subnet/).fill('10.77.0.0/24');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await rowOf(page, 'office').getByText('10.77.0.0/24').waitFor();
    // axe reads a closing dialog's fading text as low contrast: scan once it is gone.
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await rowOf(page, 'office').getByText('owner').count(), 1, 'the creator owns it');
    await shot(page, 'overlay-networks');
    await clean(admin, 'the networks page');

    await page.getByRole('link', { name: 'office' }).click();
    await page.getByRole('heading', { name: 'office' }).waitFor();
    networkUrl = new URL(page.url()).pathname;
    await page.getByText('No nodes').waitFor();

    // The first node defaults to a lighthouse; a lighthouse needs its public endpoint.
    await page.getByRole('button', { name: 'Create node' }).click();
    await page.getByLabel('Hostname').fill('lighthouse');
    assert.equal(await page.getByRole('checkbox', { name: 'Lighthouse' }).isChecked(), true);
    await page.getByLabel(/^Public endpoint/).fill('198.18.0.1:4242');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await rowOf(page, 'lighthouse').getByText('10.77.0.1').waitFor();

    await page.getByRole('button', { name: 'Create node' }).click();
    await page.getByLabel('Hostname').fill('web');
    assert.equal(await page.getByRole('checkbox', { name: 'Lighthouse' }).isChecked(), false);
    await page.getByRole('textbox', { name: 'Groups' }).fill('web');
    await page.getByRole('textbox', { name: 'Groups' }).press('Enter');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await rowOf(page, 'web').getByText('10.77.0.2').waitFor();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('status-web').textContent(), 'pending');
    await clean(admin, 'the nodes tab');
  });

  test("download the node's config: its certificate and the lighthouse in static_host_map", async () => {
    const { page } = admin;
    await rowOf(page, 'web').getByRole('button', { name: 'Actions for web' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Download config' }).click()]);
    const config = readFileSync((await download.path())!, 'utf8');
    await page.getByRole('menu').waitFor({ state: 'hidden' });
    assert.match(config, /-----BEGIN NEBULA CERTIFICATE-----/);
    assert.match(config, /static_host_map:\n\s+"?10\.77\.0\.1"?:\n\s+- "?198\.18\.0\.1:4242"?/);
    assert.equal(download.suggestedFilename().endsWith('.yml'), true, download.suggestedFilename());
    await clean(admin, 'the config download');
  });

  test('enrol the node with the command the page shows; its status turns active when the device polls', async () => {
    const { page } = admin;
    await rowOf(page, 'web').getByRole('button', { name: 'Actions for web' }).click();
    await page.getByRole('menuitem', { name: 'Enrolment code' }).click();
    await page.getByRole('menu').waitFor({ state: 'hidden' });
    const command = (await page.getByTestId('enroll-command').textContent())!;
    assert.match(command, new RegExp(`^rampart agent overlay enroll --server ${server.url.replace(/[.]/g, '\\.')} --code \\S+$`));
    await page.getByRole('img', { name: /QR code of the enrolment command for web/ }).waitFor();
    await shot(page, 'overlay-enrol');
    await clean(admin, 'the enrolment dialog');

    const stateDir = join(scratch, 'web');
    const run = await runAgentCommand(command, ['--state-dir', stateDir, '--ca-file', join(tdb.dataDir, 'tls', 'cert.pem')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /enrolled as web/);
    const state = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));

    // The device's first poll (what `rampart agent overlay run` does every interval) is a sign of life.
    const polled = await fetchRaw(`${server.url}/api/device/config`, { headers: { authorization: `Bearer ${state.device_token}` } });
    assert.equal(polled.status, 200, polled.body);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('status-web').filter({ hasText: 'active' }).waitFor({ timeout: 30_000 });
    assert.notEqual(await page.getByTestId('last-seen-web').textContent(), '—');
    await shot(page, 'overlay-nodes');

    // The code worked once: a second redemption is refused.
    const again = await runAgentCommand(command, ['--state-dir', join(scratch, 'again'), '--ca-file', join(tdb.dataDir, 'tls', 'cert.pem')]);
    assert.notEqual(again.code, 0);
    await clean(admin, 'the live nodes tab');
  });

  test('the group firewall editor saves rules, and shows the server refusing a bad port range', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'Group firewall' }).click();
    await page.getByText('No group firewall rules').waitFor();
    await page.getByRole('button', { name: 'Add group rules' }).click();
    await page.getByRole('textbox', { name: /^Group/ }).fill('web');
    await page.getByLabel('Rule 1: ports').fill('not a port');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    await page.getByLabel('Rule 1: ports').fill('443');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await rowOf(page, 'web').getByText('tcp 443 from any').waitFor();
    await shot(page, 'overlay-firewall');
    // The browser logs the refused save (a 400 the page showed): that one, and nothing else.
    const refused = admin.problems.splice(0);
    assert.equal(refused.length, 1, refused.join('\n'));
    assert.match(refused[0], /status of 400 .*\/group-firewall\/web/);
    await clean(admin, 'the firewall tab');
  });

  test('an invitation accepted through the public page by the invited user in their own browser', async () => {
    const { page } = admin;
    await api(admin, 'POST', '/api/v1/users', { username: INVITEE.username, email: INVITEE.email, password: INVITEE.password });
    await page.getByRole('tab', { name: 'Members and invitations' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByRole('button', { name: 'Invite' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite someone to office' });
    await dialog.getByLabel('Email').fill(INVITEE.email);
    await dialog.getByRole('checkbox', { name: 'Manage nodes' }).check();
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = page.getByTestId(`invitation-link-${INVITEE.email}`);
    const href = (await link.getAttribute('href'))!;
    assert.match(href, /^\/invitations\/[A-Za-z0-9_-]{43}$/);
    await clean(admin, 'the members tab');

    invitee = await watchedPage(browser, server.url);
    const other = invitee.page;
    await other.goto(href);
    await other.getByRole('heading', { name: 'Invitation to a network' }).waitFor();
    await other.getByText(/invites invitee@example\.com to the network office/).waitFor();
    await other.getByText('manage its nodes').waitFor();
    await shot(other, 'overlay-invitation');
    await clean(invitee, 'the public invitation page');

    await other.getByRole('link', { name: 'Sign in to accept' }).click();
    await other.getByLabel('Username').fill(INVITEE.username);
    await other.getByLabel('Password').fill(INVITEE.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    // Signed in, they are back on the invitation.
    await other.getByText('You are signed in as invitee').waitFor();
    await other.getByRole('button', { name: 'Accept the invitation' }).click();
    await other.getByRole('link', { name: 'Open office' }).click();
    await other.getByRole('heading', { name: 'office' }).waitFor();
    // Invited with "manage nodes": the member may create nodes.
    await other.getByRole('button', { name: 'Create node' }).waitFor();
    await clean(invitee, 'the network page of the new member');

    await page.reload();
    await rowOf(page, INVITEE.email).getByText('accepted').waitFor();
    await rowOf(page, INVITEE.email).getByText('member').first().waitFor();
    await shot(page, 'overlay-members');
    await clean(admin, 'the members tab after the acceptance');
  });

  test("a member's node request is approved on the node requests page", async () => {
    const { page } = admin;
    // Without the right to manage nodes, a member's request waits for someone who has it.
    await rowOf(page, INVITEE.email).first().getByRole('button', { name: `Actions for ${INVITEE.email}` }).click();
    await page.getByRole('menuitem', { name: 'Change role and rights' }).click();
    await page.getByRole('checkbox', { name: 'Manage nodes' }).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Member saved.').waitFor();
    const networkId = networkUrl.split('/').at(-1)!;
    const request = await api(invitee!, 'POST', '/api/node-requests', { network_id: networkId, hostname: 'laptop', groups: ['staff'] });
    assert.equal(request.status, 'pending');

    await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Node requests' }).click();
    await rowOf(page, 'laptop').getByText('pending').waitFor();
    await shot(page, 'overlay-node-requests');
    await clean(admin, 'the node requests page');
    await page.getByRole('button', { name: 'Approve laptop' }).click();
    await page.getByText('Approved: the node exists').waitFor();
    await page.getByText('Nothing waits for a decision.').waitFor();
    await page.goto(networkUrl);
    await rowOf(page, 'laptop').getByText('10.77.0.3').waitFor();
    await clean(admin, 'the nodes tab after the approval');
  });

  test('the access grants page lists nothing yet, cleanly', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Access grants' }).click();
    await page.getByRole('heading', { name: 'Access grants' }).waitFor();
    await page.getByText('No access grants').waitFor();
    await clean(admin, 'the access grants page');
  });
});
