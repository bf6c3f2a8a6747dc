/**
 * The console's licence and tenants page in Debian's Chromium against a real Rampart (the CLI, a signed licence file
 * and its test key in the environment): the licence in force with its licensee and dates, the default tenant's device
 * entitlement against what is enrolled (80% is an open alert), a tenant created and suspended from the page (checked
 * through the API), a reload, and an axe scan in light and dark. Screenshot to docs/console/ (SQLite run).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { onPostgres, type TestDatabase } from '../helpers/db.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { type SpawnedRampart } from '../helpers/process.js';
import { CHROMIUM, screenshot, seriousA11yViolations, type WatchedPage, consoleSession, type ConsoleSession } from '../helpers/console.js';
import { csrfHeaders, settled } from '../helpers/console-egress.js';
import { licensePayload, licenseSigner } from '../helpers/access-license.js';

describe('the console\'s licence and tenants page', { skip: skipUnlessPrograms(CHROMIUM) }, () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let browser: Browser;
  let admin: WatchedPage;
  let session: ConsoleSession;
  const signer = licenseSigner();

  before(async () => {
    session = await consoleSession({
      adminPassword: 'a licence console password', timeoutMs: 20_000,
      prepare: (dataDir) => signer.write(join(dataDir, 'access-license.json'), licensePayload(new Date(), { limits: { devices: 5, gateways: 2 } })),
      env: { RAMPART_ACCESS_LICENSE_PUBLIC_KEY: signer.publicKey },
    });
    ({ tdb, server, browser, admin } = session);
  });
  after(async () => {
    await session?.close();
  });

  test('the licence, the entitlement with an alert at 80%, and a tenant created and suspended from the page', async () => {
    const { page, context } = admin;
    const api = context.request;
    const headers = await csrfHeaders(context);
    // Four devices of five: the device metric is approaching its limit.
    const token = await (await api.post('/v1/admin/tokens/generate', { headers, data: { max_uses: 0 } })).json();
    for (let i = 0; i < 4; i++) {
      const key = Buffer.from(Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7 + 1) % 256)).toString('base64');
      const res = await api.post('/v1/enroll', { data: { token: token.secret, public_key: key, device: { name: `laptop-${i}`, platform: 'linux' } } });
      assert.equal(res.status(), 201, await res.text());
    }

    await page.goto('/admin/license');
    await page.getByRole('heading', { level: 1, name: 'Licence & entitlements' }).waitFor();
    await settled(page);
    const licence = page.getByRole('region', { name: 'Licence' });
    await licence.getByText('Example Corp').waitFor();
    await licence.getByText('valid', { exact: true }).waitFor();
    await page.getByRole('progressbar', { name: 'devices: 4 of 5 (approaching)' }).waitFor();
    // An empty bar has no width: attached, not visible.
    await page.getByRole('progressbar', { name: 'gateways: 0 of 2 (ok)' }).waitFor({ state: 'attached' });
    await page.getByRole('alert').filter({ hasText: 'devices: 4 of 5' }).waitFor();
    await page.getByLabel('Devices enrolled: 4').waitFor();

    await page.getByLabel('New tenant').fill('Acme Branch');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('row', { name: /Acme Branch/ }).waitFor();
    const listed = (await (await api.get('/v1/admin/tenants')).json()).items;
    const acme = listed.find((t: { name: string }) => t.name === 'Acme Branch');
    assert.equal(acme.status, 'active');
    assert.equal(acme.slug, 'acme-branch');

    await page.getByRole('button', { name: 'Suspend Acme Branch' }).click();
    await page.getByRole('button', { name: 'Reactivate Acme Branch' }).waitFor();
    assert.equal((await (await api.get(`/v1/admin/tenants/${acme.id}`)).json()).status, 'suspended');

    await page.getByRole('button', { name: 'Reload licence' }).click();
    await page.getByText('Licence reloaded: valid').waitFor();

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Licence & entitlements' }).waitFor();
      await settled(page);
      assert.deepEqual(await seriousA11yViolations(page), [], scheme);
      if (scheme === 'light' && !onPostgres) await screenshot(page, 'access-license');
    }
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(admin.problems, []);
  });
});
