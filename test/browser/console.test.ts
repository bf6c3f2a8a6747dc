import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, screenshot, seriousA11yViolations, watchedPage, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';

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
  let session: ConsoleSession;

  before(async () => {
    session = await consoleSession();
    ({ tdb, server, browser, admin } = session);
  });
  after(async () => {
    await session?.close();
  });

  const shot = async (w: WatchedPage, name: string) => {
    if (!onPostgres) await screenshot(w.page, name);
  };

  test('an anonymous visit lands on the sign-in page; API paths keep their JSON 404', async () => {
    const { page, problems } = admin;
    await page.goto('/');
    await page.waitForURL(/\/login\?next=%2F$/);
    await page.getByRole('heading', { name: 'Sign in to Rampart' }).waitFor();
    assert.deepEqual(await seriousA11yViolations(page), []);
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
    assert.deepEqual(await seriousA11yViolations(page), []);
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

  test('an administrator creates a user, who appears in the list', async () => {
    const { page, problems } = admin;
    await nav(page, 'Users').click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create user' });
    await dialog.getByLabel('Username').fill('grace');
    await dialog.getByLabel('Email').fill('grace@example.com');
    await dialog.getByLabel(/^Initial password/).fill('a long enough password');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: 'grace@example.com' }).waitFor();
    await shot(admin, 'users');
    assert.deepEqual(problems, []);
  });

  test('an API key is shown once, with a copy button, then only masked', async () => {
    const { page, problems } = admin;
    await nav(page, 'API keys').click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel(/^Name/).fill('backup-script');
    await dialog.getByRole('textbox', { name: 'Permissions' }).fill('audit:read');
    await dialog.getByRole('textbox', { name: 'Permissions' }).press('Enter');
    await dialog.getByLabel(/^Name/).click(); // closes the suggestions, which cover the buttons
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secret = (await page.getByTestId('secret-once').textContent())!.trim();
    assert.match(secret, /^rk_/);
    await page.getByRole('button', { name: 'Copy to clipboard' }).waitFor();
    await shot(admin, 'api-key-created');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('cell', { name: 'backup-script', exact: true }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is gone from the page');
    // The key works, with its scope: it reads the audit trail and nothing else.
    const asKey = await page.request.get('/api/v1/audit/events?limit=1', { headers: { authorization: `ApiKey ${secret}` } });
    assert.equal(asKey.status(), 200);
    assert.equal((await page.request.get('/api/v1/users', { headers: { authorization: `ApiKey ${secret}` } })).status(), 403);
    assert.deepEqual(problems, []);
  });

  test('a user turns on TOTP from the profile page and then signs in with password and code', async () => {
    const { page, problems } = admin;
    await nav(page, 'My profile').click();
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await page.getByTestId('totp-secret').waitFor();
    assert.equal(await page.locator('svg > title', { hasText: 'QR code of the authenticator secret' }).count(), 1);
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await shot(admin, 'mfa-enrolment');
    await page.getByLabel(/^Code from the app/).fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    assert.equal((await page.getByTestId('recovery-codes').textContent())!.trim().split('\n').length, 10);

    await signOut(page);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter the 6-digit code').waitFor();
    await shot(admin, 'sign-in-totp');
    // The next time step: the server allows one step of drift and never takes a step twice (enrolment used this one).
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    await page.getByLabel('Authentication code').first().pressSequentially(code);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // The password step's answer is 401 mfa_required (the API's word for "now the code"); Chromium logs any 4xx.
    const expected = problems.filter((p) => /status of 401/.test(p) && p.includes('/api/v1/auth/login'));
    assert.equal(expected.length, 1, problems.join('\n'));
    assert.deepEqual(problems.splice(0).filter((p) => !expected.includes(p)), []);
  });

  const PAGES: [path: string, heading: string, screenshot: string][] = [
    ['/', 'Dashboard', 'dashboard'],
    ['/identity/users', 'Users', 'users'],
    ['/identity/roles', 'Roles', 'roles'],
    ['/identity/api-keys', 'API keys', 'api-keys'],
    ['/identity/service-accounts', 'Service accounts', 'service-accounts'],
    ['/identity/sso', 'SSO and sign-in', 'sso'],
    ['/profile', 'My profile', 'profile'],
    ['/audit', 'Audit trail', 'audit'],
  ];
  for (const [path, heading, name] of PAGES) {
    test(`${path} loads with no console error and no serious accessibility violation`, async () => {
      const { page, problems } = admin;
      await page.goto(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // Loaded means the data is in: no spinner is left (a page may show several while its reads run).
      await page.waitForFunction(() => document.querySelectorAll('[role="status"]').length === 0);
      assert.deepEqual(await seriousA11yViolations(page), []);
      await shot(admin, name);
      assert.deepEqual(problems, []);
    });
  }

  test('the console fits a phone: navigation folds into a menu', async () => {
    const phone = await watchedPage(browser, server.url, { viewport: { width: 390, height: 844 } });
    try {
      await phone.context.addCookies(await admin.context.cookies());
      await phone.page.goto('/identity/users');
      await phone.page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await phone.page.getByRole('button', { name: 'Toggle navigation' }).click();
      await phone.page.getByRole('link', { name: 'Audit trail' }).click();
      await phone.page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
      await shot(phone, 'phone-audit');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.close();
    }
  });
});

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name });

async function signOut(page: Page) {
  await page.getByRole('button', { name: /^Account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Rampart' }).waitFor();
}
