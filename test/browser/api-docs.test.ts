import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { spawnRampart, type SpawnedRampart } from '../helpers/process.js';

const CHROMIUM = '/usr/bin/chromium';

describe('API documentation pages in a real browser', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  before(async () => {
    requirePrograms(CHROMIUM);
    tdb = await createTestDatabase();
    server = await spawnRampart(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await tdb?.cleanup();
  });

  /** Opens a page over Rampart's self-signed HTTPS and collects what the browser refused (CSP) or failed to load. */
  async function open(path: string) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('request', (r) => !r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:') && problems.push(`external request ${r.url()}`));
    await page.goto(`${server.url}${path}`);
    return { page, problems, close: () => context.close() };
  }

  test('Swagger UI at /api/docs lists the overlay operations', async () => {
    const { page, problems, close } = await open('/api/docs');
    try {
      await page.locator('.opblock-summary-path', { hasText: '/api/health' }).first().waitFor({ timeout: 60_000 });
      const paths = await page.locator('.opblock-summary-path').allTextContents();
      assert.ok(paths.some((p) => p.includes('/api/health')), `operations shown: ${paths.join(', ')}`);
      assert.ok(!paths.some((p) => p.includes('/api/v1/')), 'the overlay document holds only overlay paths');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('ReDoc at /api/redoc renders the overlay document', async () => {
    const { page, problems, close } = await open('/api/redoc');
    try {
      await page.locator('h2', { hasText: 'Health check' }).waitFor({ timeout: 60_000 });
      assert.match(await page.title(), /Rampart/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
