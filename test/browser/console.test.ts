import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/db.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { spawnRampart, type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, ensureConsoleBuilt, launchChromium, screenshot, seriousA11yViolations, watchedPage, type WatchedPage } from '../helpers/console.js';

const NEW_ADMIN_PASSWORD = 'a console-chosen password';

/**
 * The console in Debian's Chromium against a real Rampart (the CLI, its own data dir and database): the first
 * administrator's sign-in, the pages, and what a user does on them. Screenshots go to docs/console/ (SQLite run).
 */
describe('the web console in a real browser', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;

  before(async () => {
    requirePrograms(CHROMIUM);
    ensureConsoleBuilt();
    tdb = await createTestDatabase();
    server = await spawnRampart(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    browser = await launchChromium();
    admin = await watchedPage(browser, server.url);
  });
  after(async () => {
    await admin?.close();
    await browser?.close();
    await server?.stop();
    await tdb?.cleanup();
  });

  const shot = async (w: WatchedPage, name: string) => {
    if (!onPostgres) await screenshot(w.page, name);
  };

  test('an anonymous visit lands on the sign-in page; API paths keep their JSON 404', async () => {
    const { page, problems } = admin;
    await page.goto('/');
    await page.waitForURL(/\/login\?next=%2F$/);
    await page.getByRole('heading', { name: 'Sign in to Rampart' }).waitFor();
    await shot(admin, 'sign-in');
    const api = await page.request.get('/api/v1/no-such-thing');
    assert.equal(api.status(), 404);
    assert.equal((await api.json()).error.code, 'not_found');
    assert.deepEqual(problems, []);
  });

  test('the first administrator signs in with the printed password and must choose a new one', async () => {
    const { page, problems } = admin;
    const initial = readFileSync(join(tdb.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0];
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(initial);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('Current password').fill(initial);
    await page.getByLabel(/^New password/).fill(NEW_ADMIN_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByTestId('user-count').filter({ hasText: '1' }).waitFor();
    // The session lives in an HttpOnly cookie: nothing in the page's storage holds a credential.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.doesNotMatch(stored, /token|session|eyJ/i);
    const cookies = await admin.context.cookies();
    assert.equal(cookies.find((c) => c.name === 'rampart_session')?.httpOnly, true);
    await shot(admin, 'dashboard');
    assert.deepEqual(problems, []);
  });
});
