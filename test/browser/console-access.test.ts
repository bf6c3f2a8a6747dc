import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { repoRoot, type SpawnedRampart } from '../helpers/process.js';
import { readAgentState } from '../../src/agent/access/state.js';
import { CHROMIUM, screenshot, seriousA11yViolations, watchedPage, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled } from '../helpers/console-egress.js';

const PASSWORD = 'an access console password';
/** The addresses the access console tests may use (docs/access.md, "Address ranges"): gateway endpoints only. */
const GATEWAY_ENDPOINT = '10.232.0.2:51820';
const POOL_DESTINATION = '10.232.1.0/24';

/** A WireGuard public key as a device makes one (X25519, base64); the private half stays here, as on a device. */
function wireguardPublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

/** Runs a command the console shows (`rampart agent ...`) as the operator would, with extra flags appended. */
function runShownCommand(command: string, extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [program, ...args] = command.split(' ');
  assert.equal(program, 'rampart');
  const proc = spawn(process.execPath, ['bin/rampart.js', ...args, ...extra], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  // Bounds a hung enrolment; it does not stand in for a condition.
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => proc.once('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

/**
 * The console's access pages in Debian's Chromium against a real Rampart (the CLI on the test database), every
 * action checked through the API the pages call: a token generated on the tokens page enrols a device by running the
 * command the page showed once (the real `rampart agent device enroll`); the device is suspended, reactivated and
 * moved to canary from the devices page, two more suspended from a selection; a pool made on the gateways page gets
 * a gateway enrolled with the command of a gateway token, and its heartbeat makes the pool healthy; bundles published
 * to stable and to the canary device are compared by digest, promoted and rolled back on the policy page (a refused
 * rule set shows the server's detail); the gateway's metering shows up on the sessions page, the device's revocation
 * closes its session and connection truth flags the gateway until it drops it; a removed gateway loses its
 * credential. Every page passes an axe scan (light and dark), a phone viewport works, a viewer sees no write action.
 * Screenshots go to docs/console/ (SQLite run). Gateway endpoints use 10.232.0.0/16 only (no traffic is sent).
 */
describe('the console\'s access pages', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;
  /** A context with no cookie: what a device or a gateway sends (it trusts the server's self-signed certificate). */
  let bare: BrowserContext;
  let anonymous: APIRequestContext;
  const state = { deviceId: '', deviceToken: '', poolId: '', gatewayId: '', gatewayToken: '', groupId: '' };
  const scratch = mkdtempSync(join(tmpdir(), 'rampart-console-access-'));

  before(async () => {
    session = await consoleSession({ adminPassword: PASSWORD, timeoutMs: 20_000 });
    ({ tdb, server, browser, admin } = session);
    bare = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: server.url });
    anonymous = bare.request;
  });
  after(async () => {
    await bare?.close();
    await session?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A call with the admin's session (and CSRF token), for set-up and for checking what a page did. */
  const api = async (method: 'GET' | 'POST' | 'DELETE', path: string, data?: unknown) => {
    const res = await admin.page.request.fetch(path, { method, data, headers: method === 'GET' ? {} : await csrfHeaders(admin.context) });
    return { status: res.status(), body: await res.json().catch(() => undefined), text: await res.text() };
  };
  /** A device's or gateway's own call: its bearer credential, no cookie. */
  const bearer = async (method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown) => {
    const res = await anonymous.fetch(path, { method, headers: token ? { authorization: `Bearer ${token}` } : {}, data: body });
    const text = await res.text();
    return { status: res.status(), text, body: text ? JSON.parse(text) : undefined };
  };
  const items = (body: any): any[] => body.items;

  test('a token generated on the tokens page is shown once with its enrol command, enrols one device, then is used up', async () => {
    const { page, problems } = admin;
    const group = await api('POST', '/v1/admin/groups/lifecycle', { action: 'create', name: 'eng', description: 'engineering' });
    assert.equal(group.status, 201, group.text);
    state.groupId = group.body.group.id;

    await page.goto('/admin/tokens');
    await page.getByRole('heading', { level: 1, name: 'Enrollment tokens' }).waitFor();
    await page.getByText('No enrollment tokens').waitFor();
    await page.getByRole('button', { name: 'Generate token' }).click();
    const form = page.getByRole('dialog', { name: 'Generate an enrollment token' });
    await form.getByLabel('Name').fill('alice-laptop');
    await form.getByRole('textbox', { name: 'Groups' }).click();
    await page.getByRole('option', { name: 'eng' }).click();
    await form.getByRole('button', { name: 'Generate' }).click();
    const shown = page.getByRole('dialog', { name: 'Enrollment token generated' });
    const command = (await shown.getByTestId('enroll-command').innerText()).trim();
    const secret = (await shown.getByTestId('secret-once').innerText()).trim();
    assert.equal(command, `rampart agent device enroll --server ${server.url} --token ${secret}`);
    await shown.getByRole('button', { name: 'Copy the enrol command' }).waitFor();
    await settledModal(page);
    await shot(admin, 'access-token-created');
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'detached' });

    const row = page.getByRole('row').filter({ hasText: 'alice-laptop' });
    await row.getByText('active', { exact: true }).waitFor();
    assert.match(await row.innerText(), /0 \/ 1[\s\S]*anyone · eng/);
    const listed = await api('GET', '/v1/admin/tokens');
    assert.equal(listed.status, 200, listed.text);
    assert.ok(!listed.text.includes(secret), 'the list never carries the secret');
    const [token] = items(listed.body);
    assert.deepEqual([token.name, token.kind, token.max_uses, token.auto_group_ids], ['alice-laptop', 'device', 1, [state.groupId]]);

    // The device enrols by running the command the page showed (its key made there, the private half kept there).
    const stateDir = join(scratch, 'alice');
    const run = await runShownCommand(command, ['--state-dir', stateDir, '--name', 'alice-laptop', '--insecure']);
    assert.equal(run.code, 0, run.stderr);
    const enrolled = readAgentState(stateDir, 'device');
    assert.match(run.stdout, new RegExp(`enrolled as device ${enrolled.device_id} at 100\\.96\\.`));
    state.deviceId = enrolled.device_id;
    state.deviceToken = enrolled.device_token;
    const again = await bearer('POST', '/v1/enroll', undefined, { token: secret, public_key: wireguardPublicKey(), device: { name: 'second', platform: 'linux' } });
    assert.equal(again.status, 403, `a single-use token enrols once: ${again.text}`);

    await page.reload();
    await row.getByText('exhausted', { exact: true }).waitFor();
    assert.match(await row.innerText(), /1 \/ 1/);

    // A second token, revoked from the page, enrols nothing.
    const other = await api('POST', '/v1/admin/tokens/generate', { name: 'spare', kind: 'device', max_uses: 0 });
    assert.equal(other.status, 201, other.text);
    const spare = page.getByRole('row').filter({ hasText: 'spare' });
    await page.reload();
    page.once('dialog', (d) => d.accept());
    await spare.getByRole('button', { name: 'Revoke spare' }).click();
    await spare.getByText('revoked', { exact: true }).waitFor();
    const refused = await bearer('POST', '/v1/enroll', undefined, { token: other.body.secret, public_key: wireguardPublicKey(), device: { name: 'nope', platform: 'linux' } });
    assert.equal(refused.status, 403, refused.text);

    // The status filter goes to the server and stays in the address.
    await page.getByRole('textbox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'revoked' }).click();
    await page.waitForURL(/status=revoked/);
    await spare.waitFor();
    await page.getByRole('row').filter({ hasText: 'alice-laptop' }).waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
  });

  test('the devices page suspends, reactivates and re-channels the enrolled device, and suspends a filtered selection', async () => {
    const { page, problems } = admin;
    const device = async () => items((await api('GET', '/v1/admin/devices')).body).find((d: any) => d.id === state.deviceId);
    // The spec's admin interface is /admin: it opens on the devices.
    await page.goto('/admin');
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/devices');
    const row = page.getByRole('row').filter({ hasText: 'alice-laptop' });
    await row.getByText('active', { exact: true }).waitFor();
    assert.match(await row.innerText(), /100\.96\.\d+\.\d+[\s\S]*linux[\s\S]*active[\s\S]*stable/i);
    await shot(admin, 'access-devices');

    const act = async (item: string, submit: string, reason: string) => {
      await row.getByRole('button', { name: 'Actions for alice-laptop' }).click();
      await page.getByRole('menuitem', { name: item }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Reason').fill(reason);
      await dialog.getByRole('button', { name: submit }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    await act('Suspend', 'Suspend', 'lost laptop');
    await row.getByText('suspended', { exact: true }).waitFor();
    assert.equal((await device()).status, 'suspended');
    // Filters: a status the device no longer has hides it.
    await page.getByRole('textbox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'active' }).click();
    await page.waitForURL(/status=active/);
    await page.getByText('No device matches these filters.').waitFor();
    await page.goto('/admin/devices?status=suspended');
    await act('Reactivate', 'Reactivate', 'found it');
    await page.getByText('No device matches these filters.').waitFor();
    assert.equal((await device()).status, 'active');

    await page.goto('/admin/devices');
    await act('Move to canary', 'Move', 'early adopter');
    await row.getByText('canary', { exact: true }).waitFor();
    assert.equal((await device()).channel, 'canary');
    // Leave it on canary for the policy test; revocation comes last (test below).

    // Two more devices, suspended together from a selection (the batch route); the platform filter finds them.
    const bulk = await api('POST', '/v1/admin/tokens/generate', { name: 'bulk', kind: 'device', max_uses: 0 });
    assert.equal(bulk.status, 201, bulk.text);
    for (const name of ['bulk-1', 'bulk-2']) {
      const r = await bearer('POST', '/v1/enroll', undefined, { token: bulk.body.secret, public_key: wireguardPublicKey(), device: { name, platform: 'windows', os_version: '11' } });
      assert.equal(r.status, 201, r.text);
    }
    await page.goto('/admin/devices?platform=windows');
    await page.getByRole('row').filter({ hasText: 'bulk-2' }).waitFor();
    assert.equal(await row.count(), 0, 'the platform filter leaves the linux device out');
    await page.getByRole('checkbox', { name: 'Select bulk-1' }).check();
    await page.getByRole('checkbox', { name: 'Select bulk-2' }).check();
    await page.getByRole('button', { name: '2 selected' }).click();
    await page.getByRole('menuitem', { name: 'Suspend' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspend 2 devices?' });
    await dialog.getByLabel('Reason').fill('shared laptops returned');
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await dialog.waitFor({ state: 'detached' });
    for (const name of ['bulk-1', 'bulk-2']) await page.getByRole('row').filter({ hasText: name }).getByText('suspended', { exact: true }).waitFor();
    const all = items((await api('GET', '/v1/admin/devices')).body);
    assert.deepEqual(all.map((d: any) => [d.name, d.status]).sort(), [['alice-laptop', 'active'], ['bulk-1', 'suspended'], ['bulk-2', 'suspended']]);
    assert.deepEqual(problems, []);
  });

  test('a pool made on the gateways page gets a gateway enrolled with a gateway token, and shows its health', async () => {
    const { page, problems } = admin;
    await page.goto('/admin/gateways');
    await page.getByRole('heading', { level: 1, name: 'Gateways' }).waitFor();
    await page.getByText('No pools yet', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Add pool' }).click();
    const form = page.getByRole('dialog', { name: 'Add a gateway pool' });
    await form.getByLabel('Name').fill('lab-eu');
    await form.getByLabel('Region').fill('eu-lab');
    await form.getByRole('textbox', { name: 'Destinations' }).fill(POOL_DESTINATION);
    await form.getByRole('textbox', { name: 'Destinations' }).press('Enter');
    await form.getByRole('button', { name: 'Save pool' }).click();
    await form.waitFor({ state: 'detached' });
    const card = page.getByRole('article', { name: 'Pool lab-eu' });
    await card.getByText('unhealthy', { exact: true }).waitFor();
    const pools = items((await api('GET', '/v1/admin/settings/gateway-pools')).body);
    assert.deepEqual(pools.map((p: any) => [p.name, p.region, p.destinations]), [['lab-eu', 'eu-lab', [POOL_DESTINATION]]]);
    state.poolId = pools[0].id;

    // A gateway token for the pool, from the tokens page; the gateway enrols with it.
    await page.goto('/admin/tokens');
    await page.getByRole('button', { name: 'Generate token' }).click();
    const gen = page.getByRole('dialog', { name: 'Generate an enrollment token' });
    await gen.getByLabel('Name').fill('gw-lab-1');
    await gen.getByRole('textbox', { name: 'Kind' }).click();
    await page.getByRole('option', { name: 'Gateway' }).click();
    await gen.getByRole('textbox', { name: 'Pool' }).click();
    await page.getByRole('option', { name: 'lab-eu' }).click();
    await gen.getByRole('button', { name: 'Generate' }).click();
    const shown = page.getByRole('dialog', { name: 'Enrollment token generated' });
    const command = (await shown.getByTestId('enroll-command').innerText()).trim();
    assert.match(command, /^rampart agent gateway enroll --server \S+ --token \S+ --endpoint <public-address>:51820$/);
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    // The operator fills in the gateway's address and runs it.
    const stateDir = join(scratch, 'gw');
    const run = await runShownCommand(command.replace('<public-address>:51820', GATEWAY_ENDPOINT), ['--state-dir', stateDir, '--name', 'gw-lab-1', '--insecure']);
    assert.equal(run.code, 0, run.stderr);
    const enrolled = readAgentState(stateDir, 'gateway');
    state.gatewayId = enrolled.gateway_id;
    state.gatewayToken = enrolled.gateway_token;
    const gateways = (await api('GET', '/v1/admin/gateway/health')).body.gateways;
    assert.deepEqual(gateways.map((g: any) => [g.id, g.pool_id, g.endpoint]), [[state.gatewayId, state.poolId, GATEWAY_ENDPOINT]]);
    await page.goto('/admin/gateways');
    const gwRow = page.getByRole('row').filter({ hasText: 'gw-lab-1' });
    await gwRow.getByText('pending', { exact: true }).waitFor();
    assert.ok((await gwRow.innerText()).includes(GATEWAY_ENDPOINT));
    await card.getByText('0 of 1 gateways healthy', { exact: false }).waitFor();
    // Its heartbeat brings it online, and the pool with it (the page refreshes on its own).
    const beat = await bearer('POST', '/v1/gateway/heartbeat', state.gatewayToken, { status: 'ok', version: '0.1.0-lab' });
    assert.equal(beat.status, 200, beat.text);
    await gwRow.getByText('online', { exact: true }).waitFor({ timeout: 30_000 });
    await card.getByText('healthy', { exact: true }).waitFor({ timeout: 30_000 });
    await card.getByText('1 of 1 gateways healthy', { exact: false }).waitFor();
    const health = (await api('GET', '/v1/admin/gateway/health')).body;
    assert.deepEqual(health.pools.map((p: any) => [p.pool_id, p.healthy, p.total, p.ok]), [[state.poolId, 1, 1, true]]);
    await shot(admin, 'access-gateways');
    assert.deepEqual(problems, []);
  });

  test('bundles published to stable and to the canary device are compared by digest, promoted and rolled back', async () => {
    const { page, problems } = admin;
    const rules = (ports: string[]) => [{ name: 'eng web', action: 'allow', sources: { group_ids: [state.groupId] }, destinations: [{ cidr: POOL_DESTINATION, protocol: 'tcp', ports }] }];
    await page.goto('/admin/policy');
    await page.getByRole('heading', { level: 1, name: 'Policy bundles' }).waitFor();
    await page.getByText('Nothing published: devices are denied everything.').waitFor();

    const publish = async (channel: 'Stable' | 'Canary', ports: string[], notes: string) => {
      await page.getByRole('button', { name: 'Publish bundle' }).click();
      const form = page.getByRole('dialog', { name: 'Publish a policy bundle' });
      if (channel === 'Canary') {
        await form.getByRole('textbox', { name: 'Channel' }).click();
        await page.getByRole('option', { name: /^Canary/ }).click();
        await form.getByRole('textbox', { name: 'Canary devices' }).click();
        await page.getByRole('option', { name: /alice-laptop/ }).click();
        await form.getByRole('textbox', { name: 'Canary devices' }).press('Escape');
      }
      await form.getByLabel('Rules (JSON)').fill(JSON.stringify(rules(ports)));
      await form.getByLabel('Notes').fill(notes);
      await form.getByRole('button', { name: 'Publish' }).click();
      await form.waitFor({ state: 'detached' });
    };
    // A rules text that is not JSON is refused in the form: nothing is sent.
    await page.getByRole('button', { name: 'Publish bundle' }).click();
    const form = page.getByRole('dialog', { name: 'Publish a policy bundle' });
    await form.getByLabel('Rules (JSON)').fill('[{"name": ');
    await form.getByRole('button', { name: 'Publish' }).click();
    await form.getByText(/JSON/).first().waitFor();
    // Rules the server refuses (ports need tcp or udp): its 422 detail is said, the form stays, nothing is published.
    await form.getByLabel('Rules (JSON)').fill(JSON.stringify([{ name: 'bad', sources: {}, destinations: [{ cidr: POOL_DESTINATION, protocol: 'any', ports: ['80'] }] }]));
    await form.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('ports need protocol tcp or udp', { exact: false }).waitFor();
    assert.ok(await form.isVisible());
    assert.deepEqual(items((await api('GET', '/v1/admin/policy/bundles')).body), []);
    assert.deepEqual(problems.filter((p) => !/status of 422 .*\/v1\/admin\/policy\/publish/.test(p)), []);
    problems.length = 0;
    await form.getByRole('button', { name: 'Cancel' }).click();

    await publish('Stable', ['8080'], 'web only');
    const stableCard = page.getByRole('region', { name: 'Stable channel' });
    await stableCard.getByText('#1').waitFor();
    await publish('Canary', ['8080', '8081'], 'try 8081');
    const canaryCard = page.getByRole('region', { name: 'Canary channel' });
    await canaryCard.getByText('#2').waitFor();
    await canaryCard.getByText('For 1 device, 0 groups', { exact: false }).waitFor();
    const bundles = items((await api('GET', '/v1/admin/policy/bundles')).body);
    const [b1, b2] = [bundles.find((b: any) => b.serial === 1), bundles.find((b: any) => b.serial === 2)];
    assert.deepEqual([b1.status, b2.status, b2.channel], ['stable', 'canary', 'canary']);
    assert.notEqual(b1.digest, b2.digest);
    // The canary device gets the canary bundle, by its own credential.
    const mine = await bearer('GET', '/v1/policy/digest', state.deviceToken);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.digest, b2.digest);

    // The diff between the two digests: the rule's ports changed.
    await page.getByRole('row').filter({ hasText: '#2' }).getByRole('button', { name: 'Compare #2 with stable' }).click();
    await page.waitForURL(/from=.*&to=/);
    const diff = page.getByRole('region', { name: 'Bundle diff' });
    await diff.getByText(/8080,8081/).waitFor();
    assert.match(await diff.innerText(), /group eng/, 'groups by name, not id');
    assert.match(await diff.innerText(), /eng web \(destinations\)\s*\n- allow group eng → 10\.232\.1\.0\/24 tcp\/8080\s*\n\+ allow group eng → 10\.232\.1\.0\/24 tcp\/8080,8081/);
    // Notifications also close on their own, so each click takes whichever is first now, never a stale index.
    const dismiss = page.getByRole('button', { name: 'Dismiss' });
    for (let left = 10; left > 0 && (await dismiss.count()) > 0; left--) await dismiss.first().click({ timeout: 2_000 }).catch(() => {});
    await shot(admin, 'access-policy');

    page.once('dialog', (d) => d.accept());
    await canaryCard.getByRole('button', { name: 'Promote to stable' }).click();
    await canaryCard.getByText('No canary: every device gets stable.').waitFor();
    const promoted = (await api('GET', '/v1/admin/policy/bundles?status=stable')).body;
    assert.equal(items(promoted)[0].digest, b2.digest, 'stable now carries the canary digest');

    // Roll back to bundle #1's digest.
    const first = page.getByRole('row').filter({ hasText: 'web only' }).first();
    page.once('dialog', (d) => d.accept());
    await first.getByRole('button', { name: 'Roll back to #1' }).click();
    await page.getByText(/Rolled back: stable is now #/).waitFor();
    const rolled = items((await api('GET', '/v1/admin/policy/bundles?status=stable')).body)[0];
    assert.equal(rolled.digest, b1.digest);
    await stableCard.getByText(`#${rolled.serial}`).waitFor();
    assert.deepEqual(problems, []);
  });

  test('the gateway\'s metering shows the device\'s session; revoking the device closes it and connection truth flags the gateway until it lets go', async () => {
    const { page, problems } = admin;
    const now = Date.now();
    const sessionId = crypto.randomUUID();
    const metering = await bearer('POST', '/v1/gateway/metering', state.gatewayToken, {
      gateway_id: state.gatewayId,
      window_start: new Date(now - 60_000).toISOString(),
      window_end: new Date(now).toISOString(),
      active_sessions: 1,
      sessions: [{ session_id: sessionId, device_id: state.deviceId, bytes_rx: 1_500_000, bytes_tx: 42_000, started_at: new Date(now - 50_000).toISOString(), ended_at: null }],
    });
    assert.ok(metering.status < 300, metering.text);

    await page.goto('/admin/sessions');
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'alice-laptop' });
    await row.getByText('active', { exact: true }).waitFor();
    assert.match(await row.innerText(), /gw-lab-1[\s\S]*1\.5 MB \/ 42\.0 kB/);

    await page.goto('/admin/devices');
    const device = page.getByRole('row').filter({ hasText: 'alice-laptop' });
    await device.getByRole('button', { name: 'Actions for alice-laptop' }).click();
    await page.getByRole('menuitem', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke alice-laptop?' });
    await dialog.getByLabel('Reason').fill('left the company');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await device.getByText('revoked', { exact: true }).waitFor();
    assert.equal(await device.getByRole('button', { name: 'Actions for alice-laptop' }).count(), 0, 'a revoked device has nothing left to do');
    const after = await bearer('GET', '/v1/policy/digest', state.deviceToken);
    assert.ok(after.status === 401 || after.status === 403, `a revoked device's credential stops working: ${after.text}`);

    await page.goto('/admin/sessions?state=closed');
    await row.getByText('closed', { exact: true }).waitFor();
    // The gateway's last window still carried the session: connection truth raises the alarm until it drops it.
    const truth = page.getByRole('region', { name: 'Connection truth' });
    await truth.getByText('1 revoked but still connected').waitFor();
    assert.match(await truth.innerText(), /revoked but connected[\s\S]*alice-laptop on gw-lab-1: expected denied/i);
    const dropped = await bearer('POST', '/v1/gateway/metering', state.gatewayToken, {
      gateway_id: state.gatewayId, window_start: new Date(now).toISOString(), window_end: new Date(now + 60_000).toISOString(), active_sessions: 0, sessions: [],
    });
    assert.ok(dropped.status < 300, dropped.text);
    await page.reload();
    await truth.getByText('Gateways agree with the control plane').waitFor();
    await shot(admin, 'access-sessions');

    // A gateway removed on the gateways page loses its credential at once.
    await page.goto('/admin/gateways');
    const gwRow = page.getByRole('row').filter({ hasText: 'gw-lab-1' });
    page.once('dialog', (d) => d.accept());
    await gwRow.getByRole('button', { name: 'Remove gateway gw-lab-1' }).click();
    await gwRow.waitFor({ state: 'detached' });
    await page.getByRole('article', { name: 'Pool lab-eu' }).getByText('0 of 0 gateways healthy', { exact: false }).waitFor();
    const beat = await bearer('POST', '/v1/gateway/heartbeat', state.gatewayToken, {});
    assert.equal(beat.status, 401, beat.text);
    assert.deepEqual(problems, []);
  });

  test('a viewer sees the access pages but none of their write actions, and no tokens', async () => {
    const password = 'an access viewer password';
    const created = await api('POST', '/api/v1/users', { username: 'access-viewer', email: 'access-viewer@example.test', password, roles: ['viewer'] });
    assert.equal(created.status, 201, created.text);
    const viewer = await watchedPage(browser, server.url);
    try {
      const { page, problems } = viewer;
      await page.goto('/');
      await page.getByLabel('Username').fill('access-viewer');
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
      await nav.getByRole('link', { name: 'Devices' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Enrollment tokens' }).count(), 0, 'tokens are sensitive: not a viewer\'s');

      await page.goto('/admin/devices');
      await page.getByRole('row').filter({ hasText: 'alice-laptop' }).waitFor();
      assert.equal(await page.getByRole('button', { name: /^Actions for / }).count(), 0);
      assert.equal(await page.getByRole('checkbox', { name: /^Select / }).count(), 0);
      await page.goto('/admin/gateways');
      await page.getByRole('article', { name: 'Pool lab-eu' }).waitFor();
      assert.equal(await page.getByRole('button', { name: /Add pool|Edit pool|Delete pool/ }).count(), 0);
      await page.goto('/admin/policy');
      await page.getByRole('row').filter({ hasText: 'web only' }).first().waitFor();
      assert.equal(await page.getByRole('button', { name: /Publish bundle|Promote to stable|Roll back to/ }).count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await viewer.close();
    }
  });

  test('every access page loads with no console error and no serious accessibility violation, light, dark and on a phone', async () => {
    const { page, problems } = admin;
    const pages = [
      { path: '/admin/devices', heading: 'Devices' },
      { path: '/admin/tokens', heading: 'Enrollment tokens', shot: 'access-tokens' },
      { path: '/admin/gateways', heading: 'Gateways' },
      { path: '/admin/policy', heading: 'Policy bundles' },
      { path: '/admin/sessions', heading: 'Sessions' },
    ];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of pages) {
        await page.goto(p.path);
        await page.getByRole('heading', { level: 1, name: p.heading, exact: true }).waitFor();
        await settled(page);
        assert.deepEqual(await seriousA11yViolations(page), [], `${p.path} (${scheme})`);
        if (scheme === 'light' && p.shot) await shot(admin, p.shot);
      }
    }
    await shot(admin, 'access-sessions-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(problems, []);

    const phone = await watchedPage(browser, server.url, { viewport: { width: 390, height: 844 } });
    try {
      await phone.context.addCookies(await admin.context.cookies());
      await phone.page.goto('/admin/devices');
      await phone.page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
      await phone.page.getByRole('button', { name: 'Toggle navigation' }).click();
      await phone.page.getByRole('link', { name: 'Policy bundles' }).click();
      await phone.page.getByRole('heading', { name: 'Policy bundles', level: 1 }).waitFor();
      await settled(phone.page);
      assert.deepEqual(await seriousA11yViolations(phone.page), []);
      await shot(phone, 'phone-access-policy');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.close();
    }
  });
});

/** Mantine's modal fades in: a picture taken before the end of the transition shows it half there. */
const settledModal = (page: Page) => page.waitForFunction(() => [...document.querySelectorAll('[role=dialog]')].every((d) => getComputedStyle(d).opacity === '1'));

const shot = async (w: WatchedPage, name: string) => {
  if (!onPostgres) await screenshot(w.page, name);
};
