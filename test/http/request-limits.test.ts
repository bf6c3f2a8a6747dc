/**
 * What a real client sees over a real socket when its request is refused by the kit before any route runs: a body
 * over the limit, a malformed path. node's fetch and a streaming http.request must read the answer, not a reset.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { BODY_LIMIT_BYTES } from '../../src/http/error-mapping.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { signIn } from '../helpers/identity.js';

let r: TestRampart;
let base: string;
let auth: { authorization: string };

before(async () => {
  r = await createTestRampart();
  auth = (await signIn(r, { roles: ['admin'] })).headers;
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
});
after(() => r?.cleanup());

// Three times the limit: more than the socket buffers hold, so a server that stops reading makes the client's write fail.
const oversized = () => JSON.stringify({ username: 'x'.repeat(3 * BODY_LIMIT_BYTES), password: 'y' });

test('fetch sending a body over the limit reads the 413 in the surface envelope', async () => {
  const res = await fetch(`${base}/api/v1/users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: oversized() });
  assert.equal(res.status, 413);
  const body = await res.json();
  assert.equal(body.error.code, 'validation.body_too_large');
  assert.deepEqual(body.error.detail, { max_bytes: BODY_LIMIT_BYTES });
  // The connection survived: the same client goes on.
  const next = await fetch(`${base}/api/v1/auth/me`, { headers: auth });
  assert.equal(next.status, 200);
});

test('curl posting a body over the limit prints the 413', { skip: skipUnlessPrograms('curl') }, async () => {
  requirePrograms('curl');
  const curl = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', `authorization: ${auth.authorization}`, '-H', 'content-type: application/json', '--data-binary', '@-', `${base}/api/v1/users`]);
  let out = '';
  let err = '';
  curl.stdout.on('data', (d) => (out += d));
  curl.stderr.on('data', (d) => (err += d));
  curl.stdin.end(oversized());
  const code = await new Promise<number | null>((resolve) => curl.on('close', resolve));
  assert.equal(code, 0, err);
  assert.equal(out, '413');
});

test('a chunked upload over the limit (no Content-Length) also gets its 413', async () => {
  const chunk = Buffer.alloc(256 * 1024, 'a');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/api/v1/users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.write('{"username":"');
    for (let sent = 0; sent < BODY_LIMIT_BYTES * 3; sent += chunk.length) req.write(chunk);
    req.end('"}');
  });
  assert.equal(status, 413);
});

test('router errors answer in the envelope of the surface the path belongs to, without echoing the path', async () => {
  const badEscape = await fetch(`${base}/api/v1/users/%`, { headers: auth });
  assert.equal(badEscape.status, 400);
  const body = await badEscape.json();
  assert.equal(body.error.code, 'bad_request');
  assert.ok(badEscape.headers.get('x-correlation-id'));
  assert.doesNotMatch(JSON.stringify(body), /users/);

  const long = 'n'.repeat(2_000);
  const tooLong = await fetch(`${base}/api/networks/${long}`, { headers: auth });
  assert.equal(tooLong.status, 414);
  const overlay = await tooLong.json();
  assert.deepEqual(Object.keys(overlay), ['detail']);
  assert.ok(!overlay.detail.includes(long));
});

test('a NUL byte in a login is refused with a 400 before it reaches the database', async () => {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin\u0000', password: 'whatever' }),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, 'validation.invalid_value');
  assert.match(body.error.human_message, /body: username/);
});
