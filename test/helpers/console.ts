import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from './console-build.js';
import { signInFirstAdmin } from './console-egress.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { requirePrograms } from './e2e.js';
import { repoRoot, spawnRampart, type SpawnedRampart } from './process.js';

export { ensureConsoleBuilt };

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A page on a fresh browser context, collecting every console error, page error, failed and off-site request. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  problems: string[];
  close(): Promise<void>;
}

export async function watchedPage(browser: Browser, baseUrl: string, opts: { viewport?: { width: number; height: number } } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: baseUrl, viewport: opts.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A read still in flight when the page navigates away is cancelled (ERR_ABORTED): the user sees nothing of it.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`off-site request ${url}`);
  });
  return { page, context, problems, close: () => context.close() };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2 A/AA rules) in the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') rightly refuses an inline <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations as AxeViolation[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })) }));
}

const screenshotDir = join(repoRoot, 'docs', 'console');

/** Saves a screenshot for docs/console.md; made by the tests, so the pictures stay current. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}

/** A real Rampart on a fresh test database, Chromium, and an administrator's page: what every console test starts from. */
export interface ConsoleSession {
  tdb: TestDatabase;
  server: SpawnedRampart;
  browser: Browser;
  admin: WatchedPage;
  close(): Promise<void>;
}

export interface ConsoleSessionOptions {
  /** Extra environment for `rampart serve` (the database URL is set already). */
  env?: NodeJS.ProcessEnv;
  /** Runs on the fresh data dir before Rampart starts (a licence file, say). */
  prepare?(dataDir: string): void;
  /** The first administrator's new password; without it the page is left on the sign-in screen. */
  adminPassword?: string;
  /** Playwright's per-action timeout for the admin page. */
  timeoutMs?: number;
}

/**
 * Starts the session; what it started is stopped by close() even when a later step fails (close() copes with a
 * half-made session, so a test's after() can call it unconditionally).
 */
export async function consoleSession(opts: ConsoleSessionOptions = {}): Promise<ConsoleSession> {
  requirePrograms(CHROMIUM);
  ensureConsoleBuilt();
  const session: Partial<ConsoleSession> = {};
  const close = async () => {
    await session.admin?.close();
    await session.browser?.close();
    await session.server?.stop();
    await session.tdb?.cleanup();
  };
  try {
    session.tdb = await createTestDatabase();
    opts.prepare?.(session.tdb.dataDir);
    const listen = ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'];
    session.server = await spawnRampart(['serve', '--data-dir', session.tdb.dataDir, ...listen], { RAMPART_DATABASE_URL: session.tdb.url, ...opts.env });
    session.browser = await launchChromium();
    session.admin = await watchedPage(session.browser, session.server.url);
    if (opts.timeoutMs) session.admin.page.setDefaultTimeout(opts.timeoutMs);
    if (opts.adminPassword) await signInFirstAdmin(session.admin.page, session.tdb.dataDir, opts.adminPassword);
  } catch (err) {
    await close();
    throw err;
  }
  return { ...(session as Omit<ConsoleSession, 'close'>), close };
}
