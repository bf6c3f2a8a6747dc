import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const INDEX = '<!doctype html><title>Rampart console</title><script type="module" src="/assets/app-3f9a1c.js"></script>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A built console in miniature: what `npm run build:ui` writes, in the shapes the server must serve. */
function fixtureConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-3f9a1c.js'), APP_JS);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('the console on the HTTPS listener', () => {
  let r: TestRampart;
  let dir: string;
  before(async () => {
    dir = fixtureConsole();
    r = await createTestRampart({ consoleDir: dir });
  });
  after(async () => {
    await r.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });

  test('every client route answers index.html, never cached, under the console CSP', async () => {
    for (const path of ['/', '/identity/users', '/invitations/abc123', '/auth/callback?token=x', '/overlay/networks/42']) {
      const res = await get(path);
      assert.equal(res.statusCode, 200, path);
      assert.equal(res.body, INDEX, path);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /script-src 'self';/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
    }
  });

  test('hashed assets are cached for a year, typed, and gzipped for clients that take it', async () => {
    const plain = await get('/assets/app-3f9a1c.js');
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, APP_JS);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    const zipped = await get('/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), APP_JS);
    assert.ok(zipped.rawPayload.length < APP_JS.length / 10);
    const icon = await get('/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
  });

  test('API paths keep their JSON 404 in their own dialect; a missing file is a 404, not the index page', async () => {
    const fleet = await get('/api/v1/no-such-thing', { accept: 'text/html' });
    assert.equal(fleet.statusCode, 404);
    assert.equal(fleet.json().error.code, 'not_found');
    assert.equal((await get('/api/no-such-thing', { accept: 'text/html' })).json().detail.includes('no route'), true);
    assert.equal((await get('/v1/no-such-thing', { accept: 'text/html' })).statusCode, 404);
    for (const path of ['/assets/app-old.js', '/package.json', '/assets/../package.json', '/%2e%2e/package.json']) {
      const res = await get(path);
      assert.equal(res.statusCode, 404, path);
      assert.notEqual(res.body, INDEX, path);
    }
    // Declared routes still win, and write methods on console paths are the API's 404.
    assert.equal((await get('/api/v1/health')).json().status, 'healthy');
    assert.equal((await r.app.inject({ method: 'POST', url: '/identity/users' })).statusCode, 404);
  });

  test("/admin/* (the ZTNA spec's admin pages) is the console for browsers and the access API's JSON 404 for clients", async () => {
    const browser = await get('/admin/users', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(browser.statusCode, 200);
    assert.equal(browser.body, INDEX);
    const client = await get('/admin/users', { accept: 'application/json' });
    assert.equal(client.statusCode, 404);
    assert.equal(client.json().error, 'not_found');
  });
});

describe('a Rampart whose console is not built', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart({ consoleDir: join(tmpdir(), 'rampart-console-never-built') });
  });
  after(() => r.cleanup());

  test('/ says how to build it; API paths are unaffected', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /not built/);
    assert.match(res.body, /npm run build:ui/);
    assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode, 200);
    assert.equal((await r.app.inject({ method: 'GET', url: '/app.js' })).statusCode, 404);
  });
});
