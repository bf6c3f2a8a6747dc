/**
 * The web console in headless Chromium against a real Rampart (HTTPS, its own data dir):
 * - first-load JavaScript of the dashboard, gzipped as served (bytes on the wire), beside the 350 kB budget and
 *   beside Swagger UI (/api/docs, the same listener's other single-page app) measured the same way;
 * - time to interactive of the dashboard (navigation start until its data is on screen and no spinner is left), cold
 *   cache, beside the same measure of Swagger UI until its operations are listed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureConsoleBuilt, launchChromium } from '../test/helpers/console.js';
import { startRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const BUDGET_KB = 350;
const RUNS = 7;
const PASSWORD = 'bench console password';

export const bench: Bench = (ctx) => ctx.scoped(consoleFigures);

interface Load {
  ms: number;
  jsGzipBytes: number;
}

async function consoleFigures(ctx: BenchContext): Promise<BenchmarkResult[]> {
  ensureConsoleBuilt();
  const rampart = await startRampart(ctx, { insecureHttp: false, logLevel: ctx.settings.rampartLogLevel, readyPath: '/api/v1/health' });
  const browser = await launchChromium();
  ctx.defer(() => browser.close());
  const cookies = await adminSession(browser, rampart.origin, rampart.dataDir);

  ctx.log(`console: ${RUNS} cold loads each of the dashboard and of Swagger UI`);
  const dashboard: Load[] = [];
  const swagger: Load[] = [];
  for (let i = 0; i < RUNS; i++) {
    dashboard.push(await coldLoad(browser, rampart.origin, cookies, '/', dashboardReady));
    swagger.push(await coldLoad(browser, rampart.origin, cookies, '/api/docs', swaggerReady));
  }
  const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
  const jsKb = kb(median(dashboard.map((l) => l.jsGzipBytes)));
  const swaggerJsKb = kb(median(swagger.map((l) => l.jsGzipBytes)));
  const tti = summary(dashboard.map((l) => l.ms));
  const swaggerTti = summary(swagger.map((l) => l.ms));
  ctx.log(`  => first-load JS ${jsKb} kB gzipped (budget ${BUDGET_KB}, Swagger UI ${swaggerJsKb}); dashboard interactive p50 ${tti.p50} ms (Swagger UI ${swaggerTti.p50} ms)`);
  const figure = (what: string, value: number) => ({ what, value, runs: RUNS });
  return [
    {
      name: 'console first-load JavaScript (dashboard, gzipped as served)',
      unit: 'kB',
      rampart: figure('console: every script the dashboard loads on a cold cache', jsKb),
      baseline: figure('Swagger UI at /api/docs: every script it loads on a cold cache', swaggerJsKb),
      ratio: Math.round((jsKb / swaggerJsKb) * 100) / 100,
      budget_kb: BUDGET_KB,
      target: BUDGET_KB,
      meets_target: jsKb <= BUDGET_KB,
    },
    {
      name: 'console time to interactive (dashboard, cold cache, headless Chromium)',
      unit: 'ms',
      rampart: { ...figure('dashboard: navigation start until its data is shown and no spinner is left', tti.p50), latency_ms: tti },
      baseline: { ...figure('Swagger UI: navigation start until its operations are listed', swaggerTti.p50), latency_ms: swaggerTti },
      ratio: Math.round((tti.p50 / swaggerTti.p50) * 100) / 100,
    },
  ];
}

/** Signs the bootstrap administrator in over the API (choosing the password the console would ask for): its cookies. */
async function adminSession(browser: Browser, origin: string, dataDir: string) {
  const initial = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0];
  const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: origin });
  try {
    const first = await context.request.post('/api/v1/auth/login', { data: { username: 'admin', password: initial } });
    const { access_token } = (await first.json()) as { access_token: string };
    const changed = await context.request.post('/api/v1/auth/password:change', {
      data: { current_password: initial, new_password: PASSWORD }, headers: { authorization: `Bearer ${access_token}` },
    });
    if (changed.status() !== 204) throw new Error(`password change answered ${changed.status()}`);
    await context.clearCookies();
    await context.request.post('/api/v1/auth/login', { data: { username: 'admin', password: PASSWORD } });
    return await context.cookies();
  } finally {
    await context.close();
  }
}

/** One load in a fresh context (empty cache): ms until `ready` holds, and the encoded bytes of every script. */
async function coldLoad(browser: Browser, origin: string, cookies: Awaited<ReturnType<typeof adminSession>>, path: string, ready: (page: Page) => Promise<number>): Promise<Load> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    const scripts: Promise<number>[] = [];
    page.on('requestfinished', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.sizes().then((s) => s.responseBodySize));
    });
    await page.goto(origin + path);
    const ms = await ready(page);
    return { ms, jsGzipBytes: (await Promise.all(scripts)).reduce((a, b) => a + b, 0) };
  } finally {
    await context.close();
  }
}

const dashboardReady = async (page: Page) => {
  await page.getByTestId('user-count').filter({ hasText: /^\d+$/ }).waitFor();
  await page.getByRole('status').waitFor({ state: 'detached' });
  return page.evaluate(() => performance.now());
};

const swaggerReady = async (page: Page) => {
  await page.locator('.opblock-summary-path').first().waitFor();
  return page.evaluate(() => performance.now());
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n);
  return { p50: round(median(sorted)), min: round(sorted[0]), max: round(sorted.at(-1)!), runs: sorted.length };
}
