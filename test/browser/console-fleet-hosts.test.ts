import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, seriousA11yViolations, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled } from '../helpers/console-egress.js';

const PASSWORD = 'a fleet hosts console password';
/** More hosts than one page of the console's list (50). */
const HOSTS = 57;
const name = (i: number) => `page-host-${String(i).padStart(3, '0')}`;

/**
 * The console's hosts page over a fleet larger than one page, in Debian's Chromium against a real Rampart (the CLI
 * on the test database): it shows a page at a time, pages through the API, keeps the page in the address, and a new
 * filter starts again at the first page. The hosts are records only: their address is loopback port 1 and every
 * background probe, discovery and scan is switched off, so nothing tries to reach them.
 */
describe("the console's hosts page pages through a large fleet", { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;

  before(async () => {
    session = await consoleSession({ adminPassword: PASSWORD });
    ({ tdb, server, browser, admin } = session);
    const write = async (method: 'POST' | 'PUT', path: string, data: unknown) => {
      const res = await admin.page.request.fetch(path, { method, data, headers: await csrfHeaders(admin.context) });
      assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
    };
    for (const kind of ['connectivity', 'discovery', 'scan', 'intelligence']) await write('PUT', `/api/v1/system/${kind}/config`, { maintenance_global: true });
    await write('PUT', '/api/v1/system/discovery/config', { detect_on_first_contact: false });
    // Made in reverse, so the list's order (by hostname) is not the order they were made in.
    for (let i = HOSTS - 1; i >= 0; i--) {
      await write('POST', '/api/v1/hosts', { hostname: name(i), ip_address: '127.0.0.1', port: 1, environment: i % 2 ? 'odd' : 'even' });
    }
  });
  after(async () => {
    await session?.close();
  });

  const listedNames = async () => {
    await settled(admin.page);
    const rows = await admin.page.getByRole('table', { name: 'Hosts' }).locator('tbody tr').all();
    return Promise.all(rows.map(async (r) => (await r.locator('td').first().innerText()).trim()));
  };

  test('one page of 50 at a time, the next page from the API, the page kept in the address', async () => {
    const { page, problems } = admin;
    const asked: string[] = [];
    page.on('request', (r) => r.url().includes('/api/v1/hosts?') && asked.push(new URL(r.url()).search));

    await page.goto('/fleet/hosts');
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    assert.deepEqual(await listedNames(), Array.from({ length: 50 }, (_, i) => name(i)));
    await page.getByText(`${HOSTS} in all`).waitFor();
    assert.ok(asked.some((q) => q.includes('limit=50') && q.includes('offset=0')), `the first page asked for: ${asked.join(' ')}`);
    assert.deepEqual(await seriousA11yViolations(page), []);

    await page.getByRole('button', { name: 'Page 2' }).click();
    await page.waitForURL(/page=2/);
    await page.getByRole('link', { name: name(50) }).waitFor();
    assert.deepEqual(await listedNames(), Array.from({ length: HOSTS - 50 }, (_, i) => name(50 + i)));
    assert.ok(asked.some((q) => q.includes('offset=50')), 'the second page came from the API');

    await page.reload();
    await page.getByRole('link', { name: name(50) }).waitFor();
    assert.equal((await listedNames()).length, HOSTS - 50, 'a reload shows the same page');

    // A filter lists other hosts: back to their first page, which holds them all.
    await page.getByLabel('Environment').fill('odd');
    await page.waitForURL((url) => url.searchParams.get('environment') === 'odd' && !url.searchParams.has('page'));
    await page.getByRole('link', { name: name(1) }).waitFor();
    const odd = Array.from({ length: HOSTS }, (_, i) => i).filter((i) => i % 2).map(name);
    assert.deepEqual(await listedNames(), odd);
    assert.equal(await page.getByRole('button', { name: 'Page 2' }).count(), 0, 'one page: no pager');
    assert.deepEqual(problems, []);
  });

  test('an address past the last page shows the last page', async () => {
    const { page, problems } = admin;
    await page.goto('/fleet/hosts?page=9');
    await page.waitForURL(/page=2/);
    await page.getByRole('link', { name: name(HOSTS - 1) }).waitFor();
    assert.equal((await listedNames()).length, HOSTS - 50);
    assert.deepEqual(problems, []);
  });
});
