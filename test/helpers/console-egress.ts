import { readFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** The first administrator's sign-in through the console: the printed password, then the forced change. */
export async function signInFirstAdmin(page: Page, dataDir: string, newPassword: string): Promise<void> {
  const initial = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  await page.goto('/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(initial);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('Current password').fill(initial);
  await page.getByLabel(/^New password/).fill(newPassword);
  await page.getByLabel('Repeat the new password').fill(newPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  // Leaving the dashboard while its reads are in flight would abort them (Chromium reports each as failed).
  await page.waitForLoadState('networkidle');
}

/** Every loading state of the page has made way for what it loads (a settings page loads three sections). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => ![...document.querySelectorAll('[role=status]')].some((e) => /Loading/.test(e.textContent ?? '')));
}

/** Headers for a cookie-authenticated write from the test, as the console sends them (double-submit CSRF). */
export async function csrfHeaders(context: BrowserContext): Promise<Record<string, string>> {
  const token = (await context.cookies()).find((c) => c.name === 'rampart_csrf')?.value;
  if (!token) throw new Error('no CSRF cookie: sign in first');
  return { 'x-csrf-token': decodeURIComponent(token) };
}

/**
 * A loopback TCP port forwarding to a unix socket: a Rampart inside a network namespace listens on a socket in the
 * filesystem (which crosses namespaces), and the browser on the host reaches it here.
 */
export async function unixSocketForwarder(socketPath: string): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<{ destroy(): void }>();
  const server = createServer((client) => {
    const upstream = createConnection(socketPath);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
